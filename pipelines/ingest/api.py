"""Ways in: files and folders (CLI, sensor), Polars frames (Python API), quarantine releases.

Every entry point takes the single writer lock, loads each batch in one transaction and
returns the ledger's account of it. A batch that cannot be read is rejected whole: nothing
of it is written, and the ledger records the rejection with the file, line and field.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

import duckdb
import polars as pl

from pipelines.ingest.coerce import ROW, MissingColumns
from pipelines.ingest.contract import TABLES
from pipelines.ingest.loader import Batch, BatchRejectedError, BatchResult, load_batch, record_batch
from pipelines.ingest.loader import release_waiting as _release
from pipelines.ingest.mapping import (
    MappedBatch,
    Mapping,
    apply_export,
    apply_mapping,
    load_mapping,
)
from pipelines.ingest.readers import (
    CSV_SUFFIXES,
    BatchRejected,
    file_sha256,
    list_input_files,
    read_file,
    table_for_path,
)
from pipelines.settings import Settings
from pipelines.warehouse import utcnow, writer

Progress = Callable[[str, int, int], None]  # (what, done, total)


def batch_from_file(path: Path, mapping: Mapping | None, source_tz: str) -> Batch:
    """Read one file into a Batch (raises BatchRejected when it cannot be read)."""
    sha = file_sha256(path)
    if mapping is not None:
        frame = read_file(path, **mapping.read_options())
        mapped = apply_mapping(frame, mapping, source=path.name)
        return _mapped_batch(str(path), mapped, mapping, sha, source_tz)
    table = table_for_path(path)
    if table is None:
        known = ", ".join(TABLES)
        raise BatchRejected(
            path.name,
            f"cannot tell which table this file is for: name it <table>.<ext> or "
            f"<table>__<part>.<ext> with <table> one of {known}, or pass --mapping",
        )
    frame = read_file(path)
    extra = sorted(set(frame.columns) - set(TABLES[table].columns) - {ROW})
    notes = [f"ignored column(s) not in the contract: {', '.join(extra)}"] if extra else []
    return Batch(
        source=str(path),
        frames={table: frame},
        primary=[table],
        source_rows=frame.height,
        file_sha256=sha,
        source_tz=source_tz,
        notes=notes,
    )


def _mapped_batch(
    source: str, mapped: MappedBatch, mapping: Mapping, sha: str, source_tz: str
) -> Batch:
    return Batch(
        source=source,
        frames=mapped.tables,
        primary=mapped.primary_tables,
        source_rows=mapped.source_rows,
        source_duplicates=mapped.duplicates.height,
        lookup_rows=mapped.lookup_rows,
        excluded=mapped.excluded,
        file_sha256=sha,
        mapping=mapping.name,
        mapping_digest=mapping.digest,
        partial_columns=mapped.partial_columns,
        source_tz=mapping.timezone or source_tz,
    )


def export_files(files: list[Path], mapping: Mapping, source: str) -> dict[str, Path]:
    """The one file of each part of a multi-file mapping (BatchRejected when not exactly one)."""
    chosen: dict[str, Path] = {}
    for name, part in mapping.parts.items():
        pattern = part.pattern or ""
        found = [f for f in files if fnmatch.fnmatch(f.name, pattern)]
        if len(found) != 1:
            what = (
                "no file"
                if not found
                else f"{len(found)} files ({', '.join(f.name for f in found)})"
            )
            raise BatchRejected(
                source, f"part {name!r} of mapping {mapping.name!r}: {what} match {pattern!r}"
            )
        chosen[name] = found[0]
    twice = [f for f in chosen.values() if list(chosen.values()).count(f) > 1]
    if twice:
        raise BatchRejected(source, f"{twice[0].name} matches the pattern of several parts")
    return chosen


def batch_from_export(files: list[Path], mapping: Mapping, source: str, source_tz: str) -> Batch:
    """Read the files of one export, described by a multi-file mapping, into ONE Batch."""
    chosen = export_files(files, mapping, source)
    frames = {
        name: (path.name, read_file(path, **mapping.read_options(name)))
        for name, path in chosen.items()
    }
    mapped = apply_export(mapping, frames)
    # The export's identity: its files' names and contents, in name order.
    pairs = sorted((path.name, file_sha256(path)) for path in chosen.values())
    sha = hashlib.sha256("\n".join(f"{n}\t{h}" for n, h in pairs).encode()).hexdigest()
    batch = _mapped_batch(source, mapped, mapping, sha, source_tz)
    ignored = sorted(f.name for f in set(files) - set(chosen.values()))
    if ignored:
        batch.notes.append(f"ignored file(s) matching no part: {', '.join(ignored)}")
    return batch


def _reject(
    con: duckdb.DuckDBPyConnection, source: str, message: str, sha: str | None
) -> BatchResult:
    started = utcnow()
    con.execute("BEGIN TRANSACTION")
    batch_id = int(
        con.sql("SELECT coalesce(max(batch_id), 0) + 1 FROM ops.ingest_batches").fetchall()[0][0]
    )
    result = BatchResult(batch_id=batch_id, source=source, status="rejected", message=message)
    record_batch(
        con,
        result,
        Batch(source=source, frames={}, primary=[], source_rows=0, file_sha256=sha),
        started,
    )
    con.execute("COMMIT")
    return result


def _load_one(
    con: duckdb.DuckDBPyConnection, make: Callable[[], Batch], source: str
) -> BatchResult:
    try:
        batch = make()
        try:
            return load_batch(con, batch)
        except MissingColumns as exc:
            raise _missing_columns(batch, exc) from exc
    except (BatchRejected, BatchRejectedError) as exc:
        return _reject(con, source, str(exc), None)


def _missing_columns(batch: Batch, exc: MissingColumns) -> BatchRejected:
    """The rejection of a batch without a required column, naming the first one.

    A file read as it is (no mapping) with a header row also gets that row's line, 1, so the
    message names file, line and field like every other rejection.
    """
    name = Path(batch.source).name
    with_header = name.lower().removesuffix(".gz").endswith((*CSV_SUFFIXES, ".xlsx"))
    line = 1 if with_header and batch.mapping is None else None
    return BatchRejected(name, str(exc), line=line, field=exc.columns[0])


def ingest_paths(
    paths: Iterable[Path],
    *,
    mapping: Path | None = None,
    settings: Settings,
    progress: Progress | None = None,
) -> list[BatchResult]:
    """Ingest files and folders (folders: parents before children), one batch per file.

    With a mapping of several files, all the files given make ONE batch: the export.
    """
    loaded_mapping = load_mapping(mapping) if mapping else None
    given = [Path(p) for p in paths]
    files = list_input_files(given)
    results: list[BatchResult] = []
    if loaded_mapping is not None and loaded_mapping.is_multi_file:
        source = ", ".join(map(str, given))
        with writer(settings, purpose="ingest") as con:
            if progress:
                progress(loaded_mapping.name, 0, 1)
            make = partial(
                batch_from_export, files, loaded_mapping, source, settings.source_timezone
            )
            results.append(_load_one(con, make, source))
            if progress:
                progress("done", 1, 1)
        return results
    with writer(settings, purpose="ingest") as con:
        for done, path in enumerate(files):
            if progress:
                progress(path.name, done, len(files))
            results.append(
                _load_one(
                    con,
                    lambda path=path: batch_from_file(
                        path, loaded_mapping, settings.source_timezone
                    ),
                    str(path),
                )
            )
        if progress:
            progress("done", len(files), len(files))
    return results


def ingest_frame(
    frame: pl.DataFrame,
    table: str,
    *,
    source: str = "python-api",
    settings: Settings,
) -> BatchResult:
    """Ingest a Polars frame of one canonical table (the Python API); one batch."""
    if table not in TABLES:
        raise ValueError(f"unknown table {table!r}; one of {', '.join(TABLES)}")
    if ROW not in frame.columns:
        frame = frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    batch = Batch(
        source=source,
        frames={table: frame},
        primary=[table],
        source_rows=frame.height,
        source_tz=settings.source_timezone,
        file_sha256=frame_digest(frame, table),
    )
    with writer(settings, purpose="ingest") as con:
        return _load_one(con, lambda: batch, source)


def frame_digest(frame: pl.DataFrame, table: str) -> str:
    """A content digest of a frame, so the same frame ingested twice is a no-op like a file."""
    digest = hashlib.sha256(f"{table}:{frame.columns}:{frame.dtypes}".encode())
    digest.update(frame.hash_rows(seed=0).to_numpy().tobytes())
    return "frame:" + digest.hexdigest()


def _still_quarantined(con: duckdb.DuckDBPyConnection, ids: list[int]) -> list[int]:
    """The given quarantine ids that are still held or waiting, in order."""
    if not ids:
        return []
    rows = con.sql(
        "SELECT quarantine_id FROM ops.quarantine "
        "WHERE status IN ('held', 'waiting') AND quarantine_id IN (SELECT unnest(?)) "
        "ORDER BY quarantine_id",
        params=[ids],
    ).fetchall()
    return [int(r[0]) for r in rows]


def release(
    ids: list[int] | None = None,
    *,
    batch_id: int | None = None,
    settings: Settings,
) -> BatchResult:
    """Retry quarantined rows (by id, or all of a batch) as a new batch of their own."""
    with writer(settings, purpose="quarantine release") as con:
        if batch_id is not None:
            ids = [
                int(r[0])
                for r in con.execute(
                    "SELECT quarantine_id FROM ops.quarantine "
                    "WHERE batch_id = ? AND status IN ('held', 'waiting')",
                    [batch_id],
                ).fetchall()
            ]
        asked = ids or []
        ids = _still_quarantined(con, asked)
        started = utcnow()
        con.execute("BEGIN TRANSACTION")
        try:
            new_id = int(
                con.sql("SELECT coalesce(max(batch_id), 0) + 1 FROM ops.ingest_batches").fetchall()[
                    0
                ][0]
            )
            result = BatchResult(
                batch_id=new_id, source="quarantine release", status="loaded", rows_in=len(ids)
            )
            released = _release(con, new_id, result, only=ids)
            result.rows_loaded = released
            result.rows_quarantined = len(ids) - released
            result.rows_released = released
            result.status = "partial" if result.rows_quarantined else "loaded"
            result.message = f"released {released} of {len(ids)} quarantined row(s)"
            if result.rows_quarantined:
                result.message += "; the rest still fail"
            ignored = sorted(set(asked) - set(ids))
            if ignored:  # not counted as rows: they are released already, or never existed
                listed = ", ".join(map(str, ignored))
                result.message += f"; ignored id(s) neither held nor waiting: {listed}"
            if not ids:
                result.status = "empty"
            record_batch(con, result, None, started)
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise
    return result
