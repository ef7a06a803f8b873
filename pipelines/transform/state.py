"""The transform layer's own build state: what the last dbt build left in the warehouse.

`intermediate.int_changes`, the dbt model that lists what each ingest batch changed, is the
incremental models' build state; only this layer reads it (readers see contracted marts).
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from pipelines.settings import Settings


def _build_state(warehouse: Path) -> tuple[bool, str | None]:
    """(whether dbt built intermediate tables here, the zone int_changes records or None)."""
    if not warehouse.exists():
        return False, None
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = {
            name
            for (name,) in con.sql(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'intermediate'"
            ).fetchall()
        }
        if "int_changes" not in tables:
            return bool(tables), None
        rows = con.sql(
            "SELECT business_timezone FROM intermediate.int_changes ORDER BY batch_id DESC LIMIT 1"
        ).fetchall()
    return True, str(rows[0][0]) if rows else None


def built_timezone(warehouse: Path) -> str | None:
    """The business time zone the incremental models were last built in (None: not built).

    `intermediate.int_changes`, the dbt model that lists what each ingest batch changed,
    records the zone its dates are in on every row; its newest batch's rows are the last
    build's.
    """
    return _build_state(warehouse)[1]


def _lake_build_state(tables: Path) -> tuple[bool, str | None]:
    """The same facts of a Spark build, from its intermediate tables' Parquet in the lake."""
    if not tables.exists() or not any(tables.iterdir()):
        return False, None
    files = sorted((tables / "int_changes").rglob("*.parquet"))
    if not files:
        return True, None
    with duckdb.connect() as con:
        rows = con.sql(
            "SELECT business_timezone FROM read_parquet($files) ORDER BY batch_id DESC LIMIT 1",
            params={"files": [str(f) for f in files]},
        ).fetchall()
    return True, str(rows[0][0]) if rows else None


def full_build_reason(settings: Settings) -> str | None:
    """Why the next dbt build must rebuild every incremental model, or None.

    Incremental models keep what they derived, dated in the business time zone they were
    built in: a build in another zone must re-derive everything. A warehouse built before
    int_changes existed has incremental tables without their build state. (A superseded
    batch needs no full build: int_changes lists it as a change of every date.)
    """
    if settings.engine == "spark":
        from pipelines.transform.lake import spark_warehouse

        built, built_in = _lake_build_state(spark_warehouse(settings) / "intermediate.db")
    else:
        built, built_in = _build_state(settings.warehouse_path)
    if built and built_in is None:
        return "the incremental models have no build state yet (built by an older OrderLens)"
    if built_in is not None and built_in != settings.business_timezone:
        return f"business time zone {built_in} -> {settings.business_timezone}"
    return None
