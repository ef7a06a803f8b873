"""Casting incoming columns to the contract's types, recording every value that will not cast.

Exports arrive as text (CSV, XLSX) or with their own types (Parquet, JSON). Each column is cast
to the contract dtype; a value that was present but does not cast becomes an error naming the
row, the field and the value, so the row can be quarantined instead of silently nulled.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from pipelines.ingest.contract import Table

ROW = "_source_row"
FILE = "_source_file"  # the file of a row, in a batch of several files (else absent)

_TRUE = ["true", "t", "yes", "y", "1"]
_FALSE = ["false", "f", "no", "n", "0"]
_AWARE_FORMAT = "%Y-%m-%d %H:%M:%S%.f%z"
_NAIVE_FORMATS = ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%d %H:%M", "%Y-%m-%d"]


@dataclass(frozen=True)
class MissingColumns(Exception):
    """Required contract columns absent from an input: the batch cannot be read."""

    table: str
    columns: tuple[str, ...]

    def __str__(self) -> str:
        return f"missing required column(s) for {self.table}: {', '.join(self.columns)}"


def _text(col: str) -> pl.Expr:
    """The column as trimmed text with empty strings as null."""
    text = pl.col(col).cast(pl.String).str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text)


def _timestamp(col: str, dtype: pl.Datetime, source_tz: str) -> pl.Expr:
    """ISO 8601 text with or without an offset -> naive UTC.

    Values with an offset (`Z`, `+08:00`, `+0800`) are converted to UTC; values without one
    are taken to be in the source's time zone (ORDERLENS_SOURCE_TIMEZONE or the mapping's).
    """
    text = _text(col).str.replace("T", " ").str.replace(r"Z$", "+00:00")
    aware = text.str.to_datetime(_AWARE_FORMAT, strict=False, time_zone="UTC")
    naive = pl.coalesce(
        [text.str.to_datetime(fmt, strict=False, time_unit="us") for fmt in _NAIVE_FORMATS]
    )
    local = naive.dt.replace_time_zone(source_tz, ambiguous="earliest", non_existent="null")
    return (
        pl.coalesce([aware, local.dt.convert_time_zone("UTC")])
        .dt.replace_time_zone(None)
        .cast(dtype)
    )


# Commas are dropped only where they group thousands ("1,234.50"). Anywhere else a comma is
# likely a decimal comma ("12,50" from a European export): dropping it would read 1250, so
# the value is left to fail the cast and the row is quarantined naming the field.
_THOUSANDS = r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$"


def _without_thousands_commas(text: pl.Expr) -> pl.Expr:
    grouped = text.str.contains(_THOUSANDS)
    return pl.when(grouped).then(text.str.replace_all(",", "", literal=True)).otherwise(text)


def _cast_expr(col: str, dtype: pl.DataType, source: pl.DataType, source_tz: str) -> pl.Expr:
    if dtype == pl.String:  # text is trimmed whatever its source: " C3 " is key C3
        return _text(col)
    if dtype == source:
        return pl.col(col)
    if isinstance(dtype, pl.Datetime):
        if isinstance(source, pl.Datetime):
            value = pl.col(col)
            if source.time_zone:  # type: ignore[union-attr]
                value = value.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
            return value.cast(dtype)
        if source == pl.Date:
            return pl.col(col).cast(dtype)
        return _timestamp(col, dtype, source_tz)
    if dtype == pl.Date:
        if isinstance(source, pl.Datetime):
            return pl.col(col).dt.date()
        return _text(col).str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    if dtype == pl.Boolean:
        if source.is_numeric():  # 1 and 0 only: 5 or 1e20 is no answer to a yes/no field
            value = pl.col(col)
            return pl.when(value == 1).then(True).when(value == 0).then(False)
        lower = _text(col).str.to_lowercase()
        return pl.when(lower.is_in(_TRUE)).then(True).when(lower.is_in(_FALSE)).then(False)
    if dtype == pl.Int64:
        if source == pl.String:
            text = _text(col)
            as_float = text.cast(pl.Float64, strict=False)
            integral = pl.when(as_float == as_float.round(0)).then(as_float)
            return pl.coalesce(
                [text.cast(pl.Int64, strict=False), integral.cast(pl.Int64, strict=False)]
            )
        if source.is_float():
            value = pl.col(col)
            return pl.when(value == value.round(0)).then(value).cast(pl.Int64, strict=False)
        return pl.col(col).cast(pl.Int64, strict=False)
    if isinstance(dtype, pl.Decimal):
        if source == pl.String:
            return _without_thousands_commas(_text(col)).cast(dtype, strict=False)
        if source.is_float():
            return pl.col(col).round(dtype.scale or 0).cast(dtype, strict=False)
        return pl.col(col).cast(dtype, strict=False)
    return pl.col(col).cast(dtype, strict=False)


def _present(col: str, source: pl.DataType) -> pl.Expr:
    """True where the incoming value is there (not null, not blank text)."""
    if source == pl.String:
        return _text(col).is_not_null()
    return pl.col(col).is_not_null()


IDX = "_idx"
ERROR_SCHEMA = {IDX: pl.UInt32, "field": pl.String, "reason_code": pl.String, "reason": pl.String}


def no_errors() -> pl.DataFrame:
    return pl.DataFrame(schema=ERROR_SCHEMA)


def coerce(frame: pl.DataFrame, table: Table, source_tz: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Cast `frame` to the contract.

    Returns the typed rows (contract columns in order, `_source_row`, `_idx` = position in
    `frame`) and the errors, one row per (row, field) whose value was present but did not
    cast (reason_code `type`); the failed value is left null in the typed rows.
    Raises MissingColumns when a required column is absent. Columns the contract does not
    know are dropped (the caller reports them).
    """
    missing = tuple(c for c in table.required_columns if c not in frame.columns)
    if missing:
        raise MissingColumns(table.name, missing)
    casts: list[pl.Expr] = []
    failed: dict[str, pl.Expr] = {}
    for col in table.columns:
        dtype = table.dtype(col)
        if col not in frame.columns:
            casts.append(pl.lit(table.defaults[col]).cast(dtype).alias(col))
            continue
        source = frame.schema[col]
        if source == pl.Null:
            casts.append(pl.lit(None).cast(dtype).alias(col))
            continue
        cast = _cast_expr(col, dtype, source, source_tz)
        failed[col] = _present(col, source) & cast.is_null()
        if col in table.lowercase:
            cast = cast.str.to_lowercase()
        if col in table.defaults and table.defaults[col] is not None:
            cast = pl.coalesce([cast, pl.lit(table.defaults[col]).cast(dtype)])
        casts.append(cast.alias(col))
    frame = frame.with_row_index(IDX)
    typed = frame.select(*casts, pl.col(ROW).cast(pl.Int64), IDX)
    if not failed:
        return typed, no_errors()
    flags = frame.select(IDX, *[expr.alias(col) for col, expr in failed.items()])
    counts = flags.select(pl.col(list(failed)).sum()).row(0, named=True)
    errors = [
        flags.filter(pl.col(col))
        .join(
            frame.select(IDX, pl.col(col).cast(pl.String).str.slice(0, 80).alias("_value")), on=IDX
        )
        .select(
            IDX,
            pl.lit(col).alias("field"),
            pl.lit("type").alias("reason_code"),
            pl.format(
                "cannot read {} as {}", pl.col("_value"), pl.lit(_type_name(table.dtype(col)))
            ).alias("reason"),
        )
        for col, count in counts.items()
        if count
    ]
    return typed, pl.concat(errors) if errors else no_errors()


def _type_name(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.Decimal):
        return f"a decimal number (at most {dtype.precision - (dtype.scale or 0)} digits)"
    if isinstance(dtype, pl.Datetime):
        return "a timestamp (ISO 8601, e.g. 2026-03-01T08:15:00+08:00)"
    return {
        "Int64": "a whole number",
        "Date": "a date (YYYY-MM-DD)",
        "Boolean": "true/false",
        "String": "text",
    }.get(str(dtype), str(dtype))
