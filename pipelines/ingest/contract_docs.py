"""Render the data contract as docs/contract.md (`python -m pipelines.ingest.contract_docs`).

Every table's grain, key, kind and parents, and every column's type, whether an export must
give it, its default and each of its checks in words, come from the pandera schemas in
`pipelines/ingest/contract.py`. A test keeps docs/contract.md equal to this rendering, and a
check this module cannot put in words fails the rendering instead of being left out.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pandera.polars as pa
import polars as pl

from pipelines.ingest.contract import TABLES, Table

DOC = Path(__file__).resolve().parents[2] / "docs" / "contract.md"

_INTRO = """\
# The data contract

The canonical operational tables, in schema `raw` of the warehouse. Each is a pandera schema in
`pipelines/ingest/contract.py`, the single source of truth for names, types, keys and checks;
this page is generated from it (`python -m pipelines.ingest.contract_docs --write`) and a test
keeps the two equal.

Rules for every table:

- A row that fails a check is quarantined (`ops.quarantine`) naming its file, row and field;
  a row whose parent is not loaded yet waits there and is released when the parent arrives.
- Text is trimmed; empty text is empty (null). Lengths count characters, not bytes.
- A *required* column must be in the export (or the mapping); an *optional* one may be left
  out and takes its default. *May be empty* says whether a row may leave the value out.
- Timestamps are stored in UTC: inputs with an offset are converted, inputs without one are
  read in `ORDERLENS_SOURCE_TIMEZONE` or the mapping's time zone.
- Money is `decimal(18,2)` in the currency of its row (orders: `currency`; products:
  `currency`).
- Entities are upserted on their key (the newest version wins); events are appended once per
  key. Every raw table also has `_batch_id`, the batch that last wrote the row.
"""

_TYPES = {"String": "text", "Int64": "integer", "Boolean": "boolean", "Date": "date"}
_PATTERNS = {r"^[A-Z]{3}$": "three capital letters (an ISO 4217 code)"}


def _type(table: Table, column: str) -> str:
    dtype = table.dtype(column)
    if isinstance(dtype, pl.Decimal):
        return f"decimal({dtype.precision},{dtype.scale})"
    if isinstance(dtype, pl.Datetime):
        return "timestamp (UTC)"
    return _TYPES[str(dtype)]


def _number(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else str(value)


def _values(values: Any) -> str:
    return ", ".join(f"`{v}`" for v in values)


def _check(check: pa.Check) -> str:
    """One column check in words."""
    name = str(check.name)
    stats = check.statistics or {}
    if name == "str_length":
        low, high = stats["min_value"], stats["max_value"]
        return f"{low} to {high} characters" if low else f"at most {high} characters"
    if name == "in_range":
        return f"{_number(stats['min_value'])} to {_number(stats['max_value'])}"
    words = {
        "greater_than": ">",
        "greater_than_or_equal_to": ">=",
        "less_than": "<",
        "less_than_or_equal_to": "<=",
    }
    if name in words:
        return f"{words[name]} {_number(next(iter(stats.values())))}"
    if name == "isin":
        return "one of " + _values(stats["allowed_values"])
    if name == "notin":
        return "not " + _values(stats["forbidden_values"])
    if name == "str_matches":
        return _PATTERNS.get(stats["pattern"], f"matches `{stats['pattern']}`")
    if check.error and check.error != name:  # a named check: its message says the rule
        return str(check.error)
    raise ValueError(f"no words for check {name!r}: add them to contract_docs._check")


def _default(value: object) -> str:
    if value is None:
        return "empty"
    return f"`{str(value).lower() if isinstance(value, bool) else value}`"


def _presence(table: Table, column: str) -> str:
    if column in table.required_columns:
        return "required"
    return f"optional (default {_default(table.defaults[column])})"


def _rules(table: Table, column: str) -> str:
    col = table.schema.columns[column]
    parts = ["may be empty" if col.nullable else "not empty"]
    if column in table.lowercase:
        parts.append("stored in lower case")
    parts += [_check(check) for check in col.checks]
    if column in table.parents:
        parent, parent_col = table.parents[column]
        parts.append(f"refers to `{parent}.{parent_col}`")
    return "; ".join(parts)


def _parents(table: Table) -> str:
    if not table.parents:
        return "none"
    return ", ".join(
        f"`{column}` -> `{parent}.{parent_col}`"
        for column, (parent, parent_col) in table.parents.items()
    )


def _table(table: Table) -> list[str]:
    kind = (
        "entity (upserted on its key, newest version wins)"
        if table.kind == "entity"
        else "event (appended once per key)"
    )
    out = [
        f"## `raw.{table.name}`",
        "",
        table.grain,
        "",
        f"- Key: `{', '.join(table.key)}`",
        f"- Kind: {kind}",
        f"- Parents (checked where the value is not empty): {_parents(table)}",
        "",
        "| column | type | in the export | meaning | checks |",
        "|---|---|---|---|---|",
    ]
    out += [
        f"| `{c}` | {_type(table, c)} | {_presence(table, c)} | {table.description(c)} "
        f"| {_rules(table, c)} |"
        for c in table.columns
    ]
    for check in table.schema.checks:
        out += ["", f"Row check `{check.name}` (its message when a row fails): {check.error}."]
    return [*out, ""]


def render() -> str:
    """docs/contract.md as it must read."""
    out = [_INTRO]
    for table in TABLES.values():
        out += _table(table)
    return "\n".join(out)


def main(argv: list[str]) -> None:
    """Print the rendering, or with `--write` write it to docs/contract.md."""
    if "--write" in argv:
        DOC.write_text(render(), encoding="utf-8")
    else:
        sys.stdout.write(render())


if __name__ == "__main__":
    main(sys.argv[1:])
