"""The operations simulator: a Chinese omni-channel retailer, written as channel exports.

`simulate(orders, days, seed, out)` writes one file (or one per channel) for every canonical
table of the contract into `out`. The data's clock is `end_date`, the last simulated day;
the wall clock is never read, so the same arguments always give byte-identical files.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from pipelines.ingest.contract import TABLES
from pipelines.ingest.simulate.aftersales import make_returns, make_tickets
from pipelines.ingest.simulate.calendar import make_calendar
from pipelines.ingest.simulate.catalogue import (
    CHANNELS,
    make_products,
    rng_for,
    sku_count,
    suppliers_frame,
    warehouses_frame,
)
from pipelines.ingest.simulate.customers import customers_frame, make_customers
from pipelines.ingest.simulate.demand import make_lines, make_orders
from pipelines.ingest.simulate.inventory import run_stock
from pipelines.ingest.simulate.lifecycle import after_allocation, before_allocation
from pipelines.ingest.simulate.stock_tables import (
    counts_frame,
    finish_movements,
    movements_frame,
    purchase_frames,
)
from pipelines.ingest.simulate.tables import (
    order_events_frame,
    order_ids,
    order_lines_frame,
    orders_frame,
    returns_frame,
    shipments_frames,
    tickets_frame,
)
from pipelines.ingest.simulate.writer import write_all

DEFAULT_END_DATE = dt.date(2026, 10, 31)

__all__ = ["DEFAULT_END_DATE", "SimulationSummary", "simulate"]


@dataclass(frozen=True)
class SimulationSummary:
    """What a simulation wrote: the files (in load order) and the rows per canonical table."""

    out: Path
    files: tuple[Path, ...]
    rows: dict[str, int]


def _returned_at(returns: pl.DataFrame, n_orders: int) -> np.ndarray:
    """Per order: when its first returned product came back (NaN when none)."""
    first = (
        returns.filter(pl.col("reason") != "cancelled")
        .group_by("order")
        .agg(pl.col("returned_at").min())
    )
    at = np.full(n_orders, np.nan)
    at[first["order"].to_numpy()] = first["returned_at"].to_numpy()
    return at


def simulate(
    orders: int,
    days: int,
    seed: int,
    out: Path,
    end_date: dt.date = DEFAULT_END_DATE,
) -> SimulationSummary:
    """Simulate `orders` orders over the `days` days ending on `end_date` and write them."""
    if orders < 1 or days < 7:
        raise ValueError("simulate needs at least 1 order and 7 days")
    cal = make_calendar(rng_for(seed, "calendar"), end_date, days)
    products = make_products(rng_for(seed, "products"), sku_count(orders))
    customers = make_customers(rng_for(seed, "customers"), cal, orders)
    sales = make_orders(rng_for(seed, "orders"), cal, customers, orders)
    sales, lines = make_lines(rng_for(seed, "lines"), cal, products, sales)
    steps = before_allocation(rng_for(seed, "process"), sales)
    plan = run_stock(
        rng_for(seed, "stock"), cal, products, lines, sales.home, steps.ready, steps.backorder
    )
    steps = after_allocation(
        rng_for(seed, "fulfilment"), cal, sales, steps, plan.alloc_day, plan.alloc_wh, plan.oos_day
    )
    returns = make_returns(rng_for(seed, "returns"), cal, products, sales, lines, steps)
    tickets = make_tickets(rng_for(seed, "tickets"), cal, sales, steps, returns)

    ids = order_ids(sales)
    channel = pl.Series(CHANNELS).gather(sales.channel)
    skus = products.frame["sku"]
    first_order = np.full(len(customers.ids), np.nan)
    np.fmin.at(first_order, sales.customer, sales.ordered_at)
    shipments, shipment_events = shipments_frames(cal, sales, steps, ids)
    purchase_orders, purchase_order_lines = purchase_frames(cal, products, plan, skus)
    moves = movements_frame(rng_for(seed, "movements"), cal, plan, lines, steps, returns, ids)
    frames = {
        "suppliers": suppliers_frame(),
        "customers": customers_frame(rng_for(seed, "accounts"), customers, first_order),
        "warehouses": warehouses_frame(),
        "products": products.frame,
        "orders": orders_frame(cal, sales, ids, customers.ids).with_columns(channel=channel),
        "order_lines": order_lines_frame(lines, ids, channel, skus),
        "order_events": order_events_frame(
            rng_for(seed, "events"),
            cal,
            sales,
            steps,
            _returned_at(returns, len(ids)),
            ids,
            channel,
        ),
        "purchase_orders": purchase_orders,
        "purchase_order_lines": purchase_order_lines,
        "stock_movements": finish_movements(moves, skus),
        "stock_counts": counts_frame(cal, plan, moves, skus),
        "shipments": shipments,
        "shipment_events": shipment_events,
        "returns": returns_frame(returns, ids, customers.ids, skus),
        "service_tickets": tickets_frame(tickets, ids, customers.ids),
    }
    files = write_all(frames, Path(out))
    return SimulationSummary(
        out=Path(out), files=tuple(files), rows={t: frames[t].height for t in TABLES}
    )
