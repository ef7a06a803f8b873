"""The warehouse file: the single writer lock, schema set-up, and publishing to serving files.

Only Dagster runs and the ingest CLI write `warehouse.duckdb`, and only while holding the
writer lock (`writer()`). Readers never open the warehouse: they open the newest published
serving file read-only (`serving_path()`), which a publish swaps in atomically.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from filelock import FileLock, Timeout

from pipelines.settings import Settings

OPS_DDL = [
    "CREATE SCHEMA IF NOT EXISTS raw",
    "CREATE SCHEMA IF NOT EXISTS ops",
    """CREATE TABLE IF NOT EXISTS ops.ingest_batches (
        batch_id BIGINT NOT NULL,
        source VARCHAR NOT NULL,
        file_sha256 VARCHAR,
        mapping VARCHAR,
        tables VARCHAR,
        status VARCHAR NOT NULL,
        started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP NOT NULL,
        rows_in BIGINT NOT NULL,
        rows_loaded BIGINT NOT NULL,
        rows_quarantined BIGINT NOT NULL,
        rows_duplicate BIGINT NOT NULL,
        rows_released BIGINT NOT NULL DEFAULT 0,
        message VARCHAR,
        rows_excluded BIGINT NOT NULL DEFAULT 0,
        mapping_digest VARCHAR,
        superseded_by BIGINT
    )""",
    """CREATE TABLE IF NOT EXISTS ops.ingest_batch_tables (
        batch_id BIGINT NOT NULL,
        table_name VARCHAR NOT NULL,
        rows_built BIGINT NOT NULL,
        rows_loaded BIGINT NOT NULL,
        rows_quarantined BIGINT NOT NULL,
        rows_duplicate BIGINT NOT NULL,
        rows_inserted BIGINT NOT NULL,
        rows_updated BIGINT NOT NULL,
        rows_released BIGINT NOT NULL DEFAULT 0
    )""",
    """CREATE TABLE IF NOT EXISTS ops.quarantine (
        quarantine_id BIGINT NOT NULL,
        batch_id BIGINT NOT NULL,
        source VARCHAR NOT NULL,
        source_row BIGINT,
        table_name VARCHAR NOT NULL,
        field VARCHAR,
        reason_code VARCHAR NOT NULL,
        reason VARCHAR NOT NULL,
        errors JSON,
        record JSON NOT NULL,
        source_tz VARCHAR,
        status VARCHAR NOT NULL,
        resolved_batch_id BIGINT,
        resolved_at TIMESTAMP,
        supplied_columns VARCHAR
    )""",
]


class WarehouseBusy(RuntimeError):
    """Another writer held the warehouse for longer than the lock timeout."""


def utcnow() -> datetime:
    """Naive UTC now, the form every `<event>_at` column is stored in."""
    return datetime.now(UTC).replace(tzinfo=None)


def _holder_path(settings: Settings) -> Path:
    return settings.lock_path.with_suffix(".holder")


@contextmanager
def writer_lock(settings: Settings, purpose: str = "write") -> Iterator[None]:
    """Hold the single writer lock; wait with a message, fail clearly after the timeout."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(settings.lock_path))
    holder = _holder_path(settings)
    try:
        lock.acquire(timeout=0)
    except Timeout:
        who = holder.read_text(encoding="utf-8") if holder.exists() else "another process"
        print(
            f"orderlens: the warehouse {settings.warehouse_path} is being written by {who}; "
            f"waiting up to {settings.lock_timeout_s:.0f} s (ORDERLENS_LOCK_TIMEOUT) ...",
            file=sys.stderr,
        )
        try:
            lock.acquire(timeout=settings.lock_timeout_s)
        except Timeout as exc:
            raise WarehouseBusy(
                f"the warehouse {settings.warehouse_path} is still locked by {who} after "
                f"{settings.lock_timeout_s:.0f} s; nothing was written. Try again when it "
                "has finished, or raise ORDERLENS_LOCK_TIMEOUT."
            ) from exc
    try:
        holder.write_text(f"{purpose} (pid {os.getpid()}, since {utcnow():%H:%M:%S} UTC)")
        yield
    finally:
        holder.unlink(missing_ok=True)
        lock.release()


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'ops' AND table_name = ?",
        [table],
    ).fetchall()
    return {str(r[0]) for r in rows}


def _migrate_ops(con: duckdb.DuckDBPyConnection) -> None:
    """Bring the ops tables of a warehouse made by an earlier version to today's columns.

    Idempotent: each step runs only while its column is missing. Exclusions were counted as
    quarantined rows before `rows_excluded` existed; they move to their own column (and a batch
    whose only non-loaded rows were exclusions becomes `loaded`).
    """
    batches = _columns(con, "ingest_batches")
    if "rows_excluded" not in batches:
        con.execute("ALTER TABLE ops.ingest_batches ADD COLUMN rows_excluded BIGINT DEFAULT 0")
        con.execute(
            "UPDATE ops.ingest_batches b SET rows_excluded = x.n, "
            "rows_quarantined = b.rows_quarantined - x.n, "
            "status = CASE WHEN b.status = 'partial' AND b.rows_quarantined = x.n "
            "THEN 'loaded' ELSE b.status END "
            "FROM (SELECT batch_id, count(*) AS n FROM ops.quarantine "
            "WHERE status = 'excluded' GROUP BY batch_id) x WHERE b.batch_id = x.batch_id"
        )
    con.execute("ALTER TABLE ops.ingest_batches ADD COLUMN IF NOT EXISTS mapping_digest VARCHAR")
    con.execute("ALTER TABLE ops.ingest_batches ADD COLUMN IF NOT EXISTS superseded_by BIGINT")
    con.execute("ALTER TABLE ops.quarantine ADD COLUMN IF NOT EXISTS supplied_columns VARCHAR")
    tables = _columns(con, "ingest_batch_tables")
    if "rows_in" in tables:
        con.execute("ALTER TABLE ops.ingest_batch_tables RENAME COLUMN rows_in TO rows_built")
    if "rows_loaded" not in tables:
        con.execute("ALTER TABLE ops.ingest_batch_tables ADD COLUMN rows_loaded BIGINT DEFAULT 0")
        con.execute("UPDATE ops.ingest_batch_tables SET rows_loaded = rows_inserted + rows_updated")


def init_warehouse(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw and ops schemas and tables, or bring older ones up to date (idempotent)."""
    from pipelines.ingest.contract import TABLES, create_table_sql, upgrade_table_sql

    for ddl in OPS_DDL:
        con.execute(ddl)
    _migrate_ops(con)
    for table in TABLES.values():
        con.execute(create_table_sql(table))
        existing = con.execute(
            "SELECT column_name, is_nullable FROM duckdb_columns() "
            "WHERE database_name = current_database() AND schema_name = 'raw' "
            "AND table_name = ?",
            [table.name],
        ).fetchall()
        for ddl in upgrade_table_sql(table, dict(existing)):
            con.execute(ddl)


@contextmanager
def writer(settings: Settings, purpose: str = "write") -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to the warehouse, under the writer lock, schemas ready."""
    with writer_lock(settings, purpose):
        con = duckdb.connect(str(settings.warehouse_path))
        try:
            init_warehouse(con)
            yield con
        finally:
            con.close()


# --- publishing -------------------------------------------------------------------------

POINTER = "CURRENT"
# What readers open in a serving file: the contracted marts (pages, reports) and the ingest
# ledger (the data-quality page; `orderlens status` and `orderlens quarantine` while a build
# holds the warehouse). The rest is the build's own (raw tables, staging views, intermediate
# state): it is not published.
PUBLISHED_SCHEMAS = ("marts", "ops")


def serving_path(settings: Settings) -> Path | None:
    """The published serving file readers should open, or None if nothing was published."""
    pointer = settings.serving_dir / POINTER
    if not pointer.exists():
        return None
    name = json.loads(pointer.read_text(encoding="utf-8"))["file"]
    path = settings.serving_dir / name
    return path if path.exists() else None


def serving_version(settings: Settings) -> dict[str, str] | None:
    """The pointer's content: file name, version and when it was published."""
    pointer = settings.serving_dir / POINTER
    if not pointer.exists():
        return None
    return json.loads(pointer.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def publish(settings: Settings, keep: int = 3) -> Path:
    """Copy the warehouse's published schemas to a new versioned serving file and switch the
    pointer to it.

    The caller must hold the writer lock and have closed its connection (DuckDB lets one
    process hold a file read-write, so the copy is of a checkpointed, closed file). Readers
    that opened an older version keep it until they reopen; the `keep` newest versions
    stay on disk so that no reader loses its file mid-query.
    """
    settings.serving_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("CHECKPOINT")
    stamp = utcnow()
    version = stamp.strftime("%Y%m%dT%H%M%S%fZ")
    target = settings.serving_dir / f"{version}.duckdb"
    tmp = target.with_suffix(".tmp")
    # The versions that will not stay beside the new one go while it is copied (the one the
    # pointer names stays): freeing a file of gigabytes takes the kernel most of a second,
    # which then overlaps the copy.
    cleaner = threading.Thread(target=_clean_old_versions, args=(settings, max(keep - 1, 1)))
    cleaner.start()
    try:
        shutil.copyfile(settings.warehouse_path, tmp)
    finally:
        cleaner.join()
    _keep_published_schemas(tmp)
    os.replace(tmp, target)
    pointer_tmp = settings.serving_dir / f".{POINTER}.{os.getpid()}.tmp"
    pointer_tmp.write_text(
        json.dumps({"file": target.name, "version": version, "published_at": stamp.isoformat()}),
        encoding="utf-8",
    )
    os.replace(pointer_tmp, settings.serving_dir / POINTER)
    _clean_old_versions(settings, keep)
    return target


def _keep_published_schemas(copy: Path) -> None:
    """Drop every schema of the copy that readers do not open (PUBLISHED_SCHEMAS).

    A whole-file copy, then drops: copying the marts table by table re-encodes every row
    (daily_sales alone, of 10 million order lines: about 18 s here on a busy machine), while
    the drops and their checkpoint on the copy take about 1 s.
    """
    with duckdb.connect(str(copy)) as con:
        dropped = con.execute(
            "SELECT schema_name FROM duckdb_schemas() "
            "WHERE database_name = current_database() AND NOT internal "
            "AND NOT list_contains($kept, schema_name)",
            {"kept": list(PUBLISHED_SCHEMAS)},
        ).fetchall()
        for (schema,) in dropped:
            drop = f'DROP SCHEMA "{schema}" CASCADE'  # a name from the catalog, not input
            con.execute(drop)


def _clean_old_versions(settings: Settings, keep: int) -> None:
    """Delete all but the `keep` newest versions, and leftovers of killed publishes."""
    files = sorted(settings.serving_dir.glob("*.duckdb"))
    for old in files[: max(len(files) - keep, 0)]:
        # A reader may still have it open: on POSIX the unlink leaves its handle valid.
        old.unlink(missing_ok=True)
        old.with_suffix(".duckdb.wal").unlink(missing_ok=True)
    # Leftovers of a publish that was killed between copy and rename.
    for tmp in settings.serving_dir.glob("*.tmp"):
        if time.time() - tmp.stat().st_mtime > 3600:
            tmp.unlink(missing_ok=True)
