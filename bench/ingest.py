"""Ingest benchmark: keyed transactional ingest against DuckDB's bare load of the same data.

Both load the same simulated order lines (one Parquet file) into an on-disk DuckDB file:
- bare: `CREATE TABLE AS SELECT * FROM read_parquet(...)` (no checks, no keys, no ledger);
- OrderLens: `ingest_paths` with the parents already loaded (cast, pandera validation,
  in-batch de-duplication, foreign keys, anti-join against the warehouse, ledger, one
  transaction).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

import duckdb
import polars as pl

from bench.scales import orders_for


def run(scale: str, work: Path) -> dict[str, float]:
    from pipelines.ingest.simulate import simulate

    from pipelines.ingest.api import ingest_paths
    from pipelines.settings import get_settings

    sim = work / "simulated"
    started = time.perf_counter()
    summary = simulate(orders=orders_for(scale), days=730, seed=1, out=sim)
    simulate_s = time.perf_counter() - started

    lines = pl.concat(
        [
            pl.read_parquet(p) if p.suffix == ".parquet" else _read_any(p)
            for p in sorted(sim.glob("order_lines*"))
        ],
        how="diagonal_relaxed",
    )
    lines_file = work / "order_lines.parquet"
    lines.write_parquet(lines_file)
    n = lines.height
    del lines

    bare_db = work / "bare.duckdb"
    started = time.perf_counter()
    with duckdb.connect(str(bare_db)) as con:
        con.execute("CREATE TABLE order_lines AS SELECT * FROM read_parquet(?)", [str(lines_file)])
    bare_s = time.perf_counter() - started

    os.environ["ORDERLENS_DATA_DIR"] = str(work / "ol")
    settings = get_settings()
    parents = [p for p in sorted(sim.iterdir()) if not p.name.startswith("order_lines")]
    ingest_paths(
        [
            p
            for p in parents
            if p.name.split("__")[0].split(".")[0]
            in {"customers", "products", "suppliers", "warehouses", "orders"}
        ],
        settings=settings,
    )
    started = time.perf_counter()
    results = ingest_paths([lines_file], settings=settings)
    ingest_s = time.perf_counter() - started
    assert all(r.adds_up for r in results)
    return {
        "order_lines": n,
        "simulate_s": round(simulate_s, 2),
        "simulated_rows": sum(summary.rows.values()),
        "bare_load_s": round(bare_s, 2),
        "bare_rows_per_s": round(n / bare_s),
        "ingest_s": round(ingest_s, 2),
        "ingest_rows_per_s": round(n / ingest_s),
        "ingest_vs_bare": round(bare_s / ingest_s, 3),
    }


def _read_any(path: Path) -> pl.DataFrame:
    from pipelines.ingest.readers import read_file

    return read_file(path).drop("_source_row")


def main(scale: str) -> dict[str, float]:
    work = Path(tempfile.mkdtemp(prefix=f"orderlens-bench-ingest-{scale}-"))
    try:
        return run(scale, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
