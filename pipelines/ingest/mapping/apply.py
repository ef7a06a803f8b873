"""Applying a mapping to the read files of one export: every source row is accounted for."""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from pipelines.ingest.coerce import FILE
from pipelines.ingest.contract import load_rank
from pipelines.ingest.mapping.exprs import (
    Formats,
    agg_expr,
    derived_expr,
    parse_exprs,
    parsed,
    row_expr,
)
from pipelines.ingest.mapping.spec import SINGLE, Derived, Join, Mapping, Part, TableMapping, Value
from pipelines.ingest.readers import ROW, BatchRejected

_ROUTE = "__mapping_route"
_KEY = "__mapping_join_key_"
_SUM_TYPE = pl.Decimal(38, 9)  # text summed exactly; the loader casts to the contract


@dataclass
class MappedBatch:
    tables: dict[str, pl.DataFrame]  # contract table -> contract columns + `_source_row`
    primary_tables: list[str]  # fed 1:1 by routes
    duplicates: pl.DataFrame  # `_source_row` of identical source rows (dropped)
    excluded: pl.DataFrame  # `_source_row`, `reason`, `record` (JSON of the original values)
    source_rows: int  # rows read, all files
    lookup_rows: int = 0  # rows of looked-up-only parts that matched a row they were joined to
    partial_columns: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def adds_up(self) -> bool:
        primary = sum(self.tables[t].height for t in self.primary_tables)
        accounted = primary + self.duplicates.height + self.excluded.height + self.lookup_rows
        return self.source_rows == accounted


def apply_mapping(df: pl.DataFrame, mapping: Mapping, source: str) -> MappedBatch:
    """Map one read file with a single-file mapping."""
    return apply_export(mapping, {SINGLE: (source, df)})


def apply_export(mapping: Mapping, files: dict[str, tuple[str, pl.DataFrame]]) -> MappedBatch:
    """Map the read files of one export (part -> (file name, rows)) onto contract tables."""
    run = _Run(mapping)
    for name, part in mapping.parts.items():
        source, frame = files[name]
        run.add_part(part, source, frame)
    for name in mapping.parts:
        run.prepare(name)
    return run.result()


def _formats(mapping: Mapping, part: Part) -> Formats:
    return Formats(part.datetimes, part.dates, mapping.timezone)


def _with_derived(frame: pl.LazyFrame, derive: tuple[Derived, ...]) -> pl.LazyFrame:
    for item in derive:  # one at a time: each may use the ones before
        frame = frame.with_columns(derived_expr(item).alias(item.name))
    return frame


class _Run:
    """The state of one application: rows per part, their fates so far."""

    def __init__(self, mapping: Mapping) -> None:
        self.mapping = mapping
        self.marks = [ROW, FILE] if mapping.is_multi_file else [ROW]
        self.rows: dict[str, pl.DataFrame] = {}
        self.original: dict[str, list[str]] = {}
        self.prepared: dict[str, pl.DataFrame] = {}
        self.matched: dict[str, list[pl.DataFrame]] = {}  # lookup part -> matched ROWs
        self.receivers: dict[str, list[str]] = {}
        self.duplicates: list[pl.DataFrame] = []
        self.source_rows = 0

    def add_part(self, part: Part, source: str, frame: pl.DataFrame) -> None:
        missing = [c for c in part.columns if c not in frame.columns]
        if missing:
            raise BatchRejected(
                source,
                f"missing column(s) the mapping {self.mapping.name!r} needs: {', '.join(missing)}",
            )
        if ROW not in frame.columns:
            frame = frame.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(ROW))
        original = [c for c in frame.columns if c not in (ROW, FILE)]
        if self.mapping.is_multi_file:
            frame = frame.with_columns(pl.lit(source).alias(FILE))
        self.source_rows += frame.height
        if self.mapping.identical_rows == "drop":
            # Hash every row once: exact copies of an earlier row are counted, then dropped.
            copy = ~pl.struct(original).is_first_distinct()
            self.duplicates.append(frame.filter(copy).select(self.marks))
            frame = frame.filter(~copy)
        self.rows[part.name] = frame
        self.original[part.name] = original

    def prepare(self, name: str) -> pl.DataFrame:
        """The part's rows with joined, derived and parsed columns (lookups first)."""
        if name in self.prepared:
            return self.prepared[name]
        part = self.mapping.parts[name]
        frame = self.rows[name].lazy()
        for join in part.joins:
            frame = self._join(frame, join, name)
        frame = _with_derived(frame, part.derive)
        present = frame.collect_schema().names()
        frame = frame.with_columns(parse_exprs(_formats(self.mapping, part), present))
        self.prepared[name] = frame.collect()
        return self.prepared[name]

    def _join(self, frame: pl.LazyFrame, join: Join, receiver: str) -> pl.LazyFrame:
        theirs = self.prepare(join.part)
        formats = _formats(self.mapping, self.mapping.parts[join.part])
        keys = [f"{_KEY}{i}" for i in range(len(join.on))]
        their_keys = [
            pl.col(t).cast(pl.String).alias(k) for k, (_, t) in zip(keys, join.on, strict=True)
        ]
        my_keys = [
            pl.col(m).cast(pl.String).alias(k) for k, (m, _) in zip(keys, join.on, strict=True)
        ]
        keyed = theirs.lazy().with_columns(their_keys)
        mine = frame.with_columns(my_keys)
        # Accounting: which looked-up rows match at least one row of this part.
        self.matched.setdefault(join.part, []).append(
            keyed.join(mine.select(keys).unique(), on=keys, how="semi").select(ROW).collect()
        )
        self.receivers.setdefault(join.part, []).append(receiver)
        aggregated = keyed.group_by(keys, maintain_order=True).agg(
            _join_agg(c.column, c.agg, formats).alias(new) for new, c in join.columns.items()
        )
        counts = [pl.col(n).fill_null(0) for n, c in join.columns.items() if c.agg == "count"]
        return mine.join(aggregated, on=keys, how="left").drop(keys).with_columns(counts)

    def result(self) -> MappedBatch:
        excluded = [self._unmatched(p) for p in self.mapping.parts.values() if p.is_lookup]
        routed = {}
        for part in self.mapping.parts.values():
            if part.is_lookup:
                continue
            frame = self.prepared[part.name].with_columns(_route_expr(part).alias(_ROUTE))
            routed[part.name] = frame
            excluded.append(self._excluded(frame, part))
        tables = self._tables(routed)
        schema = {ROW: pl.Int64, "reason": pl.String, "record": pl.String}
        if self.mapping.is_multi_file:
            schema[FILE] = pl.String
        duplicates = (
            pl.concat(self.duplicates)
            if self.duplicates
            else pl.DataFrame(schema={m: schema[m] for m in self.marks})
        )
        return MappedBatch(
            tables=tables,
            primary_tables=self.mapping.primary_tables,
            duplicates=duplicates,
            excluded=pl.concat([e.select(list(schema)) for e in excluded])
            if excluded
            else pl.DataFrame(schema=schema),
            source_rows=self.source_rows,
            lookup_rows=sum(
                self._matched_rows(p).height for p in self.mapping.parts.values() if p.is_lookup
            ),
            partial_columns=self.mapping.partial_columns,
        )

    def _tables(self, routed: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
        """Every table entry built from its part's routed rows, entries of a table together."""
        built: dict[str, list[pl.DataFrame]] = {}
        for entry in self.mapping.tables.values():
            part = self.mapping.parts[entry.part]
            targets = [entry.name] if entry.is_primary else list(entry.from_routes or [])
            if not targets:  # a single-file built table: every route target's rows
                targets = [r.table for r in part.routes if r.table]
            indexes = [i for i, r in enumerate(part.routes) if r.table in targets]
            rows = routed[entry.part].lazy().filter(pl.col(_ROUTE).is_in(indexes))
            frame = self._build(rows, entry, _formats(self.mapping, part)).collect()
            built.setdefault(entry.table, []).append(frame)
        tables = {
            name: pl.concat(built[name], how="diagonal_relaxed")
            if len(built[name]) > 1
            else built[name][0]
            for name in sorted(built, key=load_rank)
        }
        return tables

    def _matched_rows(self, part: Part) -> pl.DataFrame:
        return pl.concat(self.matched[part.name]).unique()

    def _unmatched(self, part: Part) -> pl.DataFrame:
        receivers = ", ".join(dict.fromkeys(self.receivers[part.name]))
        rows = self.prepared[part.name].join(self._matched_rows(part), on=ROW, how="anti")
        return rows.select(
            *self.marks,
            pl.lit(f"matches no row of {receivers}").alias("reason"),
            _record(self.original[part.name]),
        )

    def _excluded(self, routed: pl.DataFrame, part: Part) -> pl.DataFrame:
        reasons = {i: r.exclude for i, r in enumerate(part.routes) if r.exclude}
        unmatched = f"no route of mapping {self.mapping.name!r} matched the row"
        return routed.filter(pl.col(_ROUTE).is_null() | pl.col(_ROUTE).is_in(list(reasons))).select(
            *self.marks,
            pl.col(_ROUTE)
            .replace_strict(reasons, default=None, return_dtype=pl.String)
            .fill_null(unmatched)
            .alias("reason"),
            _record(self.original[part.name]),
        )

    def _build(self, rows: pl.LazyFrame, entry: TableMapping, formats: Formats) -> pl.LazyFrame:
        rows = _with_derived(rows, entry.derive)
        if entry.key is not None:
            frame = _keyed_table(rows, entry, formats, self.marks)
        elif entry.unpivot is not None:
            frame = _unpivot_table(rows, entry, formats, self.marks)
        else:
            frame = rows.select(
                *[row_expr(v, formats).alias(c) for c, v in entry.columns.items()], *self.marks
            )
        if entry.skip_if_null:
            frame = frame.filter(
                pl.all_horizontal(pl.col(c).is_not_null() for c in entry.skip_if_null)
            )
        return frame


def _record(original: list[str]) -> pl.Expr:
    return pl.struct(original).struct.json_encode().alias("record")


def _join_agg(column: str, agg: str, formats: Formats) -> pl.Expr:
    """One looked-up column aggregated over the rows matching a key."""
    if agg == "count":
        return pl.len().cast(pl.UInt32)
    if agg == "sum":
        total = pl.col(column).cast(pl.String).str.strip_chars().cast(_SUM_TYPE, strict=False).sum()
        # Plain text without trailing zeros ("12.5", "7"): the loader casts it to the contract.
        return total.cast(pl.String).str.replace(r"\.0*$", "").str.replace(r"(\.\d*?)0+$", "${1}")
    if formats.is_temporal(column):  # compared as instants, handed over as ISO text
        value = parsed(column)
        picked = {
            "first": value.first(),
            "last": value.last(),
            "min": value.min(),
            "max": value.max(),
        }
        return formats.text(picked[agg], column)
    value = pl.col(column)
    return {"first": value.first(), "last": value.last(), "min": value.min(), "max": value.max()}[
        agg
    ]


def _route_expr(part: Part) -> pl.Expr:
    """Index of the first route whose condition holds (null: none did)."""
    chosen: pl.Expr = pl.lit(None, pl.Int32)
    for index in reversed(range(len(part.routes))):
        when = part.routes[index].when
        condition = pl.sql_expr(when).fill_null(False) if when else pl.lit(True)
        chosen = pl.when(condition).then(pl.lit(index, pl.Int32)).otherwise(chosen)
    return chosen


def _keyed_table(
    rows: pl.LazyFrame, entry: TableMapping, formats: Formats, marks: list[str]
) -> pl.LazyFrame:
    key = list(entry.key or ())
    keys = [row_expr(entry.columns[k], formats).alias(k) for k in key]
    aggregated = [
        agg_expr(v, formats).alias(c)
        for c, v in entry.columns.items()
        if c not in key and not v.is_const
    ]
    constants = [
        row_expr(v, formats).alias(c)
        for c, v in entry.columns.items()
        if v.is_const and c not in key
    ]
    return (
        rows.group_by(keys, maintain_order=True)
        .agg(*aggregated, pl.col(ROW).min(), *[pl.col(m).first() for m in marks if m != ROW])
        .with_columns(*constants)
        .select(*entry.columns, *marks)
    )


def _unpivot_table(
    rows: pl.LazyFrame, entry: TableMapping, formats: Formats, marks: list[str]
) -> pl.LazyFrame:
    """One row per non-empty listed column of each row, labelled by the column."""
    unpivot = entry.unpivot
    assert unpivot is not None
    common = [row_expr(v, formats).alias(c) for c, v in entry.columns.items()]
    pieces = []
    for column, label in unpivot.columns.items():
        text = pl.col(column).cast(pl.String).str.strip_chars()
        pieces.append(
            rows.filter(text.is_not_null() & (text != "")).select(
                *common,
                row_expr(Value(column=column), formats).alias(unpivot.value),
                pl.lit(str(label)).alias(unpivot.name),
                *marks,
            )
        )
    order = [*entry.columns, unpivot.value, unpivot.name, *marks]
    return pl.concat(pieces).select(order).sort(ROW, maintain_order=True)
