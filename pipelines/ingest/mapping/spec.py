"""What a mapping file says, as typed objects (see docs/mapping.md for the file format)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

AGGREGATIONS = ("first", "last", "first_non_null", "last_non_null", "min", "max")
JOIN_AGGREGATIONS = ("first", "last", "min", "max", "sum", "count")
IDENTICAL_ROWS = ("drop", "keep")
SINGLE = ""  # the one part of a single-file mapping


class MappingError(ValueError):
    """A mapping file that is not valid; the message names the file and the key."""


@dataclass(frozen=True)
class Value:
    """How one output column gets its value (one kind) and what happens to it after."""

    column: str | None = None
    const: Any = None
    is_const: bool = False
    expr: str | None = None
    over: tuple[str, ...] | None = None  # row_number_over
    parts: tuple[Value, ...] | None = None  # coalesce
    greatest: tuple[Value, ...] | None = None  # the latest / largest of several
    content_key: tuple[str, ...] | None = None  # digest of these columns + occurrence number
    agg: str | None = None
    translate: tuple[tuple[str, Any], ...] | None = None  # `map`: value -> value
    default: Any = None  # `map`: what an unmapped value becomes


@dataclass(frozen=True)
class Derived:
    name: str
    expr: str | None = None
    over: tuple[str, ...] | None = None
    content_key: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Route:
    when: str | None
    table: str | None  # a table entry of `tables`
    exclude: str | None


@dataclass(frozen=True)
class JoinColumn:
    column: str  # of the looked-up part
    agg: str  # one of JOIN_AGGREGATIONS


@dataclass(frozen=True)
class Join:
    """A left lookup of another part: its rows matching on `on`, aggregated per column."""

    part: str
    on: tuple[tuple[str, str], ...]  # (this part's column, the looked-up part's column)
    columns: dict[str, JoinColumn]  # new column of this part -> where it comes from


@dataclass(frozen=True)
class Unpivot:
    """One table row per non-empty listed column: `name` gets the label, `value` the value."""

    columns: dict[str, Any]  # source column -> label
    value: str  # contract column receiving the column's value
    name: str  # contract column receiving the label


@dataclass(frozen=True)
class Part:
    """One file of an export (a single-file mapping has one part, named SINGLE)."""

    name: str
    columns: tuple[str, ...]
    pattern: str | None = None
    datetimes: dict[str, str] = field(default_factory=dict)
    dates: dict[str, str] = field(default_factory=dict)
    joins: tuple[Join, ...] = ()
    derive: tuple[Derived, ...] = ()
    routes: tuple[Route, ...] = ()
    read: dict[str, Any] = field(default_factory=dict)  # `readers.read_file` options

    @property
    def is_lookup(self) -> bool:
        """Only looked up from other parts: its rows feed no table of their own."""
        return not self.routes


@dataclass(frozen=True)
class TableMapping:
    name: str  # the entry's name in `tables`
    table: str  # the contract table it builds
    part: str
    columns: dict[str, Value]
    derive: tuple[Derived, ...] = ()
    key: tuple[str, ...] | None = None
    unpivot: Unpivot | None = None
    from_routes: tuple[str, ...] | None = None
    skip_if_null: tuple[str, ...] = ()
    partial: bool = False  # updates only `columns` of existing entities, keeps the others

    @property
    def is_primary(self) -> bool:
        """A route target: one table row per routed source row."""
        return self.key is None and self.unpivot is None


@dataclass(frozen=True)
class Mapping:
    name: str
    path: Path
    parts: dict[str, Part]
    tables: dict[str, TableMapping]
    description: str = ""
    timezone: str | None = None
    identical_rows: str = "drop"
    digest: str = ""  # sha256 of the parsed document: a changed mapping is a new batch identity

    @property
    def is_multi_file(self) -> bool:
        return SINGLE not in self.parts

    def read_options(self, part: str = SINGLE) -> dict[str, Any]:
        """Keyword arguments for `readers.read_file` (only those the mapping sets)."""
        return dict(self.parts[part].read)

    @property
    def primary_tables(self) -> list[str]:
        """Contract tables of the route targets, in the order routes name them."""
        entries = [r.table for p in self.parts.values() for r in p.routes if r.table]
        return list(dict.fromkeys(self.tables[e].table for e in entries))

    @property
    def partial_columns(self) -> dict[str, tuple[str, ...]]:
        """Contract tables of `partial: true` entries -> the contract columns they supply."""
        return {t.table: tuple(t.columns) for t in self.tables.values() if t.partial}
