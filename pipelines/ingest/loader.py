"""The transactional batch loader: every row of a batch ends in exactly one place.

A batch (one file, one mapped file split into several tables, or one frame from the Python
API) is loaded in ONE DuckDB transaction:

1. each table, parents first: cast to the contract (`coerce`), validate (`validate`); a
   table a mapping updates in part first takes the columns it does not supply from the
   entity the warehouse holds (or the contract's defaults for a new entity);
2. give every row one fate: quarantined (a failed check, a key superseded later in the same
   batch, an unknown parent), duplicate (an exact copy of an earlier row of the batch, or of
   what the warehouse already holds), or loaded (inserted, or an entity's new version); a
   mapping's exclusions are a fate of their own (kept in the quarantine as `excluded`);
3. write raw rows, quarantine rows and the ledger, then release waiting rows whose parents
   this batch brought;
4. commit. A crash before the commit leaves the warehouse exactly as it was.

A batch's identity is its files' digest plus its mapping's digest. The same files with the
same mapping change nothing (`already_loaded`); the same files with another mapping replace
the earlier batch in the same transaction (`_supersede`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import duckdb
import polars as pl

from pipelines.ingest.coerce import FILE, IDX, ROW, coerce, no_errors
from pipelines.ingest.contract import TABLES, Table, load_rank
from pipelines.ingest.validate import validate
from pipelines.warehouse import utcnow

FATE = "_fate"
LOADED, DUPLICATE, QUARANTINED = "loaded", "duplicate", "quarantined"
# A source row with several table rows takes the first of these its rows have.
_FATE_ORDER = (QUARANTINED, LOADED, DUPLICATE)
ACTIVE = ("loaded", "partial", "empty")  # ledger statuses of batches whose rows count


@dataclass
class TableStats:
    """Fates of the TABLE rows a batch built for one table (`ops.ingest_batch_tables`)."""

    built: int = 0
    inserted: int = 0
    updated: int = 0
    quarantined: int = 0
    duplicate: int = 0
    released: int = 0

    @property
    def loaded(self) -> int:
        return self.inserted + self.updated


@dataclass
class Batch:
    """What a reader or a mapping hands to the loader."""

    source: str
    frames: dict[str, pl.DataFrame]  # canonical table -> rows (+ `_source_row`)
    primary: list[str]  # tables whose rows are the batch's rows, one for one
    source_rows: int
    source_duplicates: int = 0  # exact duplicate source rows a mapping dropped
    lookup_rows: int = 0  # rows of looked-up files that matched a row (loaded through it)
    excluded: pl.DataFrame | None = None  # `_source_row`, `reason`, `record` (mapping rules)
    file_sha256: str | None = None  # digest of the batch's file(s)
    mapping: str | None = None
    mapping_digest: str | None = None  # with file_sha256, the batch's identity
    # Tables a mapping updates in part -> the contract columns it supplies.
    partial_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)
    source_tz: str = "UTC"
    notes: list[str] = field(default_factory=list)


@dataclass
class BatchResult:
    batch_id: int
    source: str
    status: str  # loaded | partial | empty | already_loaded | rejected (| superseded later)
    rows_in: int = 0  # SOURCE rows; each has one fate:
    rows_loaded: int = 0
    rows_quarantined: int = 0
    rows_duplicate: int = 0
    rows_excluded: int = 0
    rows_released: int = 0  # rows of earlier batches this batch loaded from the quarantine
    tables: dict[str, TableStats] = field(default_factory=dict)
    message: str = ""
    supersedes: int | None = None  # the batch of the same files this one replaced

    @property
    def adds_up(self) -> bool:
        fates = self.rows_loaded + self.rows_quarantined + self.rows_duplicate + self.rows_excluded
        return self.rows_in == fates


class BatchRejectedError(Exception):
    """A batch that cannot be loaded at all; nothing of it was written."""


# --- one table -----------------------------------------------------------------------------


@dataclass
class _TableOutcome:
    stats: TableStats
    fates: pl.DataFrame  # IDX, FATE
    quarantine: pl.DataFrame  # IDX, field, reason_code, reason, errors (JSON), status


def _quarantine_frame(errors: pl.DataFrame, status: str) -> pl.DataFrame:
    """One quarantine row per failing input row, from its error rows (IDX, field, ...)."""
    return (
        errors.group_by(IDX, maintain_order=True)
        .agg(
            pl.col("field").first(),
            pl.col("reason_code").first(),
            pl.format("{}: {}", "field", "reason").str.join("; ").alias("reason"),
            pl.struct("field", "reason_code", "reason")
            .struct.json_encode()
            .str.join(",")
            .alias("errors"),
        )
        .with_columns(pl.format("[{}]", "errors").alias("errors"), pl.lit(status).alias("status"))
    )


def _fk_orphans(con: duckdb.DuckDBPyConnection, rows: pl.DataFrame, table: Table) -> pl.DataFrame:
    """Error rows for rows whose non-null foreign key matches no row of its parent."""
    found: list[pl.DataFrame] = []
    for column, (parent, parent_col) in table.parents.items():
        probe = rows.select(IDX, pl.col(column).alias("value")).filter(
            pl.col("value").is_not_null()
        )
        if probe.is_empty():
            continue
        con.register("_probe", probe.to_arrow())
        sql = (  # identifiers come from the contract, never from input
            f"SELECT p.{IDX}, p.value FROM _probe p "  # noqa: S608
            f"ANTI JOIN raw.{parent} k ON p.value = k.{parent_col}"
        )
        orphans = con.sql(sql).pl()
        con.unregister("_probe")
        if orphans.height:
            found.append(
                orphans.select(
                    pl.col(IDX).cast(pl.UInt32),
                    pl.lit(column).alias("field"),
                    pl.lit("unknown_parent").alias("reason_code"),
                    pl.format(
                        "no {} with {} {}", pl.lit(parent), pl.lit(parent_col), "value"
                    ).alias("reason"),
                )
            )
    if not found:
        return no_errors()
    return pl.concat(found).unique(IDX, keep="first", maintain_order=True)


def _in_batch_copies(
    good: pl.DataFrame, table: Table
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Split rows sharing a key within the batch: (kept rows, exact copies, superseded errors).

    An exact copy of an earlier row is a duplicate; otherwise the last row of a key is the
    newest version and the earlier ones are quarantined as superseded.
    """
    key = list(table.key)
    # A 64-bit hash of the key finds candidates fast; the exact checks below run on them only.
    key_hash = pl.struct(key).hash()
    hashes = good.select(IDX, key_hash.alias("_h"))
    candidates = hashes.filter(pl.col("_h").is_duplicated())
    if candidates.is_empty():
        return good, good.clear().select(IDX), no_errors()
    shared = good.join(candidates.select(IDX), on=IDX, how="semi")
    shared = shared.filter(pl.struct(key).is_duplicated())
    is_copy = ~pl.struct(table.columns).is_first_distinct()
    copies = shared.filter(is_copy).select(IDX)
    distinct = shared.filter(~is_copy)
    superseded = distinct.filter(~pl.struct(key).is_last_distinct()).with_columns(
        pl.col(ROW).last().over(key).alias("_by")
    )
    errors = superseded.select(
        IDX,
        pl.lit(",".join(key)).alias("field"),
        pl.lit("duplicate_key").alias("reason_code"),
        pl.format("same key as row {}, which supersedes it", pl.col("_by")).alias("reason"),
    )
    dropped = pl.concat([copies, superseded.select(IDX)])
    return good.join(dropped, on=IDX, how="anti"), copies, errors


def _keep_unsupplied(
    con: duckdb.DuckDBPyConnection, typed: pl.DataFrame, table: Table, supplied: tuple[str, ...]
) -> pl.DataFrame:
    """Fill the columns a partial mapping does not supply.

    An entity the warehouse holds keeps its values; a new one gets the contract's defaults,
    and a required column without a default stays null, so validation quarantines the row
    naming that field.
    """
    kept = [c for c in table.columns if c not in supplied]
    if not kept:
        return typed
    key = list(table.key)
    con.register("_keys", typed.select(key).drop_nulls().unique().to_arrow())
    join_on = " AND ".join(f"i.{k} = r.{k}" for k in key)
    names = ", ".join(f"r.{c}" for c in [*key, *kept])  # identifiers from the contract
    sql = f"SELECT {names}, true AS _exists FROM raw.{table.name} r SEMI JOIN _keys i ON {join_on}"  # noqa: S608
    existing = con.sql(sql).pl().with_columns(pl.col(c).cast(table.dtype(c)) for c in key)
    con.unregister("_keys")
    merged = typed.drop(kept).join(existing, on=key, how="left", maintain_order="left")
    filled = [
        pl.when(pl.col("_exists"))
        .then(pl.col(c).cast(table.dtype(c)))
        .otherwise(pl.lit(table.defaults.get(c)).cast(table.dtype(c)))
        .alias(c)
        for c in kept
    ]
    return merged.with_columns(filled).select(*table.columns, ROW, IDX)


def _load_table(
    con: duckdb.DuckDBPyConnection,
    batch_id: int,
    table: Table,
    frame: pl.DataFrame,
    source_tz: str,
    supplied: tuple[str, ...] | None = None,
    replaces: int | None = None,
) -> _TableOutcome:
    """Cast, validate, de-duplicate, check parents and write one table's rows (no commit).

    supplied: the columns a partial mapping gives (the others are kept, `_keep_unsupplied`).
    replaces: the batch this one supersedes: its rows are replaced, not duplicates, while
    an entity version a later batch wrote stays.
    """
    if supplied is not None:  # unsupplied columns come as nulls: no defaults, no rejection
        frame = frame.with_columns(
            pl.lit(None).alias(c) for c in table.columns if c not in frame.columns
        )
    typed, cast_errors = coerce(frame, table, source_tz)
    if supplied is not None:
        typed = _keep_unsupplied(con, typed, table, supplied)
    errors = pl.concat([cast_errors, validate(typed, table, cast_errors)])
    cols = table.columns
    stats = TableStats(built=typed.height)
    quarantine = [_quarantine_frame(errors, "held")]
    good = typed.join(errors.select(IDX), on=IDX, how="anti") if errors.height else typed

    good, copies, superseded = _in_batch_copies(good, table)
    quarantine.append(_quarantine_frame(superseded, "held"))

    # Parents: a row whose parent is unknown waits for a later batch to bring it.
    if table.parents:
        orphans = _fk_orphans(con, good, table)
        if orphans.height:
            quarantine.append(_quarantine_frame(orphans, "waiting"))
            good = good.join(orphans.select(IDX), on=IDX, how="anti")

    # Against the warehouse: identical rows are duplicates; entities' new versions replace;
    # the rows of a superseded batch are replaced; a version a later batch wrote stays.
    new_rows = good.select(IDX, *cols)
    target = f"raw.{table.name}"  # from the contract allow-list
    join_on = " AND ".join(f"i.{k} = r.{k}" for k in table.key)
    probe_sql = f"SELECT count(*) FROM (SELECT 1 FROM {target} LIMIT 1)"  # noqa: S608
    states = pl.DataFrame(schema={IDX: pl.UInt32, "state": pl.String})
    con.register("_incoming", new_rows.to_arrow())
    if new_rows.height and con.sql(probe_sql).fetchall()[0][0]:
        same = " AND ".join(f"i.{c} IS NOT DISTINCT FROM r.{c}" for c in cols)
        state_sql = (
            f"SELECT i.{IDX}, CASE WHEN r._batch_id = $old THEN 'replace' "  # noqa: S608
            f"WHEN r._batch_id > $old THEN 'newer' "
            f"WHEN {same} THEN 'same' ELSE 'changed' END AS state "
            f"FROM _incoming i JOIN {target} r ON {join_on}"
        )
        states = (
            con.sql(state_sql, params={"old": replaces})
            .pl()
            .with_columns(pl.col(IDX).cast(pl.UInt32))
        )
    state = pl.col("state")
    if table.kind == "event":  # events are facts: a key seen before is the same event
        dup_idx = states.filter(state != "replace").select(IDX)
        changed = states.filter(state == "replace").select(IDX)
    else:
        dup_idx = states.filter(state.is_in(["same", "newer"])).select(IDX)
        changed = states.filter(state.is_in(["changed", "replace"])).select(IDX)
    if changed.height:
        con.register("_changed", new_rows.join(changed, on=IDX, how="semi").to_arrow())
        delete_sql = f"DELETE FROM {target} r USING _changed i WHERE {join_on}"  # noqa: S608
        con.execute(delete_sql)
        con.unregister("_changed")
        stats.updated = states.filter(state == "changed").height if table.kind != "event" else 0
    to_write = new_rows.join(dup_idx, on=IDX, how="anti") if dup_idx.height else new_rows
    if to_write.height:
        con.register("_write", to_write.to_arrow())
        col_list = ", ".join(cols)
        insert_sql = (
            f"INSERT INTO {target} ({col_list}, _batch_id) SELECT {col_list}, ? FROM _write"  # noqa: S608
        )
        con.execute(insert_sql, [batch_id])
        con.unregister("_write")
    con.unregister("_incoming")
    stats.inserted = to_write.height - stats.updated

    quarantined = pl.concat(quarantine)
    stats.quarantined = quarantined.height
    stats.duplicate = copies.height + dup_idx.height
    fates = pl.concat(
        [
            quarantined.select(IDX, pl.lit(QUARANTINED).alias(FATE)),
            pl.concat([copies, dup_idx]).select(IDX, pl.lit(DUPLICATE).alias(FATE)),
            to_write.select(IDX, pl.lit(LOADED).alias(FATE)),
        ]
    )
    return _TableOutcome(stats=stats, fates=fates, quarantine=quarantined)


# --- a whole batch -----------------------------------------------------------------------


def _records(frame: pl.DataFrame, idx: pl.DataFrame) -> pl.DataFrame:
    """IDX and the original values of the given rows, as JSON text."""
    original = frame.with_row_index(IDX).join(idx.select(IDX), on=IDX, how="semi")
    values = [c for c in original.columns if c not in (IDX, ROW, FILE)]
    return original.select(
        IDX,
        pl.col(ROW).alias("source_row"),
        *([FILE] if FILE in original.columns else []),
        pl.struct(pl.col(values).cast(pl.String)).struct.json_encode().alias("record"),
    )


def _next_id(con: duckdb.DuckDBPyConnection, table: str, column: str) -> int:
    sql = f"SELECT coalesce(max({column}), 0) + 1 FROM ops.{table}"  # noqa: S608 (fixed names)
    return int(con.sql(sql).fetchall()[0][0])


def _write_quarantine(
    con: duckdb.DuckDBPyConnection,
    batch_id: int,
    source: str,
    table: str,
    rows: pl.DataFrame,
    source_tz: str,
    supplied: tuple[str, ...] | None = None,
) -> None:
    """Write quarantine rows; `supplied`: the columns a partial mapping gave (for a release)."""
    if rows.is_empty():
        return
    first = _next_id(con, "quarantine", "quarantine_id")
    out = rows.select(
        (pl.int_range(pl.len(), dtype=pl.Int64) + first).alias("quarantine_id"),
        pl.lit(batch_id, pl.Int64).alias("batch_id"),
        (pl.col(FILE) if FILE in rows.columns else pl.lit(source)).alias("source"),
        pl.col("source_row").cast(pl.Int64),
        pl.lit(table).alias("table_name"),
        "field",
        "reason_code",
        "reason",
        pl.col("errors") if "errors" in rows.columns else pl.lit("[]").alias("errors"),
        "record",
        pl.lit(source_tz).alias("source_tz"),
        "status",
        pl.lit(",".join(supplied) if supplied is not None else None, pl.String).alias(
            "supplied_columns"
        ),
    )
    con.register("_q", out.to_arrow())
    con.execute(
        "INSERT INTO ops.quarantine (quarantine_id, batch_id, source, source_row, table_name, "
        "field, reason_code, reason, errors, record, source_tz, status, supplied_columns) "
        "SELECT * FROM _q"
    )
    con.unregister("_q")


def previous_load(
    con: duckdb.DuckDBPyConnection, sha256: str
) -> tuple[int, int, str | None] | None:
    """(batch_id, rows_in, mapping_digest) of the batch whose rows of these files count now."""
    rows = con.execute(
        "SELECT batch_id, rows_in, mapping_digest FROM ops.ingest_batches WHERE file_sha256 = ? "
        "AND status IN (SELECT unnest(?)) ORDER BY batch_id DESC LIMIT 1",
        [sha256, list(ACTIVE)],
    ).fetchall()
    return (int(rows[0][0]), int(rows[0][1]), rows[0][2]) if rows else None


def record_batch(
    con: duckdb.DuckDBPyConnection, result: BatchResult, batch: Batch | None, started
) -> None:
    con.execute(
        "INSERT INTO ops.ingest_batches (batch_id, source, file_sha256, mapping, mapping_digest, "
        "tables, status, started_at, finished_at, rows_in, rows_loaded, rows_quarantined, "
        "rows_duplicate, rows_excluded, rows_released, message) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            result.batch_id,
            result.source,
            batch.file_sha256 if batch else None,
            batch.mapping if batch else None,
            batch.mapping_digest if batch else None,
            ",".join(result.tables) or None,
            result.status,
            started,
            utcnow(),
            result.rows_in,
            result.rows_loaded,
            result.rows_quarantined,
            result.rows_duplicate,
            result.rows_excluded,
            result.rows_released,
            result.message or None,
        ],
    )
    for name, stats in result.tables.items():
        con.execute(
            "INSERT INTO ops.ingest_batch_tables (batch_id, table_name, rows_built, rows_loaded, "
            "rows_quarantined, rows_duplicate, rows_inserted, rows_updated, rows_released) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                result.batch_id,
                name,
                stats.built,
                stats.loaded,
                stats.quarantined,
                stats.duplicate,
                stats.inserted,
                stats.updated,
                stats.released,
            ],
        )


def _already_loaded(
    con: duckdb.DuckDBPyConnection, batch: Batch, earlier: tuple[int, int, str | None], started
) -> BatchResult:
    con.execute("BEGIN TRANSACTION")
    result = BatchResult(
        batch_id=_next_id(con, "ingest_batches", "batch_id"),
        source=batch.source,
        status="already_loaded",
        rows_in=earlier[1],
        rows_duplicate=earlier[1],
        message=f"same file as batch {earlier[0]}: nothing to do",
    )
    record_batch(con, result, batch, started)
    con.execute("COMMIT")
    return result


def _write_exclusions(con: duckdb.DuckDBPyConnection, batch_id: int, batch: Batch) -> int:
    """Keep the rows a mapping excluded (status `excluded`, the route's reason); how many."""
    if batch.excluded is None or batch.excluded.is_empty():
        return 0
    excluded = batch.excluded.with_columns(
        pl.lit(None, pl.String).alias("field"),
        pl.lit("excluded_by_mapping").alias("reason_code"),
        pl.lit("excluded").alias("status"),
    ).rename({ROW: "source_row"})
    _write_quarantine(con, batch_id, batch.source, "(mapping)", excluded, batch.source_tz)
    return excluded.height


def _source_fates(routed: list[tuple[pl.DataFrame, pl.DataFrame]], expected: int) -> dict[str, int]:
    """Fate -> number of SOURCE rows, from the route tables' frames and their rows' fates.

    One table row per source row is the usual case and is counted as it is; where a source
    row made several (joins, unpivots) it takes the first fate of _FATE_ORDER its rows have.
    """
    empty = pl.DataFrame(schema={ROW: pl.Int64, FATE: pl.String})
    if sum(frame.height for frame, _ in routed) == expected:
        rows = pl.concat([fates.select(FATE) for _, fates in routed]) if routed else empty
    else:
        rank = pl.col(FATE).replace_strict(_FATE_ORDER, list(range(len(_FATE_ORDER))))
        rows = (
            pl.concat(
                [
                    fates.join(_origin(frame).with_row_index(IDX), on=IDX).select(FILE, ROW, FATE)
                    for frame, fates in routed
                ]
            )
            .with_columns(rank.alias("_rank"))
            .group_by(FILE, ROW)
            .agg(pl.col(FATE).sort_by("_rank").first())
        )
    counts = rows.group_by(FATE).len()
    return dict(zip(counts[FATE].to_list(), counts["len"].to_list(), strict=True))


def _origin(frame: pl.DataFrame) -> pl.DataFrame:
    """The source row of each table row: its file's row (row numbers repeat across files)."""
    file = pl.col(FILE) if FILE in frame.columns else pl.lit("")
    return frame.select(file.alias(FILE), pl.col(ROW).cast(pl.Int64))


def _supersede(con: duckdb.DuckDBPyConnection, old: int) -> None:
    """Before the new load: retire the quarantine of the batch being replaced.

    Its held, waiting and excluded rows become `superseded` (the new batch accounts for its
    rows afresh). Rows of other batches it released go back to waiting: the raw rows it wrote
    for them are removed with its own (`_drop_rows_of`) and the new batch releases them again
    when their parents are still there.
    """
    con.execute(
        "UPDATE ops.quarantine SET status = 'superseded' WHERE batch_id = $old "
        "AND (status IN ('held', 'waiting', 'excluded') OR resolved_batch_id = $old)",
        {"old": old},
    )
    con.execute(
        "UPDATE ops.quarantine SET status = 'waiting', resolved_batch_id = NULL, "
        "resolved_at = NULL WHERE resolved_batch_id = ? AND status = 'released'",
        [old],
    )


def _drop_rows_of(con: duckdb.DuckDBPyConnection, old: int) -> None:
    """After the new load: the current versions the replaced batch wrote and the new batch
    did not rewrite go (versions a later batch wrote carry its id and stay)."""
    for name in sorted(TABLES, key=load_rank, reverse=True):
        con.execute(f"DELETE FROM raw.{name} WHERE _batch_id = ?", [old])  # noqa: S608


def load_batch(con: duckdb.DuckDBPyConnection, batch: Batch) -> BatchResult:
    """Load one batch in one transaction and record it in the ledger. Caller holds the lock."""
    started = utcnow()
    earlier = previous_load(con, batch.file_sha256) if batch.file_sha256 else None
    if earlier and earlier[2] == batch.mapping_digest:
        return _already_loaded(con, batch, earlier, started)
    replaces = earlier[0] if earlier else None

    unknown = sorted(set(batch.frames) - set(TABLES))
    if unknown:
        raise BatchRejectedError(f"{batch.source}: unknown table(s) {', '.join(unknown)}")
    con.execute("BEGIN TRANSACTION")
    try:
        batch_id = _next_id(con, "ingest_batches", "batch_id")
        result = BatchResult(batch_id=batch_id, source=batch.source, status="loaded")
        result.rows_in = batch.source_rows
        result.rows_duplicate = batch.source_duplicates
        result.rows_loaded = batch.lookup_rows
        if replaces is not None:
            _supersede(con, replaces)
        result.rows_excluded = _write_exclusions(con, batch_id, batch)
        routed: list[tuple[pl.DataFrame, pl.DataFrame]] = []  # (frame, fates) of route tables
        for name in sorted(batch.frames, key=load_rank):
            frame = batch.frames[name]
            supplied = batch.partial_columns.get(name)
            outcome = _load_table(
                con,
                batch_id,
                TABLES[name],
                frame,
                batch.source_tz,
                supplied=supplied,
                replaces=replaces,
            )
            result.tables[name] = outcome.stats
            if outcome.quarantine.height:
                records = _records(frame, outcome.quarantine)
                _write_quarantine(
                    con,
                    batch_id,
                    batch.source,
                    name,
                    outcome.quarantine.join(records, on=IDX),
                    batch.source_tz,
                    supplied,
                )
            if name in batch.primary:
                routed.append((frame, outcome.fates))
        expected = (
            batch.source_rows - batch.source_duplicates - result.rows_excluded - batch.lookup_rows
        )
        by = _source_fates(routed, expected)
        result.rows_loaded += by.get(LOADED, 0)
        result.rows_quarantined += by.get(QUARANTINED, 0)
        result.rows_duplicate += by.get(DUPLICATE, 0)
        if replaces is not None:
            _drop_rows_of(con, replaces)
            con.execute(
                "UPDATE ops.ingest_batches SET status = 'superseded', superseded_by = ? "
                "WHERE batch_id = ?",
                [batch_id, replaces],
            )
            result.supersedes = replaces
        result.rows_released = release_waiting(con, batch_id, result)
        if batch.source_rows == 0:
            result.status = "empty"
        elif result.rows_quarantined:
            result.status = "partial"
        notes = list(batch.notes)
        if replaces is not None:
            notes.insert(0, f"replaces batch {replaces} (same file, changed mapping)")
        result.message = "; ".join(notes)
        if not result.adds_up:
            raise AssertionError(f"ledger does not add up for {batch.source}: {result}")
        record_batch(con, result, batch, started)
        con.execute("COMMIT")
        return result
    except BaseException:
        con.execute("ROLLBACK")
        raise


def release_waiting(
    con: duckdb.DuckDBPyConnection,
    batch_id: int,
    result: BatchResult | None = None,
    only: list[int] | None = None,
) -> int:
    """Load quarantined rows whose reason is gone (parents now present); return how many.

    Without `only`, the rows waiting for a parent are retried (repeatedly, so that a line
    waiting for an order waiting for a customer follows it). With `only`, the given
    quarantine ids are retried whatever their reason (a user's explicit release).
    """
    released = 0
    while True:
        if only is None:
            pending = con.sql(
                "SELECT quarantine_id, table_name, source_row, record, source_tz, "
                "supplied_columns FROM ops.quarantine "
                "WHERE status = 'waiting' ORDER BY quarantine_id"
            ).pl()
        else:
            # `con.sql` with params: DuckDB 2.0's `execute()` returns the connection, no `.pl()`.
            pending = con.sql(
                "SELECT quarantine_id, table_name, source_row, record, source_tz, "
                "supplied_columns FROM ops.quarantine "
                "WHERE status IN ('waiting', 'held') AND quarantine_id IN (SELECT unnest(?)) "
                "ORDER BY quarantine_id",
                params=[only],
            ).pl()
        if pending.is_empty():
            return released
        progress = 0
        groups = (
            pending.select("table_name", "source_tz", "supplied_columns")
            .unique()
            .filter(pl.col("table_name").is_in(list(TABLES)))
        )
        ordered = sorted(groups.iter_rows(), key=lambda g: load_rank(g[0]))
        for name, tz, supplied in ordered:
            part = pending.filter(
                (pl.col("table_name") == name)
                & pl.col("source_tz").eq_missing(tz)
                & pl.col("supplied_columns").eq_missing(supplied)
            )
            frame = pl.DataFrame(
                [json.loads(r) for r in part["record"]], infer_schema_length=None
            ).with_columns(part["source_row"].alias(ROW))
            frame = frame.with_columns(pl.all().exclude(ROW).cast(pl.String))
            outcome = _load_table(
                con,
                batch_id,
                TABLES[name],
                frame,
                tz or "UTC",
                supplied=tuple(supplied.split(",")) if supplied else None,
            )
            done = part.with_row_index(IDX).join(
                outcome.fates.filter(pl.col(FATE) != QUARANTINED), on=IDX
            )
            if done.height:
                con.execute(
                    "UPDATE ops.quarantine SET status = 'released', resolved_batch_id = ?, "
                    "resolved_at = ? WHERE quarantine_id IN (SELECT unnest(?))",
                    [batch_id, utcnow(), done["quarantine_id"].to_list()],
                )
            if result is not None and done.height:
                stats = result.tables.setdefault(name, TableStats())
                stats.released += done.height
            progress += done.height
        released += progress
        if progress == 0 or only is not None:
            return released
