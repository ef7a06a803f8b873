"""Seeded synthetic businesses for the forecasting tests: one SKU per demand pattern."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

WEEKLY = np.array([1.0, 1.0, 1.0, 1.1, 1.3, 1.5, 0.7])


def synthetic_business(
    n_skus: int = 10, days: int = 400, seed: int = 7, end: date = date(2025, 6, 30)
) -> dict[str, pl.DataFrame | date]:
    """Sales, stockout flags, positions, products, suppliers and PO lines for `plan()`.

    Two warehouses per SKU; SKUs cycle through smooth, erratic, intermittent and lumpy
    patterns; about 2% of days are stockouts (sales 0 on them).
    """
    rng = np.random.default_rng(seed)
    start = end - timedelta(days=days - 1)
    dates = pl.date_range(start, end, eager=True)
    weekday = dates.dt.weekday().to_numpy() - 1
    sales, flags, positions, products = [], [], [], []
    for i in range(n_skus):
        sku = f"SKU{i:03d}"
        pattern = i % 4
        for wh in ("WH1", "WH2"):
            units = _pattern(rng, pattern, weekday)
            out = rng.random(days) < 0.02
            units = np.where(out, 0, units)
            sales.append(
                pl.DataFrame({"sku": sku, "warehouse_id": wh, "date": dates, "units": units})
            )
            flags.append(
                pl.DataFrame({"sku": sku, "warehouse_id": wh, "date": dates, "is_stockout": out})
            )
            positions.append(
                {
                    "sku": sku,
                    "warehouse_id": wh,
                    "on_hand": int(rng.integers(0, 120)),
                    "on_order": 0,
                    "committed": int(rng.integers(0, 5)),
                }
            )
        products.append(
            {
                "sku": sku,
                "supplier_id": f"SUP{i % 3}",
                "unit_cost": float(rng.uniform(2, 50)),
                "list_price": float(rng.uniform(60, 120)),
                "abc_class": "ABC"[min(i % 5, 2)],
                "pack_size": int(rng.choice([1, 6, 12])),
                "min_order_qty": int(rng.choice([1, 24, 50])),
            }
        )
    po_lines = pl.DataFrame(
        {
            "supplier_id": [f"SUP{k % 3}" for k in range(30)],
            "ordered_date": [start + timedelta(days=10 * k) for k in range(30)],
        }
    ).with_columns(
        (pl.col("ordered_date") + pl.duration(days=pl.Series(rng.integers(5, 12, 30)))).alias(
            "received_date"
        )
    )
    return {
        "sales": pl.concat(sales).filter(pl.col("units") > 0),
        "stock_flags": pl.concat(flags).filter(pl.col("is_stockout")),
        "positions": pl.DataFrame(positions),
        "products": pl.DataFrame(products),
        "suppliers": pl.DataFrame(
            {"supplier_id": ["SUP0", "SUP1", "SUP2"], "lead_time_days": [7, 10, 14]}
        ),
        "po_lines": po_lines,
        "as_of": end,
    }


def _pattern(rng: np.random.Generator, pattern: int, weekday: np.ndarray) -> np.ndarray:
    n = len(weekday)
    if pattern == 0:  # smooth: Poisson around a weekly profile
        return rng.poisson(8 * WEEKLY[weekday])
    if pattern == 1:  # erratic: frequent, with heavy-tailed sizes
        return rng.poisson(3, n) * rng.choice([1, 1, 1, 5], n) + 1
    if pattern == 2:  # intermittent: rare, similar sizes
        return np.where(rng.random(n) < 0.25, rng.poisson(4, n) + 1, 0)
    return np.where(rng.random(n) < 0.2, rng.poisson(2, n) * rng.choice([1, 8], n) + 1, 0)
