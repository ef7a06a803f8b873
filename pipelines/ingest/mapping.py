"""Column mappings: a foreign export mapped onto the canonical tables by a YAML file.

A mapping renames and derives columns, routes every source row to one canonical table (or
excludes it with a stated reason), and can build further tables from the routed rows, one
row per key (a flat order-line export gives orders, products and customers too). It never
runs Python from the file: expressions are Polars SQL expressions (`pl.sql_expr`).

Format::

    name: online_retail                 # required; recorded in the batch ledger
    description: what the export is     # optional
    source:
      columns: [InvoiceNo, StockCode]   # required: the export must have these columns
      timezone: Europe/London           # optional: zone of the date-times in `datetimes`
      datetimes:                        # optional: source column -> strptime format
        InvoiceDate: "%Y-%m-%d %H:%M:%S"
      dates: {ShipBy: "%d/%m/%Y"}       # optional: calendar dates (never shifted by zone)
      encoding: gb18030                 # optional reader options: encoding, delimiter,
      delimiter: ";"                    # sheet (XLSX); sniffed / detected when left out
      format: csv                       # optional: csv (default), whitespace (fields split
                                        # by runs of spaces/tabs) or fixed_width, which
      widths: [10, 8, 12]               # needs widths: characters per column, header too
    derive:                             # optional, in order; each may use the ones before
      is_cancellation: "InvoiceNo LIKE 'C%'"       # a Polars SQL expression, or
      position: {row_number_over: [InvoiceNo]}     # 1, 2, ... within equal values, file order
    routes:                             # required; each row takes the FIRST route it matches
      - when: "StockCode IN ('POST', 'DOT')"       # a condition (null counts as false)
        exclude: "postage: not a sale of goods"    # excluded rows keep this reason
      - when: is_cancellation
        table: returns
      - table: order_lines                         # no `when`: every remaining row
    tables:
      order_lines:                      # a route target: one row per routed source row
        derive: {line: {row_number_over: [InvoiceNo]}}  # optional, over this table's rows
        columns:                        # contract column -> value
          order_id: InvoiceNo                      # a source or derived column
          line_number: line
          unit_price: {expr: "TRY_CAST(UnitPrice AS DOUBLE)"}  # a Polars SQL expression
          discount_amount: {const: 0}              # a constant
          sku: {coalesce: [StockCode, {const: UNKNOWN}]}        # first non-null of several
      orders:                           # not a route target: one row per `key`
        from_routes: [order_lines]      # the routed rows it is built from (default: all)
        key: [order_id]                 # contract columns of this table
        columns:
          order_id: InvoiceNo
          ordered_at: {column: InvoiceDate, agg: min}
          channel: {const: web}

In a keyed table a column's value is aggregated over the key's rows with `agg`: `first`
(the default), `last`, `first_non_null`, `last_non_null`, `min` or `max` (file order; date-
times in `datetimes` compare as instants). `_source_row` of a keyed row is the first source
row of its key.

Values: the mapping hands the loader text wherever the export had text, and the loader casts
every column to the contract, quarantining a row whose value does not cast and naming the
field. The one exception is date-times declared in `source.datetimes` (and `dates`): the
mapping parses them with the given format and hands over ISO 8601 text, in UTC with an
explicit `+00:00` when `timezone` is set (without it, naive text the loader reads in
ORDERLENS_SOURCE_TIMEZONE). A value the format does not parse is handed over unchanged, so
the loader quarantines the row naming the field and showing the value; the explicit offset
also keeps a quarantined row's record correct when it is released later. Derived values are
whatever their expression returns (use TRY_CAST: a value that cannot be cast becomes null,
which the loader then reports as a missing required value).

Accounting: exact duplicate source rows (every column equal to an earlier row) are dropped
first; every other row goes to exactly one route. So rows read = rows of the route target
("primary") tables + duplicates + excluded rows (including rows no route matched).
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from pipelines.ingest.contract import TABLES, load_rank
from pipelines.ingest.readers import ROW, TEXT_FORMATS, BatchRejected

AGGREGATIONS = ("first", "last", "first_non_null", "last_non_null", "min", "max")
_ROUTE = "__mapping_route"
_COPY = "__mapping_copy"
_PARSED = "__mapping_parsed__"  # prefix of the parsed twin of a date-time column
_UTC_FORMAT = "%Y-%m-%dT%H:%M:%S%.f+00:00"
_NAIVE_FORMAT = "%Y-%m-%dT%H:%M:%S%.f"


class MappingError(ValueError):
    """A mapping file that is not valid; the message names the file and the key."""


@dataclass(frozen=True)
class Value:
    """How one output column gets its value (one of column, const, expr, over, parts)."""

    column: str | None = None
    const: Any = None
    is_const: bool = False
    expr: str | None = None
    over: tuple[str, ...] | None = None  # row_number_over
    parts: tuple[Value, ...] | None = None  # coalesce
    agg: str | None = None


@dataclass(frozen=True)
class Derived:
    name: str
    expr: str | None = None
    over: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Route:
    when: str | None
    table: str | None
    exclude: str | None


@dataclass(frozen=True)
class TableMapping:
    name: str
    columns: dict[str, Value]
    derive: tuple[Derived, ...] = ()
    key: tuple[str, ...] | None = None  # None: a route target, one row per source row
    from_routes: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Mapping:
    name: str
    path: Path
    source_columns: tuple[str, ...]
    routes: tuple[Route, ...]
    tables: dict[str, TableMapping]
    description: str = ""
    timezone: str | None = None
    datetimes: dict[str, str] = field(default_factory=dict)
    dates: dict[str, str] = field(default_factory=dict)
    derive: tuple[Derived, ...] = ()
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    format: str = "csv"
    widths: tuple[int, ...] | None = None

    def read_options(self) -> dict[str, Any]:
        """Keyword arguments for `readers.read_file` (only those the mapping sets)."""
        options = {
            "encoding": self.encoding,
            "delimiter": self.delimiter,
            "sheet": self.sheet,
            "format": None if self.format == "csv" else self.format,
            "widths": self.widths,
        }
        return {k: v for k, v in options.items() if v is not None}

    @property
    def primary_tables(self) -> list[str]:
        """Route targets, in the order routes name them."""
        return list(dict.fromkeys(r.table for r in self.routes if r.table))


@dataclass
class MappedBatch:
    tables: dict[str, pl.DataFrame]  # canonical table -> contract columns + `_source_row`
    primary_tables: list[str]  # fed 1:1 by routes
    duplicates: pl.DataFrame  # `_source_row` of exact duplicate source rows (dropped)
    excluded: pl.DataFrame  # `_source_row`, `reason`, `record` (JSON of the original values)
    source_rows: int  # rows read

    @property
    def adds_up(self) -> bool:
        primary = sum(self.tables[t].height for t in self.primary_tables)
        return self.source_rows == primary + self.duplicates.height + self.excluded.height


# --- loading and validating --------------------------------------------------------------------


class _Checker:
    """Builds error messages that name the mapping file and the key."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def fail(self, where: str, message: str) -> MappingError:
        return MappingError(f"{self.path}: {where}: {message}")

    def keys(self, node: Any, where: str, allowed: set[str], required: set[str]) -> dict:
        if not isinstance(node, dict):
            raise self.fail(where, f"expected a mapping of keys, got {type(node).__name__}")
        unknown = sorted(set(map(str, node)) - allowed)
        if unknown:
            raise self.fail(
                where, f"unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}"
            )
        missing = sorted(required - set(node))
        if missing:
            raise self.fail(where, f"missing key(s) {', '.join(missing)}")
        return node

    def names(self, node: Any, where: str) -> tuple[str, ...]:
        if not isinstance(node, list) or not all(isinstance(n, str) and n for n in node):
            raise self.fail(where, "expected a list of names")
        return tuple(node)

    def text(self, node: Any, where: str) -> str:
        if not isinstance(node, str) or not node.strip():
            raise self.fail(where, "expected non-empty text")
        return node

    def expression(
        self, frame: pl.DataFrame, build: Callable[[], pl.Expr], where: str
    ) -> pl.DataType:
        """The dtype the expression yields on `frame` (empty), or an error saying why not."""
        try:
            return frame.lazy().select(build().alias("_")).collect_schema()["_"]
        except Exception as exc:  # polars raises several types for bad SQL and columns
            first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
            raise self.fail(where, f"invalid expression: {first_line}") from exc


def load_mapping(path: Path) -> Mapping:
    """Read and validate a mapping file (errors name the file and the key)."""
    path = Path(path)
    check = _Checker(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise MappingError(f"{path}: cannot read the mapping: {exc}") from exc
    top = check.keys(
        doc,
        "(top level)",
        {"name", "description", "source", "derive", "routes", "tables"},
        {"name", "source", "routes", "tables"},
    )
    source = check.keys(
        top["source"],
        "source",
        {
            "columns",
            "timezone",
            "datetimes",
            "dates",
            "encoding",
            "delimiter",
            "sheet",
            "format",
            "widths",
        },
        {"columns"},
    )
    text_format, widths = _layout(check, source)
    columns = check.names(source["columns"], "source.columns")
    timezone = _timezone(check, source.get("timezone"))
    formats = {
        kind: _formats(check, source.get(kind, {}), f"source.{kind}", columns)
        for kind in ("datetimes", "dates")
    }
    frame = pl.DataFrame(schema=dict.fromkeys(columns, pl.String))
    derive, frame = _derivations(check, top.get("derive") or {}, "derive", frame)
    routes = _routes(check, top["routes"], frame)
    targets = {r.table for r in routes if r.table}
    tables_node = check.keys(top["tables"], "tables", set(TABLES), targets)
    tables = {name: _table(check, name, node, frame, targets) for name, node in tables_node.items()}
    return Mapping(
        name=check.text(top["name"], "name"),
        path=path,
        description=str(top.get("description") or ""),
        source_columns=columns,
        timezone=timezone,
        datetimes=formats["datetimes"],
        dates=formats["dates"],
        derive=derive,
        routes=routes,
        tables=tables,
        encoding=source.get("encoding"),
        delimiter=source.get("delimiter"),
        sheet=source.get("sheet"),
        format=text_format,
        widths=widths,
    )


def _layout(check: _Checker, source: dict) -> tuple[str, tuple[int, ...] | None]:
    """`source.format` and `source.widths`: how the fields of a text file are laid out."""
    text_format = source.get("format", "csv")
    if text_format not in TEXT_FORMATS:
        raise check.fail("source.format", f"{text_format!r}: one of {', '.join(TEXT_FORMATS)}")
    if text_format != "csv" and "delimiter" in source:
        raise check.fail("source.delimiter", "only for format csv")
    if "widths" not in source:
        if text_format == "fixed_width":
            raise check.fail("source.widths", "required for format fixed_width")
        return text_format, None
    if text_format != "fixed_width":
        raise check.fail("source.widths", "only for format fixed_width")
    widths = source["widths"]
    if (
        not isinstance(widths, list)
        or not widths
        or not all(isinstance(w, int) and not isinstance(w, bool) and w > 0 for w in widths)
    ):
        raise check.fail("source.widths", "expected a list of positive integers (characters)")
    return text_format, tuple(widths)


def _timezone(check: _Checker, value: Any) -> str | None:
    if value is None:
        return None
    try:
        zoneinfo.ZoneInfo(check.text(value, "source.timezone"))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise check.fail("source.timezone", f"unknown time zone {value!r}") from exc
    return str(value)


def _formats(check: _Checker, node: Any, where: str, columns: tuple[str, ...]) -> dict[str, str]:
    if not isinstance(node, dict):
        raise check.fail(where, "expected column: format pairs")
    for column, fmt in node.items():
        if column not in columns:
            raise check.fail(f"{where}.{column}", "not one of source.columns")
        check.text(fmt, f"{where}.{column}")
    return {str(k): str(v) for k, v in node.items()}


def _derivations(
    check: _Checker, node: Any, where: str, frame: pl.DataFrame
) -> tuple[tuple[Derived, ...], pl.DataFrame]:
    """The derivations of a `derive` block and the (empty) frame with their columns added."""
    if not isinstance(node, dict):
        raise check.fail(where, "expected name: expression pairs")
    found: list[Derived] = []
    for name, spec in node.items():
        key = f"{where}.{name}"
        if name in frame.columns:
            raise check.fail(key, "a column of that name exists already")
        if isinstance(spec, dict):
            check.keys(spec, key, {"row_number_over"}, {"row_number_over"})
            item = Derived(str(name), over=check.names(spec["row_number_over"], key))
        else:
            item = Derived(str(name), expr=check.text(spec, key))
        dtype = check.expression(frame, partial(_derived_expr, item), key)
        frame = frame.with_columns(pl.lit(None, dtype).alias(str(name)))
        found.append(item)
    return tuple(found), frame


def _routes(check: _Checker, node: Any, frame: pl.DataFrame) -> tuple[Route, ...]:
    if not isinstance(node, list) or not node:
        raise check.fail("routes", "expected a non-empty list of routes")
    routes = []
    for i, item in enumerate(node):
        where = f"routes[{i}]"
        check.keys(item, where, {"when", "table", "exclude"}, set())
        if ("table" in item) == ("exclude" in item):
            raise check.fail(where, "give exactly one of `table` or `exclude`")
        when = check.text(item["when"], f"{where}.when") if "when" in item else None
        if when is not None:
            dtype = check.expression(frame, partial(pl.sql_expr, when), f"{where}.when")
            if dtype not in (pl.Boolean, pl.Null):
                raise check.fail(f"{where}.when", f"expected a condition, got {dtype}")
        table = item.get("table")
        if table is not None and table not in TABLES:
            raise check.fail(f"{where}.table", f"unknown table {table!r}")
        exclude = check.text(item["exclude"], f"{where}.exclude") if "exclude" in item else None
        routes.append(Route(when=when, table=table, exclude=exclude))
    return tuple(routes)


def _table(
    check: _Checker, name: str, node: Any, frame: pl.DataFrame, targets: set[str]
) -> TableMapping:
    where = f"tables.{name}"
    contract = TABLES[name]
    allowed = {"columns", "derive"} | (set() if name in targets else {"key", "from_routes"})
    check.keys(node, where, allowed, {"columns"} | ({"key"} if name not in targets else set()))
    derive, frame = _derivations(check, node.get("derive") or {}, f"{where}.derive", frame)
    columns_node = check.keys(node["columns"], f"{where}.columns", set(contract.columns), set())
    missing = [c for c in contract.required_columns if c not in columns_node]
    if missing:
        raise check.fail(f"{where}.columns", f"required column(s) not mapped: {', '.join(missing)}")
    keyed = name not in targets
    columns = {
        col: _value(check, spec, f"{where}.columns.{col}", frame, keyed)
        for col, spec in columns_node.items()
    }
    key = from_routes = None
    if keyed:
        key = check.names(node["key"], f"{where}.key")
        for col in key:
            if col not in columns or columns[col].agg or columns[col].is_const:
                raise check.fail(f"{where}.key", f"{col!r} must be a mapped, non-aggregated column")
        if "from_routes" in node:
            from_routes = check.names(node["from_routes"], f"{where}.from_routes")
            unknown = sorted(set(from_routes) - targets)
            if unknown:
                raise check.fail(
                    f"{where}.from_routes", f"not route target(s): {', '.join(unknown)}"
                )
    return TableMapping(name, columns, derive, key, from_routes)


def _value(check: _Checker, spec: Any, where: str, frame: pl.DataFrame, keyed: bool) -> Value:
    kinds = {"column", "const", "expr", "row_number_over", "coalesce"}
    if isinstance(spec, str):
        spec = {"column": spec}
    node = check.keys(spec, where, kinds | {"agg"}, set())
    given = kinds & set(node)
    if len(given) != 1:
        raise check.fail(where, f"give exactly one of {', '.join(sorted(kinds))}")
    agg = node.get("agg")
    if agg is not None and (not keyed or agg not in AGGREGATIONS):
        hint = f"one of {', '.join(AGGREGATIONS)}" if keyed else "only in a table with a `key`"
        raise check.fail(f"{where}.agg", f"{agg!r}: aggregations are {hint}")
    if "const" in node:
        if agg is not None:
            raise check.fail(f"{where}.agg", "a constant takes no aggregation")
        return Value(const=node["const"], is_const=True)
    if "coalesce" in node:
        parts = node["coalesce"]
        if not isinstance(parts, list) or len(parts) < 2:
            raise check.fail(f"{where}.coalesce", "expected a list of two or more values")
        values = tuple(
            _value(check, p, f"{where}.coalesce[{i}]", frame, keyed) for i, p in enumerate(parts)
        )
        return Value(parts=values, agg=agg)
    if "row_number_over" in node:
        if keyed:
            raise check.fail(where, "row_number_over is for route targets; use `derive`")
        value = Value(over=check.names(node["row_number_over"], f"{where}.row_number_over"))
    elif "expr" in node:
        value = Value(expr=check.text(node["expr"], f"{where}.expr"), agg=agg)
    else:
        column = check.text(node["column"], where)
        if column not in frame.columns:
            raise check.fail(where, f"no source or derived column {column!r}")
        value = Value(column=column, agg=agg)
    check.expression(frame, partial(_row_expr, value, None), where)
    return value


# --- applying ------------------------------------------------------------------------------------


def _derived_expr(item: Derived) -> pl.Expr:
    if item.over is not None:
        return pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over(list(item.over))
    return pl.sql_expr(item.expr or "")


def _parsed(column: str) -> str:
    return _PARSED + column


def _parse_exprs(mapping: Mapping) -> list[pl.Expr]:
    """Parsed twins of the declared date-time and date columns (null where unparseable)."""
    exprs = []
    for column, fmt in mapping.datetimes.items():
        text = pl.col(column).cast(pl.String).str.strip_chars()
        value = text.str.to_datetime(fmt, strict=False, time_unit="us")
        if mapping.timezone:
            value = (
                value.dt.replace_time_zone(
                    mapping.timezone, ambiguous="earliest", non_existent="null"
                )
                .dt.convert_time_zone("UTC")
                .dt.replace_time_zone(None)
            )
        exprs.append(value.alias(_parsed(column)))
    for column, fmt in mapping.dates.items():
        text = pl.col(column).cast(pl.String).str.strip_chars()
        exprs.append(text.str.to_date(fmt, strict=False).alias(_parsed(column)))
    return exprs


def _as_text(parsed: pl.Expr, column: str, mapping: Mapping | None) -> pl.Expr:
    if mapping is not None and column in mapping.dates:
        return parsed.dt.to_string("%Y-%m-%d")
    fmt = _UTC_FORMAT if mapping is not None and mapping.timezone else _NAIVE_FORMAT
    return parsed.dt.to_string(fmt)


def _is_temporal(column: str | None, mapping: Mapping | None) -> bool:
    return (
        mapping is not None
        and column is not None
        and (column in mapping.datetimes or column in mapping.dates)
    )


def _row_expr(value: Value, mapping: Mapping | None) -> pl.Expr:
    """A value for each row (before any aggregation)."""
    if value.is_const:
        return pl.lit(value.const) if value.const is not None else pl.lit(None, pl.String)
    if value.parts is not None:
        return pl.coalesce([_row_expr(p, mapping) for p in value.parts])
    if value.over is not None:
        return pl.int_range(1, pl.len() + 1, dtype=pl.Int64).over(list(value.over))
    if value.expr is not None:
        return pl.sql_expr(value.expr)
    column = value.column or ""
    if _is_temporal(column, mapping):
        # Parsed and normalised; an unparseable value goes on as it was, for the loader.
        parsed = _as_text(pl.col(_parsed(column)), column, mapping)
        return pl.coalesce([parsed, pl.col(column).cast(pl.String)])
    return pl.col(column)


def _agg_expr(value: Value, mapping: Mapping) -> pl.Expr:
    """A value for each key (in a keyed table)."""
    if value.parts is not None:
        return pl.coalesce([_agg_expr(p, mapping) for p in value.parts])
    agg = value.agg or "first"
    if agg in ("min", "max") and _is_temporal(value.column, mapping):
        column = value.column or ""
        parsed = pl.col(_parsed(column))
        extreme = parsed.min() if agg == "min" else parsed.max()
        unparsed = pl.col(column).cast(pl.String).drop_nulls().first()
        return pl.coalesce([_as_text(extreme, column, mapping), unparsed])
    row = _row_expr(value, mapping)
    return {
        "first": row.first(),
        "last": row.last(),
        "first_non_null": row.drop_nulls().first(),
        "last_non_null": row.drop_nulls().last(),
        "min": row.min(),
        "max": row.max(),
    }[agg]


def _with_derived(frame: pl.LazyFrame, derive: tuple[Derived, ...]) -> pl.LazyFrame:
    for item in derive:  # one at a time: each may use the ones before
        frame = frame.with_columns(_derived_expr(item).alias(item.name))
    return frame


def _primary_table(rows: pl.LazyFrame, table: TableMapping, mapping: Mapping) -> pl.LazyFrame:
    rows = _with_derived(rows, table.derive)
    return rows.select(
        *[_row_expr(v, mapping).alias(c) for c, v in table.columns.items()],
        pl.col(ROW),
    )


def _keyed_table(rows: pl.LazyFrame, table: TableMapping, mapping: Mapping) -> pl.LazyFrame:
    rows = _with_derived(rows, table.derive)
    key = list(table.key or ())
    keys = [_row_expr(table.columns[k], mapping).alias(k) for k in key]
    aggregated = [
        _agg_expr(v, mapping).alias(c)
        for c, v in table.columns.items()
        if c not in key and not v.is_const
    ]
    constants = [_row_expr(v, mapping).alias(c) for c, v in table.columns.items() if v.is_const]
    return (
        rows.group_by(keys, maintain_order=True)
        .agg(*aggregated, pl.col(ROW).min())
        .with_columns(*constants)
        .select(*table.columns, ROW)
    )


def _route_expr(routes: tuple[Route, ...]) -> pl.Expr:
    """Index of the first route whose condition holds (null: none did)."""
    chosen: pl.Expr = pl.lit(None, pl.Int32)
    for index in reversed(range(len(routes))):
        when = routes[index].when
        condition = pl.sql_expr(when).fill_null(False) if when else pl.lit(True)
        chosen = pl.when(condition).then(pl.lit(index, pl.Int32)).otherwise(chosen)
    return chosen


def apply_mapping(df: pl.DataFrame, mapping: Mapping, source: str) -> MappedBatch:
    """Map one read file onto canonical tables; every source row is accounted for."""
    missing = [c for c in mapping.source_columns if c not in df.columns]
    if missing:
        raise BatchRejected(
            source, f"missing column(s) the mapping {mapping.name!r} needs: {', '.join(missing)}"
        )
    if ROW not in df.columns:
        df = df.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(ROW))
    original = [c for c in df.columns if c != ROW]
    # Hash every row once: exact copies of an earlier row are counted, then dropped.
    flagged = df.with_columns((~pl.struct(original).is_first_distinct()).alias(_COPY))
    duplicates = flagged.filter(pl.col(_COPY)).select(ROW)
    routed = (
        _with_derived(
            flagged.lazy().filter(~pl.col(_COPY)).drop(_COPY).with_columns(_parse_exprs(mapping)),
            mapping.derive,
        )
        .with_columns(_route_expr(mapping.routes).alias(_ROUTE))
        .collect()
    )
    excluded = _excluded(routed, mapping, original)
    tables: dict[str, pl.DataFrame] = {}
    for name in sorted(mapping.tables, key=load_rank):
        table = mapping.tables[name]
        if table.key is None:
            rows = _rows_of(routed, mapping, [name])
            tables[name] = _primary_table(rows, table, mapping).collect()
        else:
            rows = _rows_of(routed, mapping, list(table.from_routes or mapping.primary_tables))
            tables[name] = _keyed_table(rows, table, mapping).collect()
    return MappedBatch(
        tables=tables,
        primary_tables=mapping.primary_tables,
        duplicates=duplicates,
        excluded=excluded,
        source_rows=df.height,
    )


def _rows_of(routed: pl.DataFrame, mapping: Mapping, targets: list[str]) -> pl.LazyFrame:
    indexes = [i for i, r in enumerate(mapping.routes) if r.table in targets]
    return routed.lazy().filter(pl.col(_ROUTE).is_in(indexes))


def _excluded(routed: pl.DataFrame, mapping: Mapping, original: list[str]) -> pl.DataFrame:
    reasons = {i: r.exclude for i, r in enumerate(mapping.routes) if r.exclude}
    unmatched = f"no route of mapping {mapping.name!r} matched the row"
    return (
        routed.lazy()
        .filter(pl.col(_ROUTE).is_null() | pl.col(_ROUTE).is_in(list(reasons)))
        .select(
            pl.col(ROW),
            pl.col(_ROUTE)
            .replace_strict(reasons, default=None, return_dtype=pl.String)
            .fill_null(unmatched)
            .alias("reason"),
            pl.struct(original).struct.json_encode().alias("record"),
        )
        .collect()
    )
