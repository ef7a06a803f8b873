"""Dashboard benchmark: per page, the time to compute everything it shows, against bare DuckDB.

For each page, `page_data(...)` (what the page itself calls: pointer read, cached
connection, bound parameters, Polars result) runs with the result cache cleared, so every
query really executes; the same statements with the same bound values then run bare on one
open connection (`fetchall()`). p50/p95 over repeated runs. Needs a published warehouse at
ORDERLENS_DATA_DIR (`python -m bench --only dashboards --scale 10m`).
"""

from __future__ import annotations

import dataclasses
import statistics
import time
from collections.abc import Callable
from typing import Any

import duckdb

from bench.scales import LINES
from bench.workspace import ROOT
from dashboards.lib import serving
from dashboards.lib.filters import Filters
from dashboards.lib.queries import (
    common,
    customers,
    efficiency,
    inventory,
    overview,
    quality,
    sales,
)
from dashboards.lib.queries import product as product_queries
from pipelines.settings import get_settings

RUNS = 30
TARGET_P95_MS = 100.0
TARGET_OVERHEAD = 2.0


def _pages(srv: serving.Serving, filters: Filters, sku: str, customer: str) -> dict[str, Callable]:
    return {
        "overview": lambda: overview.page_data(srv, filters),
        "sales": lambda: sales.page_data(srv, filters, "day", "channel", None),
        "inventory": lambda: inventory.page_data(srv, filters),
        "customers": lambda: customers.page_data(srv, filters),
        "efficiency": lambda: efficiency.page_data(srv, filters),
        "data_quality": lambda: quality.page_data(srv),
        "product": lambda: product_queries.page_data(srv, filters, sku),
        "customer": lambda: customers.customer_data(srv, customer),
    }


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def _time_app(load: Callable[[], Any], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        serving.clear_caches()  # every query executes: this is the cold path of a new filter
        start = time.perf_counter()
        load()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _time_bare(
    con: duckdb.DuckDBPyConnection, statements: list[tuple[str, dict[str, Any]]], runs: int
) -> list[float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        for sql, params in statements:
            con.execute(sql, params).fetchall()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _first(srv: serving.Serving, sql: str) -> str:
    found = serving.run(srv, sql, {}, ())
    return str(found[0, 0]) if found.height else ""  # type: ignore[union-attr]


def main(scale: str = "fixture", runs: int = RUNS) -> dict[str, Any]:
    settings = get_settings()
    if scale in LINES:  # the harness: the warehouse the build suite published at this scale
        settings = dataclasses.replace(settings, data_dir=ROOT / scale / "data")
    srv = serving.current(settings)
    if srv is None:
        raise SystemExit("no published serving file at ORDERLENS_DATA_DIR: run a build first")
    opts = common.options(srv)
    if opts is None:
        raise SystemExit("the published serving file has no sales")
    filters = Filters(*opts.default_range())
    sku = _first(srv, "select sku from marts.product_sales order by revenue_rank limit 1")
    customer = _first(srv, "select customer_id from marts.customer_rfm order by 1 limit 1")
    category = opts.categories[0] if opts.categories else ""
    pages = _pages(srv, filters, sku, customer)
    pages["sales_drill"] = lambda: sales.page_data(srv, filters, "week", "product", category)
    bare = duckdb.connect(str(srv.path), read_only=True)
    figures: dict[str, Any] = {"scale": scale, "runs": runs, "version": srv.version}
    worst = 0.0
    for name, load in pages.items():
        with serving.tracing() as statements:
            serving.clear_caches()
            load()
        app_p50, app_p95 = _percentiles(_time_app(load, runs))
        bare_p50, bare_p95 = _percentiles(_time_bare(bare, statements, runs))
        overhead = app_p50 / bare_p50 if bare_p50 else float("inf")
        worst = max(worst, app_p95)
        figures |= {
            f"{name}_queries": len(statements),
            f"{name}_app_p50_ms": round(app_p50, 2),
            f"{name}_app_p95_ms": round(app_p95, 2),
            f"{name}_bare_p50_ms": round(bare_p50, 2),
            f"{name}_bare_p95_ms": round(bare_p95, 2),
            f"{name}_overhead_x": round(overhead, 2),
        }
    bare.close()
    figures["worst_page_p95_ms"] = round(worst, 2)
    figures["meets_p95_target"] = worst <= TARGET_P95_MS
    figures["meets_overhead_target"] = all(
        v <= TARGET_OVERHEAD for k, v in figures.items() if k.endswith("_overhead_x")
    )
    return figures


if __name__ == "__main__":
    for key, value in main().items():
        print(f"{key:>28}: {value}")
