"""Forecasting benchmark: `plan()` on N synthetic series of two years of daily demand.

    .venv/bin/python bench/bench_forecasting.py [--series 1000] [--days 730] [--seed 1]

Prints the time of each phase and per 1,000 series. The series are a quarter each smooth,
erratic, intermittent and lumpy (by construction; the classifier decides), two warehouses
per SKU, 2% of days out of stock. One process, `n_jobs=1`, as the Dagster asset runs it.
"""

from __future__ import annotations

import argparse
import platform
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl

from pipelines.forecasting import planner as plan_module

END = date(2025, 6, 30)
WEEKLY = np.array([1.0, 1.0, 1.0, 1.1, 1.3, 1.5, 0.7])


def business(n_series: int, days: int, seed: int) -> dict[str, Any]:
    """Frames for `plan()`: n_series / 2 SKUs in two warehouses."""
    rng = np.random.default_rng(seed)
    n_skus = max(n_series // 2, 1)
    dates = pl.date_range(END - timedelta(days=days - 1), END, eager=True)
    weekday = dates.dt.weekday().to_numpy() - 1
    pattern = np.repeat(np.arange(2 * n_skus) // 2 % 4, days).reshape(-1, days)
    shape = (2 * n_skus, days)
    smooth = rng.poisson(8 * WEEKLY[weekday], shape)
    erratic = rng.poisson(3, shape) * rng.choice([1, 1, 1, 5], shape) + 1
    intermittent = np.where(rng.random(shape) < 0.25, rng.poisson(4, shape) + 1, 0)
    lumpy = np.where(
        rng.random(shape) < 0.2, rng.poisson(2, shape) * rng.choice([1, 8], shape) + 1, 0
    )
    units = np.choose(pattern, [smooth, erratic, intermittent, lumpy])
    out = rng.random(shape) < 0.02
    skus = np.repeat([f"SKU{i:05d}" for i in range(n_skus)], 2)
    warehouses = np.tile(["WH1", "WH2"], n_skus)
    long = pl.DataFrame(
        {
            "sku": np.repeat(skus, days),
            "warehouse_id": np.repeat(warehouses, days),
            "date": pl.Series(np.tile(dates.to_numpy(), 2 * n_skus)),
            "units": np.where(out, 0, units).ravel(),
            "is_stockout": out.ravel(),
        }
    )
    sku_ids = [f"SKU{i:05d}" for i in range(n_skus)]
    return {
        "sales": long.filter(pl.col("units") > 0).drop("is_stockout"),
        "stock_flags": long.filter("is_stockout").drop("units"),
        "positions": pl.DataFrame(
            {
                "sku": skus,
                "warehouse_id": warehouses,
                "on_hand": rng.integers(0, 150, 2 * n_skus),
                "on_order": 0,
                "committed": 0,
            }
        ),
        "products": pl.DataFrame(
            {
                "sku": sku_ids,
                "supplier_id": [f"SUP{i % 5}" for i in range(n_skus)],
                "unit_cost": rng.uniform(2, 50, n_skus),
                "list_price": rng.uniform(60, 120, n_skus),
                "pack_size": rng.choice([1, 6, 12], n_skus),
                "min_order_qty": rng.choice([1, 24, 50], n_skus),
            }
        ),
        "po_lines": pl.DataFrame(
            {
                "supplier_id": [f"SUP{k % 5}" for k in range(100)],
                "ordered_date": [END - timedelta(days=7 * k + 20) for k in range(100)],
            }
        ).with_columns(
            (pl.col("ordered_date") + pl.duration(days=pl.Series(rng.integers(5, 15, 100)))).alias(
                "received_date"
            )
        ),
        "as_of": END,
    }


def timed(name: str, fn: Callable[..., Any], clock: dict[str, float]) -> Callable[..., Any]:
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            clock[name] += time.perf_counter() - started

    return wrapper


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    data = business(args.series, args.days, args.seed)
    clock: dict[str, float] = defaultdict(float)
    # Time the two statsforecast phases inside plan() by wrapping what it calls.
    plan_module.bt.backtest = timed("backtest", plan_module.bt.backtest, clock)
    plan_module.forecast = timed("forecast", plan_module.forecast, clock)
    started = time.perf_counter()
    result = plan_module.plan(
        data["sales"],
        data["stock_flags"],
        data["positions"],
        data["products"],
        data["po_lines"],
        data["as_of"],
    )
    clock["plan total"] = time.perf_counter() - started
    clock["backtest + forecast"] = clock["backtest"] + clock["forecast"]

    n = result["backtest"].height
    print(
        f"forecasting benchmark: {n} series x {args.days} days, {platform.machine()}, "
        f"Python {platform.python_version()}"
    )
    classes = result["backtest"].group_by("demand_class").len().sort("demand_class")
    print("  classes: " + ", ".join(f"{c} {k}" for c, k in classes.iter_rows()))
    models = result["backtest"].group_by("model_used").len().sort("len", descending=True)
    print("  models used: " + ", ".join(f"{m} {k}" for m, k in models.iter_rows()))
    for name in ("backtest", "forecast", "backtest + forecast", "plan total"):
        print(
            f"  {name:>20}: {clock[name]:8.1f} s   "
            f"({clock[name] * 1000 / n:7.1f} s per 1,000 series)"
        )
    acc = result["accuracy"].filter(pl.col("demand_class") == "all")
    for row in acc.iter_rows(named=True):
        print(
            f"  backtest {row['scope']:>5}: WAPE {row['wape']:.3f}  MASE {row['mase']:.3f}  "
            f"bias {row['bias']:+.3f}  coverage80 {row['coverage80']:.2f}  "
            f"coverage95 {row['coverage95']:.2f}"
        )


if __name__ == "__main__":
    main()
