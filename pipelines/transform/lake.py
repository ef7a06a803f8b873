"""The Spark build's data path: the warehouse's raw tables out to the lake, the marts back in.

The transactional ingest stays in DuckDB. Before a Spark build, `export_raw` appends to the
lake (`ORDERLENS_LAKE_URI`), as Parquet, the current row of every key that the batches since
the last export touched, with its `_batch_id` and an `is_deleted` flag: a key a superseding
batch removed gets its last row again, flagged deleted. Spark's staging keeps each key's newest
row (macros/lake.sql), so superseded batches and partial updates carry over. The ledger and
the quarantine (`ops.*`, small) are exported whole.

After the build, `collect_marts` copies the marts Spark wrote (Parquet in the lake) into the
warehouse's `marts` schema, each table created from its dbt contract (types, not null), since
dbt-spark enforces contracts only on Delta tables; publish then works as on DuckDB.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from pipelines.ingest.contract import TABLES
from pipelines.settings import Settings

RAW = "raw"
OPS_TABLES = ("ingest_batches", "quarantine")
MANIFEST = "_exported.json"


@dataclass(frozen=True)
class Export:
    """What one export wrote: the newest batch it covers and the rows per table."""

    batch_id: int
    full: bool
    rows: dict[str, int]
    deleted: dict[str, int]


def spark_warehouse(settings: Settings) -> Path:
    """Spark's warehouse folder: its tables as `<schema>.db/<table>` (profiles.yml)."""
    return settings.lake_dir / "spark-warehouse"


def _manifest(settings: Settings) -> dict[str, Any] | None:
    path = settings.lake_dir / RAW / MANIFEST
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _write_atomically(path: Path, write: Any) -> None:
    """Write a file under a temporary name (a killed export leaves no half file)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    write(tmp)
    os.replace(tmp, path)


def _columns(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ? ORDER BY column_index",
        [schema, table],
    ).fetchall()
    return [str(r[0]) for r in rows]


def export_raw(settings: Settings, full: bool = False) -> Export:
    """Append to the lake what the batches since the last export changed (all of it when
    `full`, when nothing was exported yet, or when the raw tables' columns changed).

    The caller holds the writer lock. Idempotent: a killed export is redone whole by the next
    (its manifest is written last), and a row written twice is the same row.
    """
    raw_dir = settings.lake_dir / RAW
    previous = _manifest(settings)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        newest = int(
            con.sql("SELECT coalesce(max(batch_id), -1) FROM ops.ingest_batches").fetchall()[0][0]
        )
        layout = {name: _columns(con, RAW, name) for name in TABLES}
        full = (
            full
            or previous is None
            or previous.get("columns") != layout
            # A warehouse made afresh numbers its batches from the start again.
            or int(previous["batch_id"]) > newest
        )
        since = -1 if full else int(previous["batch_id"])  # type: ignore[index]
        superseded = con.execute(
            "SELECT count(*) FROM ops.ingest_batches WHERE superseded_by > ?", [since]
        ).fetchall()[0][0]
        if full:
            shutil.rmtree(raw_dir, ignore_errors=True)
        rows: dict[str, int] = {}
        deleted: dict[str, int] = {}
        for name, table in TABLES.items():
            folder = raw_dir / name
            folder.mkdir(parents=True, exist_ok=True)
            target = folder / f"export-{newest + 1:012d}.parquet"
            # Identifiers from the contract allow-list; values are bound.
            changed = con.sql(
                f"SELECT *, false AS is_deleted FROM raw.{name} WHERE _batch_id > $since",  # noqa: S608
                params={"since": since},
            )
            parts = [changed]
            if not full and superseded and any(folder.glob("export-*.parquet")):
                parts.append(_deleted_keys(con, name, table.key, folder, newest))
            frame = parts[0].pl() if len(parts) == 1 else _concat(parts)
            rows[name] = frame.height
            deleted[name] = int(frame["is_deleted"].sum())
            # Every table has a file after a full export (Spark reads its schema from one).
            if frame.height or full:
                _write_atomically(target, frame.write_parquet)
        for name in OPS_TABLES:
            folder = settings.lake_dir / "ops" / name
            folder.mkdir(parents=True, exist_ok=True)
            frame = con.sql(f"SELECT * FROM ops.{name}").pl()  # noqa: S608
            _write_atomically(folder / "current.parquet", frame.write_parquet)
    manifest = {"batch_id": newest, "columns": layout}
    _write_atomically(
        raw_dir / MANIFEST, lambda p: p.write_text(json.dumps(manifest), encoding="utf-8")
    )
    return Export(batch_id=newest, full=full, rows=rows, deleted=deleted)


def _deleted_keys(
    con: duckdb.DuckDBPyConnection, name: str, key: tuple[str, ...], folder: Path, batch_id: int
) -> duckdb.DuckDBPyRelation:
    """The keys whose current row in the lake is gone from the warehouse (a superseding batch
    removed it): their last row again, flagged deleted, dated by this export's batch."""
    on = " AND ".join(f"r.{k} IS NOT DISTINCT FROM lake.{k}" for k in key)
    keys = ", ".join(key)
    return con.sql(
        f"SELECT * REPLACE ($batch AS _batch_id, true AS is_deleted) "  # noqa: S608
        f"FROM read_parquet($files) AS lake "
        f"QUALIFY row_number() OVER (PARTITION BY {keys} ORDER BY _batch_id DESC) = 1 "
        f"AND NOT is_deleted "
        f"AND NOT EXISTS (SELECT 1 FROM raw.{name} AS r WHERE {on})",
        params={"batch": batch_id, "files": str(folder / "export-*.parquet")},
    )


def _concat(parts: list[duckdb.DuckDBPyRelation]) -> pl.DataFrame:
    return pl.concat([part.pl() for part in parts], how="vertical_relaxed")


# --- collect ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MartContract:
    name: str
    columns: list[tuple[str, str, bool]]  # (column, SQL type, not null)


def mart_contracts(manifest: dict[str, Any]) -> list[MartContract]:
    """The marts of a dbt manifest with their contracts' columns (types, not null)."""
    marts = []
    for node in manifest["nodes"].values():
        if node["resource_type"] != "model" or node["schema"] != "marts":
            continue
        columns = []
        for column in node["columns"].values():
            not_null = any(c.get("type") == "not_null" for c in column.get("constraints", []))
            columns.append((column["name"], column.get("data_type") or "", not_null))
        marts.append(MartContract(node["name"], columns))
    return sorted(marts, key=lambda m: m.name)


def _quoted(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def collect_marts(settings: Settings, manifest_path: Path) -> dict[str, int]:
    """Copy every mart Spark wrote into the warehouse's `marts` schema; return rows per mart.

    Each table is made from its contract: the declared types (the Parquet values cast to
    them) and NOT NULL where the contract says so. The caller holds the writer lock.
    """
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    rows: dict[str, int] = {}
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        con.execute("BEGIN TRANSACTION")
        for mart in mart_contracts(manifest):
            folder = spark_warehouse(settings) / "marts.db" / mart.name
            files = sorted(folder.rglob("*.parquet"))
            # Names from the dbt manifest (the project's own models), not from input.
            table = f"marts.{_quoted(mart.name)}"
            if not mart.columns or not all(t for _, t, _ in mart.columns):
                raise ValueError(f"mart {mart.name} has no complete contract to collect it by")
            ddl = ", ".join(
                f"{_quoted(c)} {t}{' NOT NULL' if nn else ''}" for c, t, nn in mart.columns
            )
            con.execute(f"CREATE OR REPLACE TABLE {table} ({ddl})")
            if files:
                casts = ", ".join(f"CAST({_quoted(c)} AS {t})" for c, t, _ in mart.columns)
                names = ", ".join(_quoted(c) for c, _, _ in mart.columns)
                con.execute(
                    f"INSERT INTO {table} ({names}) SELECT {casts} "  # noqa: S608
                    "FROM read_parquet($files, hive_partitioning = true, union_by_name = true)",
                    {"files": [str(f) for f in files]},
                )
            rows[mart.name] = int(con.sql(f"SELECT count(*) FROM {table}").fetchall()[0][0])  # noqa: S608
        con.execute("COMMIT")
    return rows
