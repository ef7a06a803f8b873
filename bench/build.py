"""Build benchmark: the full build after ingest, and a daily update on top of it.

The simulated business is ingested without its last day; `build_all` (dbt build with its
tests, forecasting, publish) is timed; then the last day's rows (orders, lines, events,
movements, shipments, ... of that day) are ingested and the build timed again. The dbt part
is also reported alone (incremental models touch only the new days).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import polars as pl

from bench.workspace import simulated, work_dir

# The time column that dates a row of each table (tables without one are master data).
DATED = {
    "orders": "ordered_at",
    "order_events": "event_at",
    "stock_movements": "moved_at",
    "stock_counts": "counted_at",
    "shipments": "shipped_at",
    "shipment_events": "event_at",
    "returns": "returned_at",
    "service_tickets": "opened_at",
    "purchase_orders": "ordered_date",
}


def _split(sim: Path, target: Path) -> tuple[Path, Path]:
    """Write the business without its last day to target/base, the last day to target/day."""
    from pipelines.ingest.contract import TABLES
    from pipelines.ingest.readers import read_file, table_for_path

    frames: dict[str, pl.DataFrame] = {}
    for path in sorted(sim.iterdir()):
        table = table_for_path(path)
        if table:
            frame = read_file(path).drop("_source_row").with_columns(pl.all().cast(pl.String))
            frames[table] = (
                pl.concat([frames[table], frame], how="diagonal") if table in frames else frame
            )
    day = max(frames["orders"].get_column("ordered_at").str.slice(0, 10))
    last = {}
    for table, column in DATED.items():
        stamp = frames[table].get_column(column).str.slice(0, 10)
        last[table] = stamp >= day
    # Children follow their parents into the day batch.
    new_orders = frames["orders"].filter(last["orders"]).get_column("order_id")
    new_pos = frames["purchase_orders"].filter(last["purchase_orders"]).get_column("po_id")
    last["order_lines"] = frames["order_lines"].get_column("order_id").is_in(new_orders.implode())
    last["purchase_order_lines"] = (
        frames["purchase_order_lines"].get_column("po_id").is_in(new_pos.implode())
    )
    base, daily = target / "base", target / "day"
    for folder in (base, daily):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    for table in TABLES:
        frame = frames[table]
        mask = last.get(table)
        if mask is None:
            frame.write_parquet(base / f"{table}.parquet")
            continue
        frame.filter(~mask).write_parquet(base / f"{table}.parquet")
        frame.filter(mask).write_parquet(daily / f"{table}.parquet")
    return base, daily


def _timed_build() -> tuple[float, float]:
    """Seconds of the whole build and of its dbt step."""
    from pipelines.build import build_all

    started = time.perf_counter()
    outcome = build_all()
    total = time.perf_counter() - started
    assert outcome.success, outcome
    return total, outcome.step_seconds.get("orderlens_dbt", float("nan"))


def main(scale: str) -> dict[str, float | int | str]:
    from pipelines.ingest.api import ingest_paths

    sim, _ = simulated(scale)
    work = work_dir(scale)
    base, daily = _split(sim, work / "split")
    data = work / "data"
    shutil.rmtree(data, ignore_errors=True)
    os.environ["ORDERLENS_DATA_DIR"] = str(data)
    started = time.perf_counter()
    ingested = ingest_paths([base])
    ingest_s = time.perf_counter() - started
    full_s, full_dbt_s = _timed_build()
    started = time.perf_counter()
    day = ingest_paths([daily])
    day_ingest_s = time.perf_counter() - started
    update_s, update_dbt_s = _timed_build()
    lines = sum(r.rows_loaded for r in ingested if Path(r.source).name.startswith("order_lines"))
    return {
        "order_lines": lines,
        "ingest_all_s": round(ingest_s, 1),
        "full_build_s": round(full_s, 1),
        "full_build_dbt_s": round(full_dbt_s, 1),
        "daily_rows": sum(r.rows_in for r in day),
        "daily_ingest_s": round(day_ingest_s, 1),
        "daily_build_s": round(update_s, 1),
        "daily_build_dbt_s": round(update_dbt_s, 1),
        "daily_vs_full": round(update_s / full_s, 3),
        "daily_vs_full_dbt": round(update_dbt_s / full_dbt_s, 3),
        "data_dir": str(data),
    }
