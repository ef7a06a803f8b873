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


def full_build_reason(settings: Settings) -> str | None:
    """Why the next dbt build must rebuild every incremental model, or None.

    Incremental models keep what they derived, dated in the business time zone they were
    built in: a build in another zone must re-derive everything. A warehouse built before
    int_changes existed has incremental tables without their build state. (A superseded
    batch needs no full build: int_changes lists it as a change of every date.)
    """
    built, built_in = _build_state(settings.warehouse_path)
    if built and built_in is None:
        return "the incremental models have no build state yet (built by an older OrderLens)"
    if built_in is not None and built_in != settings.business_timezone:
        return f"business time zone {built_in} -> {settings.business_timezone}"
    return None


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
    """Copy the warehouse to a new versioned serving file and switch the pointer to it.

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
    os.replace(tmp, target)
    pointer_tmp = settings.serving_dir / f".{POINTER}.{os.getpid()}.tmp"
    pointer_tmp.write_text(
        json.dumps({"file": target.name, "version": version, "published_at": stamp.isoformat()}),
        encoding="utf-8",
    )
    os.replace(pointer_tmp, settings.serving_dir / POINTER)
    _clean_old_versions(settings, keep)
    return target


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
