"""A daily update built incrementally gives exactly what a full build of the same data gives.

One simulated business is split before its last days. Warehouse `daily` ingests the base,
runs `dbt build`, ingests the last days and runs `dbt build` again (the incremental models
take only what is new); warehouse `full` ingests the same two parts in the same order (so
the batch ids agree) and runs one `dbt build`. Every intermediate and mart table must hold
the same rows in both.
"""

# ruff: noqa: S608 - table and column names come from the catalogs themselves, not from input.

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from bench.build import split_last_days
from pipelines.ingest.api import ingest_paths
from pipelines.ingest.simulate import simulate
from pipelines.settings import Settings
from tests.fixtures.warehouse import run_dbt

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("incremental")]

SCHEMAS = ("intermediate", "marts")
# What a run re-derives, not what it derives: it differs between the two by design.
RUN_STATE = {("intermediate", "int_changed_orders")}


def _settings(folder: Path) -> Settings:
    return Settings(data_dir=folder, lock_timeout_s=30, source_timezone="UTC")


def _build(settings: Settings, work: Path) -> None:
    result = run_dbt(settings.warehouse_path, work, "build")
    assert result.returncode == 0, result.stdout[-4000:]


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("incremental")
    simulate(orders=2_500, days=120, seed=5, out=root / "sim")
    base, last_days = split_last_days(root / "sim", root / "split", days=2)
    daily, full = _settings(root / "daily"), _settings(root / "rebuilt")
    ingest_paths([base], settings=daily)
    _build(daily, root / "work-daily-1")
    ingest_paths([last_days], settings=daily)
    _build(daily, root / "work-daily-2")
    ingest_paths([base], settings=full)
    ingest_paths([last_days], settings=full)
    _build(full, root / "work-full")
    return daily.warehouse_path, full.warehouse_path


def _tables(con: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[str, str]]:
    return con.execute(
        "select schema_name, table_name from duckdb_tables() "
        "where database_name = $catalog and list_contains($schemas, schema_name) order by all",
        {"catalog": catalog, "schemas": list(SCHEMAS)},
    ).fetchall()


def _comparable(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """Columns to compare; doubles rounded (their sums may add up in another order)."""
    columns = con.execute(f"describe {table}").fetchall()
    return ", ".join(
        f"round({name}, 6) as {name}" if kind in ("DOUBLE", "FLOAT") else name
        for name, kind, *_ in columns
    )


def test_the_daily_update_builds_every_table_the_full_build_builds(warehouses):
    daily, full = warehouses
    with duckdb.connect() as con:
        con.execute(f"attach '{daily}' as daily (read_only)")
        con.execute(f"attach '{full}' as rebuilt (read_only)")
        assert _tables(con, "daily") == _tables(con, "rebuilt")
        assert len(_tables(con, "rebuilt")) > 20


def test_the_daily_update_equals_a_full_build_row_for_row(warehouses):
    daily, full = warehouses
    differing = {}
    with duckdb.connect() as con:
        con.execute(f"attach '{daily}' as daily (read_only)")
        con.execute(f"attach '{full}' as rebuilt (read_only)")
        for schema, table in set(_tables(con, "rebuilt")) - RUN_STATE:
            cols = _comparable(con, f"rebuilt.{schema}.{table}")
            a = f"select {cols} from daily.{schema}.{table}"
            b = f"select {cols} from rebuilt.{schema}.{table}"
            extra = con.execute(f"select count(*) from ({a} except all {b})").fetchone()
            missing = con.execute(f"select count(*) from ({b} except all {a})").fetchone()
            rows = con.execute(f"select count(*) from ({b})").fetchone()
            assert extra is not None and missing is not None and rows is not None
            if extra[0] or missing[0]:
                differing[f"{schema}.{table}"] = (extra[0], missing[0], rows[0])
    # table: (rows only the daily update has, rows only the full build has, rows in full)
    assert differing == {}
