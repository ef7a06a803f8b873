"""Row validation against the contract's pandera schema, every failure collected.

pandera runs lazily over the whole frame and reports each failing (row, field, check); those
become error rows next to the cast errors from `coerce`.
"""

from __future__ import annotations

import pandera.polars as pa
import polars as pl

from pipelines.ingest.coerce import ERROR_SCHEMA, IDX, no_errors
from pipelines.ingest.contract import Table


def _reason(check: str, value: str | None) -> tuple[str, str]:
    """A reason code and a sentence for one pandera failure."""
    shown = "(empty)" if value is None else repr(value[:80])
    if check == "not_nullable":
        return "missing", "a value is required"
    if check.startswith("isin("):
        return "not_allowed", f"{shown} is not one of {check[5:-1]}"
    if "(" in check:  # a built-in check: greater_than(0), str_length(1, 255), ...
        return "check", f"{shown} fails {check}"
    if value is None:  # a named check that needs this empty value (e.g. no price at all)
        return "missing", check
    return "check", f"{shown}: {check}"  # a named check: its message says what is wrong


def validate(typed: pl.DataFrame, table: Table, cast_errors: pl.DataFrame) -> pl.DataFrame:
    """pandera's failures of the typed rows, as error rows (IDX, field, reason_code, reason).

    A field that did not cast is null in `typed`; its 'missing' failure has the same cause as
    the cast error and is left out.
    """
    try:
        table.schema.validate(typed.select(table.columns), lazy=True)
        return no_errors()
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.filter(pl.col("index").is_not_null())
    except pa.errors.SchemaError as exc:  # a failure pandera cannot attribute to rows
        raise ValueError(f"{table.name}: {exc}") from exc
    if cases.is_empty():
        return no_errors()
    idx = typed.get_column(IDX)
    rows = []
    for index, column, check, case in cases.select(
        "index", "column", "check", pl.col("failure_case").cast(pl.String)
    ).iter_rows():
        if column == table.name:
            # A whole-row check: pandera names the table; the check's message says which
            # fields disagree.
            rows.append((idx[int(index)], "(row)", "check", str(check)))
        else:
            rows.append((idx[int(index)], column, *_reason(str(check), case)))
    found = pl.DataFrame(rows, schema=ERROR_SCHEMA, orient="row").unique(maintain_order=True)
    shadowed = cast_errors.select(IDX, "field").with_columns(pl.lit("missing").alias("reason_code"))
    return found.join(shadowed, on=[IDX, "field", "reason_code"], how="anti")
