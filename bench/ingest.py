"""Ingest benchmark: keyed transactional ingest against DuckDB's bare load of the same data.

Both load the same simulated order lines (one Parquet file) into an on-disk DuckDB file:
- bare: `CREATE TABLE AS SELECT * FROM read_parquet(...)` (no checks, no keys, no ledger);
- OrderLens: `ingest_paths` of that file, its parents already loaded (cast, pandera
  validation, in-batch de-duplication, foreign keys, anti-join against the warehouse,
  ledger, one transaction).
"""

from __future__ import annotations

import os
import shutil
import time

import duckdb
import polars as pl

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
        "ingest_s": round(ingest_s, 2),
        "ingest_rows_per_s": round(n / ingest_s),
        "ingest_speed_vs_bare": round(bare_s / ingest_s, 3),
    }
