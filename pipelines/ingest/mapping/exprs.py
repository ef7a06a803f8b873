"""Polars expressions for a mapping's values: per row, per key, and parsed date-times."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import polars as pl

from pipelines.ingest.mapping.spec import Derived, Value

_PARSED = "__mapping_parsed__"  # prefix of the parsed twin of a date-time column
_UTC_FORMAT = "%Y-%m-%dT%H:%M:%S%.f+00:00"
_NAIVE_FORMAT = "%Y-%m-%dT%H:%M:%S%.f"
_DATE_FORMAT = "%Y-%m-%d"
_KEY_HEX = 32  # hex digits of a content key (128 bits)


@dataclass(frozen=True)
class Formats:
    """The declared date-time and date columns of one part, and the zone they are in."""

    datetimes: dict[str, str] = field(default_factory=dict)
    dates: dict[str, str] = field(default_factory=dict)
    timezone: str | None = None

    def is_temporal(self, column: str | None) -> bool:
        return column is not None and (column in self.datetimes or column in self.dates)

    def text(self, parsed: pl.Expr, column: str) -> pl.Expr:
        """A parsed value as the ISO text handed to the loader (UTC offset when zoned)."""
        if column in self.dates:
            return parsed.dt.to_string(_DATE_FORMAT)
        return parsed.dt.to_string(_UTC_FORMAT if self.timezone else _NAIVE_FORMAT)


def parsed(column: str) -> pl.Expr:
    return pl.col(_PARSED + column)


def parse_exprs(formats: Formats, present: list[str]) -> list[pl.Expr]:
    """Parsed twins of the declared columns present (null where a value does not parse)."""
    exprs = []
    for column, fmt in formats.datetimes.items():
        if column not in present:
            continue
        value = (
            pl.col(column)
            .cast(pl.String)
            .str.strip_chars()
            .str.to_datetime(fmt, strict=False, time_unit="us")
        )
        if formats.timezone:
            value = (
                value.dt.replace_time_zone(
                    formats.timezone, ambiguous="earliest", non_existent="null"
                )
                .dt.convert_time_zone("UTC")
                .dt.replace_time_zone(None)
            )
        exprs.append(value.alias(_PARSED + column))
    for column, fmt in formats.dates.items():
        if column in present:
            text = pl.col(column).cast(pl.String).str.strip_chars()
            exprs.append(text.str.to_date(fmt, strict=False).alias(_PARSED + column))
    return exprs


def _sha_hex(values: pl.Series) -> pl.Series:
    return pl.Series(
        [hashlib.sha256(v.encode()).hexdigest()[:_KEY_HEX] for v in values], dtype=pl.String
    )


def content_key(columns: tuple[str, ...]) -> pl.Expr:
    """A stable key: digest of the columns' values and the occurrence number among equals.

    sha256 (not Polars' hash, which may change between versions) so that a re-export loaded
    next year gives the same keys.
    """
    cols = list(columns)
    occurrence = pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over(cols).alias("_n")
    payload = pl.struct(*[pl.col(c).cast(pl.String) for c in cols], occurrence)
    return payload.struct.json_encode().map_batches(_sha_hex, return_dtype=pl.String)


def derived_expr(item: Derived) -> pl.Expr:
    if item.over is not None:
        return pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over(list(item.over))
    if item.content_key is not None:
        return content_key(item.content_key)
    return pl.sql_expr(item.expr or "")


def _greatest(values: tuple[Value, ...], formats: Formats | None) -> pl.Expr:
    columns = [v.column for v in values]
    if formats is not None and all(
        formats.is_temporal(c) and not v.translate for c, v in zip(columns, values, strict=True)
    ):
        first = columns[0] or ""
        latest = pl.max_horizontal([parsed(c or "") for c in columns])
        # No value parses: hand over the first present one, for the loader to report.
        raw = [pl.col(c or "").cast(pl.String) for c in columns]
        return pl.coalesce([formats.text(latest, first), *raw])
    return pl.max_horizontal([row_expr(v, formats) for v in values])


def _translated(expr: pl.Expr, value: Value) -> pl.Expr:
    if value.translate is None:
        return expr
    old = [k for k, _ in value.translate]
    new = [None if v is None else str(v) for _, v in value.translate]
    default = None if value.default is None else str(value.default)
    return expr.cast(pl.String).replace_strict(old, new, default=default, return_dtype=pl.String)


def row_expr(value: Value, formats: Formats | None) -> pl.Expr:
    """A value for each row (before any aggregation)."""
    return _translated(_row_value(value, formats), value)


def _row_value(value: Value, formats: Formats | None) -> pl.Expr:
    if value.is_const:
        return pl.lit(value.const) if value.const is not None else pl.lit(None, pl.String)
    if value.parts is not None:
        return pl.coalesce([row_expr(p, formats) for p in value.parts])
    if value.greatest is not None:
        return _greatest(value.greatest, formats)
    if value.over is not None:
        return pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over(list(value.over))
    if value.content_key is not None:
        return content_key(value.content_key)
    if value.expr is not None:
        return pl.sql_expr(value.expr)
    column = value.column or ""
    if formats is not None and formats.is_temporal(column):
        # Parsed and normalised; an unparseable value goes on as it was, for the loader.
        text = formats.text(parsed(column), column)
        return pl.coalesce([text, pl.col(column).cast(pl.String)])
    return pl.col(column)


def agg_expr(value: Value, formats: Formats) -> pl.Expr:
    """A value for each key (in a keyed table)."""
    if value.parts is not None:
        return pl.coalesce([agg_expr(p, formats) for p in value.parts])
    agg = value.agg or "first"
    if agg in ("min", "max") and formats.is_temporal(value.column) and not value.translate:
        column = value.column or ""
        extreme = parsed(column).min() if agg == "min" else parsed(column).max()
        unparsed = pl.col(column).cast(pl.String).drop_nulls().first()
        return pl.coalesce([formats.text(extreme, column), unparsed])
    row = row_expr(value, formats)
    return {
        "first": row.first(),
        "last": row.last(),
        "first_non_null": row.drop_nulls().first(),
        "last_non_null": row.drop_nulls().last(),
        "min": row.min(),
        "max": row.max(),
    }[agg]
