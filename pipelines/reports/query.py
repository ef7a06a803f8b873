"""Report queries: SQL assembled only from allow-listed identifiers, values always bound.

Every identifier passes `_ident`, which refuses anything not in the catalog (the serving
file's own column list) before it is quoted; every value from a spec is a `?` parameter.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import duckdb
import polars as pl

from pipelines.periods import Period
from pipelines.reports.catalog import SCHEMA, Catalog
from pipelines.reports.spec import Filter, Measure, Section, Spec

_COMPARE = {"=": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}
_AGG = {"sum": "sum", "avg": "avg", "min": "min", "max": "max", "count": "count"}


def _ident(name: str, allowed: dict[str, str] | set[str]) -> str:
    """Quote an identifier that is in the allow-list; anything else is a programming error."""
    if name not in allowed:
        raise ValueError(f"{name!r} is not an allowed identifier")
    return '"' + name + '"'


def _table(mart: str, catalog: Catalog) -> str:
    return f"{SCHEMA}.{_ident(mart, set(catalog.marts))}"


def _measure_sql(measure: Measure, columns: dict[str, str]) -> str:
    column = _ident(measure.column, columns)
    if measure.agg == "count_distinct":
        expr = f"count(distinct {column})"
    elif measure.agg == "ratio":
        numerator = _ident(measure.numerator or "", columns)
        denominator = _ident(measure.denominator or "", columns)
        expr = f"cast(sum({numerator}) as double) / nullif(sum({denominator}), 0)"
    else:
        expr = f"{_AGG[measure.agg]}({column})"
    return f"{expr} as {_ident(measure.alias, {measure.alias})}"


def where_clause(
    filters: tuple[Filter, ...],
    columns: dict[str, str],
    date_column: str | None = None,
    period: Period | None = None,
) -> tuple[str, list[Any]]:
    """The WHERE text (identifiers from the allow-list) and its bound parameters."""
    parts: list[str] = []
    params: list[Any] = []
    if date_column is not None and period is not None:
        parts.append(f"{_ident(date_column, columns)} >= ? and {_ident(date_column, columns)} < ?")
        params += [period.start, period.end]
    for flt in filters:
        column = _ident(flt.column, columns)
        if flt.other_column is not None:
            parts.append(f"{column} {_COMPARE[flt.op]} {_ident(flt.other_column, columns)}")
        elif flt.op in ("in", "not_in"):
            marks = ", ".join("?" for _ in flt.value)
            parts.append(f"{column} {'in' if flt.op == 'in' else 'not in'} ({marks})")
            params += list(flt.value)
        elif flt.op == "is_null":
            parts.append(f"{column} is null")
        elif flt.op == "not_null":
            parts.append(f"{column} is not null")
        else:
            parts.append(f"{column} {_COMPARE[flt.op]} ?")
            params.append(flt.value)
    return (" where " + " and ".join(parts) if parts else ""), params


def section_sql(section: Section, catalog: Catalog, period: Period | None) -> tuple[str, list[Any]]:
    """The grouped, sorted, limited rows of one section for the period."""
    columns = catalog.columns(section.mart)
    dims = [_ident(d, columns) for d in section.dimensions]
    select = ", ".join(dims + [_measure_sql(m, columns) for m in section.measures])
    where, params = where_clause(section.filters, columns, section.date_column, period)
    sql = f"select {select} from {_table(section.mart, catalog)}{where}"  # noqa: S608 - allow-listed identifiers only
    if dims:
        sql += " group by " + ", ".join(dims)
    outputs = set(section.dimensions) | {m.alias for m in section.measures}
    order = [
        f"{_ident(s.column, outputs)} {'desc' if s.descending else 'asc'} nulls last"
        for s in section.sort
    ]
    order += [f"{d} asc nulls last" for d in dims]  # a stable order after the spec's own
    if order:
        sql += " order by " + ", ".join(order)
    if section.limit is not None:
        sql += " limit ?"
        params.append(section.limit)
    return sql, params


def totals_sql(section: Section, catalog: Catalog, period: Period | None) -> tuple[str, list[Any]]:
    """The section's measures over the whole period (the headline figures)."""
    columns = catalog.columns(section.mart)
    select = ", ".join(_measure_sql(m, columns) for m in section.measures)
    where, params = where_clause(section.filters, columns, section.date_column, period)
    return f"select {select} from {_table(section.mart, catalog)}{where}", params  # noqa: S608 - allow-listed identifiers only


def fetch(con: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> pl.DataFrame:
    return con.sql(sql, params=params).pl()


def data_clock(con: duckdb.DuckDBPyConnection, spec: Spec, catalog: Catalog) -> dt.date | None:
    """The data's own clock for a report: the latest date in the marts its sections read."""
    latest: list[dt.date] = []
    for section in spec.sections:
        if section.date_column is None:
            continue
        columns = catalog.columns(section.mart)
        latest_sql = f"max({_ident(section.date_column, columns)})"
        sql = f"select {latest_sql} from {_table(section.mart, catalog)}"  # noqa: S608 - allow-listed
        value = con.execute(sql).fetchall()[0][0]
        if value is not None:
            latest.append(value.date() if isinstance(value, dt.datetime) else value)
    return max(latest) if latest else None
