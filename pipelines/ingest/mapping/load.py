"""Reading and validating a mapping file: every error names the file and the key."""

from __future__ import annotations

import hashlib
import json
import zoneinfo
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl
import yaml

from pipelines.ingest.contract import TABLES, Table
from pipelines.ingest.mapping.exprs import derived_expr, row_expr
from pipelines.ingest.mapping.spec import (
    AGGREGATIONS,
    IDENTICAL_ROWS,
    JOIN_AGGREGATIONS,
    SINGLE,
    Derived,
    Join,
    JoinColumn,
    Mapping,
    MappingError,
    Part,
    Route,
    TableMapping,
    Unpivot,
    Value,
)
from pipelines.ingest.readers import TEXT_FORMATS

_READ_KEYS = {"encoding", "delimiter", "sheet", "format", "widths"}
_PART_KEYS = {"columns", "datetimes", "dates"} | _READ_KEYS
_VALUE_KINDS = {"column", "const", "expr", "row_number_over", "coalesce", "greatest", "content_key"}


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
        if (
            not isinstance(node, list)
            or not node
            or not all(isinstance(n, str) and n for n in node)
        ):
            raise self.fail(where, "expected a list of names")
        return tuple(node)

    def text(self, node: Any, where: str) -> str:
        if not isinstance(node, str) or not node.strip():
            raise self.fail(where, "expected non-empty text")
        return node

    def column(self, frame: pl.DataFrame, name: Any, where: str) -> str:
        if self.text(name, where) not in frame.columns:
            raise self.fail(where, f"no source, joined or derived column {name!r}")
        return str(name)

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
        {"columns", "files", "timezone", "datetimes", "dates", "identical_rows"} | _READ_KEYS,
        set(),
    )
    if ("columns" in source) == ("files" in source):
        raise check.fail("source", "give exactly one of `columns` (one file) or `files`")
    identical = source.get("identical_rows", "drop")
    if identical not in IDENTICAL_ROWS:
        raise check.fail(
            "source.identical_rows", f"{identical!r}: one of {', '.join(IDENTICAL_ROWS)}"
        )
    if "columns" in source:
        part_nodes = {SINGLE: {k: v for k, v in source.items() if k in _PART_KEYS}}
        derive_nodes = {SINGLE: top.get("derive") or {}}
        route_nodes = {SINGLE: top["routes"]}
    else:
        if {"datetimes", "dates"} & set(source):
            raise check.fail("source", "with `files`, give `datetimes` and `dates` per file")
        part_nodes = _part_nodes(check, source)
        derive_nodes = _by_part(check, top.get("derive") or {}, "derive", part_nodes, dict)
        route_nodes = _by_part(check, top["routes"], "routes", part_nodes, list)
    parts, frames = _parts(check, part_nodes, derive_nodes, route_nodes)
    tables = _tables(check, top["tables"], parts, frames)
    return Mapping(
        name=check.text(top["name"], "name"),
        path=path,
        description=str(top.get("description") or ""),
        parts=parts,
        tables=tables,
        timezone=_timezone(check, source.get("timezone")),
        identical_rows=identical,
        digest=document_digest(doc),
    )


def document_digest(doc: Any) -> str:
    """sha256 of a canonical JSON dump of a parsed YAML document.

    Parsed, so comments, key order and layout do not change a mapping's identity; what it
    says does. YAML dates and times are dumped as their ISO text.
    """
    canonical = json.dumps(_text_keys(doc), sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _text_keys(node: Any) -> Any:
    """The document with every mapping key as text (YAML reads an unquoted `on:` as true)."""
    if isinstance(node, dict):
        return {str(k): _text_keys(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_text_keys(v) for v in node]
    return node


def _read_options(check: _Checker, node: dict, where: str) -> dict[str, Any]:
    """Keyword arguments for `readers.read_file`: the reader options the part sets, its text
    layout checked (`format`: csv, the default, whitespace or fixed_width with `widths`)."""
    options = {k: node[k] for k in sorted(_READ_KEYS) if node.get(k) is not None}
    text_format = options.pop("format", "csv")
    if text_format not in TEXT_FORMATS:
        raise check.fail(f"{where}.format", f"{text_format!r}: one of {', '.join(TEXT_FORMATS)}")
    if text_format != "csv" and "delimiter" in options:
        raise check.fail(f"{where}.delimiter", "only for format csv")
    if text_format != "csv":
        options["format"] = text_format
    if "widths" not in options:
        if text_format == "fixed_width":
            raise check.fail(f"{where}.widths", "required for format fixed_width")
        return options
    if text_format != "fixed_width":
        raise check.fail(f"{where}.widths", "only for format fixed_width")
    widths = options["widths"]
    if (
        not isinstance(widths, list)
        or not widths
        or not all(isinstance(w, int) and not isinstance(w, bool) and w > 0 for w in widths)
    ):
        raise check.fail(f"{where}.widths", "expected a list of positive integers (characters)")
    options["widths"] = tuple(widths)
    return options


def _part_nodes(check: _Checker, source: dict) -> dict[str, dict]:
    files = source["files"]
    if not isinstance(files, dict) or not files:
        raise check.fail("source.files", "expected part: {pattern, columns, ...} entries")
    nodes = {}
    for name, node in files.items():
        where = f"source.files.{name}"
        if not isinstance(name, str) or not name:
            raise check.fail(where, "a part needs a name")
        check.keys(node, where, _PART_KEYS | {"pattern", "join"}, {"pattern", "columns"})
        defaults = {k: source[k] for k in _READ_KEYS if k in source}
        nodes[name] = {**defaults, **node}
    return nodes


def _by_part(check: _Checker, node: Any, where: str, parts: dict, kind: type) -> dict[str, Any]:
    if not isinstance(node, dict):
        raise check.fail(where, f"with `source.files`, expected part: {kind.__name__} entries")
    unknown = sorted(set(node) - set(parts))
    if unknown:
        raise check.fail(where, f"unknown part(s) {', '.join(map(str, unknown))}")
    return dict(node)


def _join_order(check: _Checker, nodes: dict[str, dict]) -> list[str]:
    """Parts ordered so that a part comes after every part it looks up (no cycles)."""
    order: list[str] = []
    visiting: set[str] = set()

    def visit(name: str, chain: tuple[str, ...]) -> None:
        if name in order:
            return
        if name in visiting:
            raise check.fail(f"source.files.{name}.join", f"cycle: {' -> '.join(chain)}")
        visiting.add(name)
        joins = nodes[name].get("join") or {}
        if not isinstance(joins, dict):
            raise check.fail(f"source.files.{name}.join", "expected part: {on, columns} entries")
        for other in joins:
            if other not in nodes or other == name:
                raise check.fail(f"source.files.{name}.join.{other}", "not another part")
            visit(other, (*chain, other))
        visiting.discard(name)
        order.append(name)

    for name in nodes:
        visit(name, (name,))
    return order


def _parts(
    check: _Checker, nodes: dict[str, dict], derives: dict[str, Any], routes: dict[str, Any]
) -> tuple[dict[str, Part], dict[str, pl.DataFrame]]:
    """Every part, and the (empty) frame of its columns after joins and derivations."""
    parts: dict[str, Part] = {}
    frames: dict[str, pl.DataFrame] = {}
    for name in _join_order(check, nodes):
        node = nodes[name]
        where = "source" if name == SINGLE else f"source.files.{name}"
        columns = check.names(node["columns"], f"{where}.columns")
        frame = pl.DataFrame(schema=dict.fromkeys(columns, pl.String))
        joins = []
        for other, spec in (node.get("join") or {}).items():
            join, frame = _join(check, other, spec, f"{where}.join.{other}", frame, frames[other])
            joins.append(join)
        dwhere = "derive" if name == SINGLE else f"derive.{name}"
        derive, frame = _derivations(check, derives.get(name) or {}, dwhere, frame)
        formats = {
            kind: _formats(check, node.get(kind) or {}, f"{where}.{kind}", frame)
            for kind in ("datetimes", "dates")
        }
        rwhere = "routes" if name == SINGLE else f"routes.{name}"
        part_routes = _routes(check, routes[name], rwhere, frame) if name in routes else ()
        parts[name] = Part(
            name=name,
            columns=columns,
            pattern=check.text(node["pattern"], f"{where}.pattern") if "pattern" in node else None,
            datetimes=formats["datetimes"],
            dates=formats["dates"],
            joins=tuple(joins),
            derive=derive,
            routes=part_routes,
            read=_read_options(check, node, where),
        )
        frames[name] = frame
    looked_up = {j.part for p in parts.values() for j in p.joins}
    for part in parts.values():
        if part.is_lookup and part.name not in looked_up:
            raise check.fail(
                f"routes.{part.name}", "missing: the part has no routes and no join uses it"
            )
    return {n: parts[n] for n in nodes}, frames


def _join(
    check: _Checker, other: str, spec: Any, where: str, frame: pl.DataFrame, theirs: pl.DataFrame
) -> tuple[Join, pl.DataFrame]:
    if isinstance(spec, dict) and True in spec and "on" not in spec:
        # YAML 1.1 (PyYAML) reads an unquoted `on:` key as the boolean true.
        spec = {("on" if k is True else k): v for k, v in spec.items()}
    check.keys(spec, where, {"on", "columns"}, {"on", "columns"})
    on = spec["on"]
    if not isinstance(on, dict) or not on:
        raise check.fail(f"{where}.on", "expected this part's column: the other part's column")
    pairs = tuple(
        (
            check.column(frame, mine, f"{where}.on"),
            check.column(theirs, their, f"{where}.on.{mine}"),
        )
        for mine, their in on.items()
    )
    if not isinstance(spec["columns"], dict) or not spec["columns"]:
        raise check.fail(f"{where}.columns", "expected new column: {column, agg} entries")
    columns = {}
    for new, item in spec["columns"].items():
        cwhere = f"{where}.columns.{new}"
        if new in frame.columns:
            raise check.fail(cwhere, "a column of that name exists already")
        item = {"column": item} if isinstance(item, str) else item
        check.keys(item, cwhere, {"column", "agg"}, {"column"})
        agg = item.get("agg", "first")
        if agg not in JOIN_AGGREGATIONS:
            raise check.fail(f"{cwhere}.agg", f"{agg!r}: one of {', '.join(JOIN_AGGREGATIONS)}")
        column = check.column(theirs, item["column"], f"{cwhere}.column")
        columns[str(new)] = JoinColumn(column, agg)
        dtype = pl.UInt32 if agg == "count" else theirs.schema[column]
        frame = frame.with_columns(pl.lit(None, dtype).alias(str(new)))
    return Join(part=other, on=pairs, columns=columns), frame


def _timezone(check: _Checker, value: Any) -> str | None:
    if value is None:
        return None
    try:
        zoneinfo.ZoneInfo(check.text(value, "source.timezone"))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise check.fail("source.timezone", f"unknown time zone {value!r}") from exc
    return str(value)


def _formats(check: _Checker, node: Any, where: str, frame: pl.DataFrame) -> dict[str, str]:
    if not isinstance(node, dict):
        raise check.fail(where, "expected column: format pairs")
    for column, fmt in node.items():
        check.column(frame, column, f"{where}.{column}")
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
            check.keys(spec, key, {"row_number_over", "content_key"}, set())
            if len(spec) != 1:
                raise check.fail(key, "give one of row_number_over, content_key or an expression")
            if "row_number_over" in spec:
                item = Derived(str(name), over=check.names(spec["row_number_over"], key))
            else:
                item = Derived(str(name), content_key=check.names(spec["content_key"], key))
        else:
            item = Derived(str(name), expr=check.text(spec, key))
        dtype = check.expression(frame, partial(derived_expr, item), key)
        frame = frame.with_columns(pl.lit(None, dtype).alias(str(name)))
        found.append(item)
    return tuple(found), frame


def _routes(check: _Checker, node: Any, where: str, frame: pl.DataFrame) -> tuple[Route, ...]:
    if not isinstance(node, list) or not node:
        raise check.fail(where, "expected a non-empty list of routes")
    routes = []
    for i, item in enumerate(node):
        rwhere = f"{where}[{i}]"
        check.keys(item, rwhere, {"when", "table", "exclude"}, set())
        if ("table" in item) == ("exclude" in item):
            raise check.fail(rwhere, "give exactly one of `table` or `exclude`")
        when = check.text(item["when"], f"{rwhere}.when") if "when" in item else None
        if when is not None:
            dtype = check.expression(frame, partial(pl.sql_expr, when), f"{rwhere}.when")
            if dtype not in (pl.Boolean, pl.Null):
                raise check.fail(f"{rwhere}.when", f"expected a condition, got {dtype}")
        table = check.text(item["table"], f"{rwhere}.table") if "table" in item else None
        exclude = check.text(item["exclude"], f"{rwhere}.exclude") if "exclude" in item else None
        routes.append(Route(when=when, table=table, exclude=exclude))
    return tuple(routes)


def _tables(
    check: _Checker, node: Any, parts: dict[str, Part], frames: dict[str, pl.DataFrame]
) -> dict[str, TableMapping]:
    if not isinstance(node, dict) or not node:
        raise check.fail("tables", "expected table entries")
    target_part: dict[str, str] = {}
    for part in parts.values():
        prefix = "routes" if part.name == SINGLE else f"routes.{part.name}"
        for i, route in enumerate(part.routes):
            if route.table is None:
                continue
            if route.table not in node:
                raise check.fail(f"{prefix}[{i}].table", f"no entry {route.table!r} in `tables`")
            if target_part.setdefault(route.table, part.name) != part.name:
                raise check.fail(f"tables.{route.table}", "a route target of two parts")
    tables = {
        str(name): _table(check, str(name), spec, parts, frames, target_part)
        for name, spec in node.items()
    }
    primary = {t.table for t in tables.values() if t.is_primary}
    for entry in tables.values():
        if not entry.is_primary and entry.table in primary:
            raise check.fail(
                f"tables.{entry.name}", f"{entry.table} is a route target's table: build it there"
            )
    return tables


def _table(
    check: _Checker,
    name: str,
    node: Any,
    parts: dict[str, Part],
    frames: dict[str, pl.DataFrame],
    target_part: dict[str, str],
) -> TableMapping:
    where = f"tables.{name}"
    is_target = name in target_part
    built = {"key", "unpivot", "from_routes", "skip_if_null"}
    allowed = {"columns", "derive", "table", "partial"} | (set() if is_target else built)
    check.keys(node, where, allowed, {"columns"})
    table = node.get("table", name)
    if table not in TABLES:
        raise check.fail(f"{where}.table" if "table" in node else where, f"unknown table {table!r}")
    is_partial = _partial(check, node.get("partial", False), where, TABLES[table])
    if not is_target and ("key" in node) == ("unpivot" in node):
        raise check.fail(
            where, "give exactly one of `key` or `unpivot` (or make it a route target)"
        )
    if is_target:
        part, from_routes = target_part[name], None
    else:
        part, from_routes = _built_from(check, node, where, parts, target_part)
    derive, frame = _derivations(check, node.get("derive") or {}, f"{where}.derive", frames[part])
    contract = TABLES[table]
    columns_node = check.keys(node["columns"], f"{where}.columns", set(contract.columns), set())
    unpivot = (
        _unpivot(check, node["unpivot"], f"{where}.unpivot", frame, contract.columns)
        if "unpivot" in node
        else None
    )
    given = set(columns_node) | ({unpivot.value, unpivot.name} if unpivot else set())
    # A partial entry needs the key (to find the entity); the loader keeps the other columns.
    needed = contract.key if is_partial else contract.required_columns
    missing = [c for c in needed if c not in given]
    if missing:
        kind = "key" if is_partial else "required"
        raise check.fail(f"{where}.columns", f"{kind} column(s) not mapped: {', '.join(missing)}")
    if unpivot and {unpivot.value, unpivot.name} & set(columns_node):
        raise check.fail(
            f"{where}.columns", "the unpivot's `value` and `name` columns come from it"
        )
    keyed = "key" in node
    columns = {
        str(col): _value(check, spec, f"{where}.columns.{col}", frame, keyed)
        for col, spec in columns_node.items()
    }
    key = None
    if keyed:
        key = check.names(node["key"], f"{where}.key")
        for col in key:
            if col not in columns or columns[col].agg:
                raise check.fail(f"{where}.key", f"{col!r} must be a mapped, non-aggregated column")
    skip = (
        check.names(node["skip_if_null"], f"{where}.skip_if_null") if "skip_if_null" in node else ()
    )
    for col in skip:
        if col not in given:
            raise check.fail(f"{where}.skip_if_null", f"{col!r} is not a column of the entry")
    return TableMapping(
        name=name,
        table=table,
        part=part,
        columns=columns,
        derive=derive,
        key=key,
        unpivot=unpivot,
        from_routes=from_routes,
        skip_if_null=skip,
        partial=is_partial,
    )


def _partial(check: _Checker, value: Any, where: str, contract: Table) -> bool:
    if not isinstance(value, bool):
        raise check.fail(f"{where}.partial", "expected true or false")
    if value and contract.kind != "entity":
        raise check.fail(
            f"{where}.partial",
            f"only entity tables can be updated in part; {contract.name} holds events",
        )
    return value


def _built_from(
    check: _Checker, node: dict, where: str, parts: dict[str, Part], target_part: dict[str, str]
) -> tuple[str, tuple[str, ...] | None]:
    """The part a built table reads and the route targets whose rows it takes."""
    if "from_routes" not in node:
        if len(parts) > 1:
            raise check.fail(where, "missing key from_routes (needed with `source.files`)")
        return SINGLE, None
    from_routes = check.names(node["from_routes"], f"{where}.from_routes")
    unknown = sorted(set(from_routes) - set(target_part))
    if unknown:
        raise check.fail(f"{where}.from_routes", f"not route target(s): {', '.join(unknown)}")
    of = {target_part[t] for t in from_routes}
    if len(of) > 1:
        raise check.fail(f"{where}.from_routes", "route targets of one part only")
    return of.pop(), from_routes


def _unpivot(
    check: _Checker, node: Any, where: str, frame: pl.DataFrame, contract: tuple[str, ...]
) -> Unpivot:
    check.keys(node, where, {"columns", "value", "name"}, {"columns", "value", "name"})
    columns = node["columns"]
    if not isinstance(columns, dict) or not columns:
        raise check.fail(f"{where}.columns", "expected column: label entries")
    for column, label in columns.items():
        check.column(frame, column, f"{where}.columns.{column}")
        if label is None:
            raise check.fail(f"{where}.columns.{column}", "a label is needed")
    value, name = node["value"], node["name"]
    for key, col in (("value", value), ("name", name)):
        if col not in contract:
            raise check.fail(f"{where}.{key}", f"{col!r} is not a column of the table")
    if value == name:
        raise check.fail(where, "`value` and `name` must be different columns")
    return Unpivot(columns={str(k): v for k, v in columns.items()}, value=value, name=name)


def _value(
    check: _Checker,
    spec: Any,
    where: str,
    frame: pl.DataFrame,
    keyed: bool,
) -> Value:
    if isinstance(spec, str):
        spec = {"column": spec}
    node = check.keys(spec, where, _VALUE_KINDS | {"agg", "map", "default"}, set())
    given = _VALUE_KINDS & set(node)
    if len(given) != 1:
        raise check.fail(where, f"give exactly one of {', '.join(sorted(_VALUE_KINDS))}")
    agg = node.get("agg")
    if agg is not None and (not keyed or agg not in AGGREGATIONS):
        hint = f"one of {', '.join(AGGREGATIONS)}" if keyed else "only in a table with a `key`"
        raise check.fail(f"{where}.agg", f"{agg!r}: aggregations are {hint}")
    translate = _translation(check, node, where)
    if "const" in node:
        if agg is not None or translate is not None:
            raise check.fail(where, "a constant takes no aggregation and no map")
        return Value(const=node["const"], is_const=True)
    extra: dict[str, Any] = {"agg": agg, "translate": translate, "default": node.get("default")}
    if "coalesce" in node or "greatest" in node:
        kind = "coalesce" if "coalesce" in node else "greatest"
        items = node[kind]
        if not isinstance(items, list) or len(items) < 2:
            raise check.fail(f"{where}.{kind}", "expected a list of two or more values")
        values = tuple(
            _value(check, p, f"{where}.{kind}[{i}]", frame, keyed) for i, p in enumerate(items)
        )
        value = (
            Value(parts=values, **extra) if kind == "coalesce" else Value(greatest=values, **extra)
        )
    elif "row_number_over" in node or "content_key" in node:
        if keyed:
            raise check.fail(where, "row_number_over and content_key are row values; use `derive`")
        kind = "row_number_over" if "row_number_over" in node else "content_key"
        names = check.names(node[kind], f"{where}.{kind}")
        for name in names:
            check.column(frame, name, f"{where}.{kind}")
        value = (
            Value(over=names, **extra)
            if kind == "row_number_over"
            else Value(content_key=names, **extra)
        )
    elif "expr" in node:
        value = Value(expr=check.text(node["expr"], f"{where}.expr"), **extra)
    else:
        value = Value(column=check.column(frame, node["column"], where), **extra)
    check.expression(frame, partial(row_expr, value, None), where)
    return value


def _translation(check: _Checker, node: dict, where: str) -> tuple[tuple[str, Any], ...] | None:
    if "map" not in node:
        if "default" in node:
            raise check.fail(f"{where}.default", "a default belongs to a `map`")
        return None
    table = node["map"]
    if not isinstance(table, dict) or not table:
        raise check.fail(f"{where}.map", "expected value: value pairs")
    return tuple((str(k), v) for k, v in table.items())
