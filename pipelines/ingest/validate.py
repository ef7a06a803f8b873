"""Row validation against the contract's pandera schema, every failure collected.

pandera runs lazily over the whole frame and reports each failing (row, field, check); those
become entries of the row's `_errors` list next to the cast errors from `coerce`.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from pipelines.ingest.coerce import ERROR_LIST, ERRORS
from pipelines.ingest.contract import Table

_INDEX = "_index"


def _reason(check: str, value: str | None) -> tuple[str, str]:
    """A reason code and a sentence for one pandera failure."""
    shown = "(empty)" if value is None else repr(value[:80])
    if check == "not_nullable":
        return "missing", "a value is required"
    if check.startswith("isin("):
        return "not_allowed", f"{shown} is not one of {check[5:-1]}"
    if check.startswith("field_uniqueness") or check.startswith("unique"):
        return "duplicate_key", f"{shown} appears more than once"
    return "check", f"{shown} fails {check}"


def validate(frame: pl.DataFrame, table: Table) -> pl.DataFrame:
    """Add pandera's failures to `_errors`; rows with no error have an empty list."""
    try:
        table.schema.validate(frame.select(table.columns), lazy=True)
        return frame
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
    except pa.errors.SchemaError as exc:  # a failure pandera cannot attribute to rows
        raise ValueError(f"{table.name}: {exc}") from exc
    cases = cases.filter(pl.col("index").is_not_null())
    if cases.is_empty():
        return frame
    rows = [
        (int(index), column, *_reason(str(check), case))
        if column != table.name
        # A whole-row check: pandera names the table and shows the row; the check's own
        # message says which fields disagree.
        else (int(index), "(row)", "check", str(check))
        for index, column, check, case in cases.select(
            "index", "column", "check", pl.col("failure_case").cast(pl.String)
        ).iter_rows()
    ]
    found = (
        pl.DataFrame(
            rows,
            schema={
                _INDEX: pl.Int64,
                "field": pl.String,
                "reason_code": pl.String,
                "reason": pl.String,
            },
            orient="row",
        )
        .unique(maintain_order=True)
        .group_by(_INDEX, maintain_order=True)
        .agg(pl.struct("field", "reason_code", "reason").alias("_found"))
    )
    merged = (
        frame.with_row_index(_INDEX)
        .with_columns(pl.col(_INDEX).cast(pl.Int64))
        .join(found, on=_INDEX, how="left")
        .with_columns(
            pl.concat_list(
                pl.col(ERRORS),
                pl.col("_found").fill_null(pl.lit([], dtype=ERROR_LIST)),
            )
            .cast(ERROR_LIST)
            .alias(ERRORS)
        )
    )
    return _drop_shadowed(merged).drop(_INDEX, "_found")


def _drop_shadowed(frame: pl.DataFrame) -> pl.DataFrame:
    """Drop pandera's 'missing value' for a field whose value failed to cast (same cause)."""
    return frame.with_columns(
        pl.col(ERRORS)
        .list.eval(
            pl.element().filter(
                ~(
                    (pl.element().struct.field("reason_code") == "missing")
                    & pl.element()
                    .struct.field("field")
                    .is_in(
                        pl.element()
                        .filter(pl.element().struct.field("reason_code") == "type")
                        .struct.field("field")
                        .implode()
                    )
                )
            )
        )
        .alias(ERRORS)
    )
