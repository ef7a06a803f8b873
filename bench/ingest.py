"""Ingest benchmark: keyed transactional ingest against DuckDB's bare load of the same data.

Both load the same simulated order lines (one Parquet file) into an on-disk DuckDB file:
- bare: `CREATE TABLE AS SELECT * FROM read_parquet(...)` (no checks, no keys, no ledger);
- dlt (the field's loading library): a keyed `merge` (delete-insert on the order-line key)
  of the same file into DuckDB, as Parquet, with no checks beyond the key;
- OrderLens: `ingest_paths` of that file, its parents already loaded (cast, pandera
  validation, in-batch de-duplication, foreign keys, anti-join against the warehouse,
  ledger, one transaction).
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import duckdb
import polars as pl
import pyarrow.parquet as pq

from bench.workspace import simulated, work_dir

PARENTS = {"suppliers", "customers", "warehouses", "products", "orders"}


def main(scale: str) -> dict[str, float]:
    from pipelines.ingest.api import ingest_paths
    from pipelines.ingest.readers import read_file, table_for_path
    from pipelines.settings import get_settings

    sim, simulate_s = simulated(scale)
    work = work_dir(scale) / "ingest"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    lines = pl.concat(
        [read_file(p).drop("_source_row") for p in sorted(sim.glob("order_lines*"))],
        how="diagonal_relaxed",
    )
    lines_file = work / "order_lines.parquet"
    lines.write_parquet(lines_file)
    n = lines.height
    del lines

    started = time.perf_counter()
    with duckdb.connect(str(work / "bare.duckdb")) as con:
        con.execute("CREATE TABLE order_lines AS SELECT * FROM read_parquet(?)", [str(lines_file)])
    bare_s = time.perf_counter() - started

    dlt_s = _dlt_merge(lines_file, work / "dlt")

    os.environ["ORDERLENS_DATA_DIR"] = str(work / "data")
    settings = get_settings()
    parents = [p for p in sorted(sim.iterdir()) if table_for_path(p) in PARENTS]
    ingest_paths(parents, settings=settings)
    started = time.perf_counter()
    results = ingest_paths([lines_file], settings=settings)
    ingest_s = time.perf_counter() - started
    assert all(r.adds_up for r in results) and results[0].rows_loaded == n
    shutil.rmtree(work, ignore_errors=True)
    return {
        "order_lines": n,
        "simulate_s": round(simulate_s, 2) if simulate_s else "re-used",
        "bare_load_s": round(bare_s, 2),
        "bare_rows_per_s": round(n / bare_s),
        "dlt_merge_s": round(dlt_s, 2),
        "dlt_rows_per_s": round(n / dlt_s),
        "ingest_s": round(ingest_s, 2),
        "ingest_rows_per_s": round(n / ingest_s),
        "ingest_speed_vs_bare": round(bare_s / ingest_s, 3),
        "ingest_speed_vs_dlt": round(dlt_s / ingest_s, 3),
    }


def _dlt_merge(lines_file: Path, work: Path) -> float:
    """Seconds dlt takes to merge the order lines into an on-disk DuckDB file by their key."""
    import dlt

    # dlt reports usage over the network unless told not to; this machine has no network.
    # Its warning that Arrow's column hints differ from its own schema's is expected here.
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"
    os.environ["RUNTIME__LOG_LEVEL"] = "ERROR"
    pipeline = dlt.pipeline(
        pipeline_name="bench_ingest",
        pipelines_dir=str(work / "pipelines"),
        destination=dlt.destinations.duckdb(str(work / "dlt.duckdb")),
        dataset_name="raw",
    )
    started = time.perf_counter()
    table = pq.read_table(lines_file)  # read inside the timing, as OrderLens reads its file
    pipeline.run(
        table,
        table_name="order_lines",
        write_disposition="merge",
        primary_key=["order_id", "line_number"],
        loader_file_format="parquet",
    )
    seconds = time.perf_counter() - started
    with duckdb.connect(str(work / "dlt.duckdb"), read_only=True) as con:
        loaded = con.sql("SELECT count(*) FROM raw.order_lines").fetchall()[0][0]
    if loaded != table.num_rows:
        raise AssertionError(f"dlt loaded {loaded} of {table.num_rows} order lines")
    return seconds
