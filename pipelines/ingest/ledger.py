"""Read-side of the ingest: the batch ledger and the quarantine, for the CLI and pages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import duckdb
import polars as pl

from pipelines.settings import Settings
from pipelines.warehouse import serving_path

LEDGER_SQL = """
SELECT batch_id, source, status, rows_in, rows_loaded, rows_quarantined, rows_duplicate,
       rows_excluded, rows_released, strftime(finished_at, '%Y-%m-%d %H:%M:%S') AS finished_at_utc,
       message
FROM ops.ingest_batches
ORDER BY batch_id DESC
LIMIT ?
"""


@contextmanager
def reader(settings: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """Read-only connection: the warehouse if free, else the newest published serving file."""
    if not settings.warehouse_path.exists():
        con = duckdb.connect()
        try:
            yield con
        finally:
            con.close()
        return
    try:
        con = duckdb.connect(str(settings.warehouse_path), read_only=True)
    except duckdb.IOException:
        published = serving_path(settings)
        if published is None:
            raise
        con = duckdb.connect(str(published), read_only=True)
    try:
        yield con
    finally:
        con.close()


def _has_ops(con: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        con.sql(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'ops'"
        ).fetchall()[0][0]
    )


def ledger(limit: int = 20, *, settings: Settings) -> pl.DataFrame:
    with reader(settings) as con:
        if not _has_ops(con):
            return pl.DataFrame()
        return con.sql(LEDGER_SQL, params=[limit]).pl()


def batch_tables(batch_id: int, *, settings: Settings) -> pl.DataFrame:
    """A batch's per-table ledger: the TABLE rows it built per table and their fates."""
    with reader(settings) as con:
        if not _has_ops(con):
            return pl.DataFrame()
        return con.sql(
            """
            SELECT table_name, rows_built, rows_loaded, rows_quarantined, rows_duplicate,
                   rows_inserted, rows_updated, rows_released
            FROM ops.ingest_batch_tables
            WHERE batch_id = ?
            ORDER BY table_name
            """,
            params=[batch_id],
        ).pl()


def quarantine_rows(
    batch_id: int | None = None,
    table_name: str | None = None,
    status: str = "all",
    limit: int = 50,
    *,
    settings: Settings,
) -> pl.DataFrame:
    with reader(settings) as con:
        if not _has_ops(con):
            return pl.DataFrame()
        return con.sql(
            """
            SELECT quarantine_id AS id, batch_id, source, source_row AS row, table_name,
                   field, reason_code, reason, status
            FROM ops.quarantine
            WHERE (CAST(? AS BIGINT) IS NULL OR batch_id = ?)
              AND (CAST(? AS VARCHAR) IS NULL OR table_name = ?)
              AND (? = 'all' OR status = ?)
            ORDER BY quarantine_id
            LIMIT ?
            """,
            params=[batch_id, batch_id, table_name, table_name, status, status, limit],
        ).pl()


def quarantine_row(quarantine_id: int, *, settings: Settings) -> dict[str, Any] | None:
    with reader(settings) as con:
        if not _has_ops(con):
            return None
        rows = con.sql(
            "SELECT * FROM ops.quarantine WHERE quarantine_id = ?", params=[quarantine_id]
        ).pl()
    return rows.to_dicts()[0] if rows.height else None
