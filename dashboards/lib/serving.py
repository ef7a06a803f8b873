"""The read-only side of the published serving file: one connection per file, results by version.

Readers never open the warehouse. A publish writes a new file and switches a pointer, so:
- the connection is cached by the file's path (`st.cache_resource`): one connect (~35 ms)
  per published version, and a new version gets a new connection, never a stale reuse;
- query results are cached by (file, version, SQL, parameters) (`st.cache_data`): a new
  publish shows up on the next rerun without a restart, and an old file a reader still
  holds stays readable while the pipeline builds the next one.
Every query runs on its own cursor of the shared connection, because Streamlit serves
sessions from several threads and a DuckDB connection must not be shared across them.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import polars as pl
import streamlit as st

from pipelines.settings import Settings
from pipelines.warehouse import serving_path, serving_version


@dataclass(frozen=True)
class Serving:
    """One published serving file, as the pointer named it."""

    path: Path
    version: str
    published_at: str


@dataclass(frozen=True)
class Missing:
    """A section whose mart is not in the published file (not built yet), or was published by
    an older version without a column the page now reads (`outdated`)."""

    table: str
    outdated: bool = False


Params = Mapping[str, Any]
Section = pl.DataFrame | Missing

# When set (by the benchmark), every query run appends its SQL and bound parameters here.
_TRACE: ContextVar[list[tuple[str, dict[str, Any]]] | None] = ContextVar("trace", default=None)
_PARAM = re.compile(r"\$([a-z_][a-z0-9_]*)")


def current(settings: Settings) -> Serving | None:
    """The serving file to read now, or None when nothing was published."""
    for _ in range(3):  # the pointer may switch between the two reads: read again then
        meta = serving_version(settings)
        path = serving_path(settings)
        if meta is None or path is None:
            return None
        if path.name == meta["file"]:
            return Serving(path=path, version=meta["version"], published_at=meta["published_at"])
    return None


@st.cache_resource(max_entries=4, show_spinner=False)
def _connection(path: str) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(path, read_only=True)


def _bound(sql: str, params: Params) -> dict[str, Any]:
    """Only the parameters the statement names (DuckDB rejects extra ones)."""
    names = set(_PARAM.findall(sql))
    return {name: value for name, value in params.items() if name in names}


def execute(con: duckdb.DuckDBPyConnection, sql: str, params: Params) -> pl.DataFrame:
    """Run one statement with bound parameters on a fresh cursor of `con`."""
    cursor = con.cursor()
    try:
        # execute + Arrow costs what the bare query costs; `cursor.sql(...).pl()` binds the
        # statement twice (+40 % per query, measured). The copy DuckDB warns about is of
        # the small, already aggregated result.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Arrow output on a DB-API result", UserWarning)
            table = cursor.execute(sql, _bound(sql, params)).to_arrow_table()
        return pl.from_arrow(table)  # type: ignore[return-value]
    finally:
        cursor.close()


@st.cache_data(max_entries=1024, show_spinner=False)
def _cached(path: str, version: str, sql: str, params: dict[str, Any]) -> pl.DataFrame:
    # `version` is part of the cache key: a new publish misses the cache on purpose.
    return execute(_connection(path), sql, params)


@st.cache_data(max_entries=8, show_spinner=False)
def tables(path: str, version: str) -> frozenset[str]:
    """`schema.table` names in the serving file (to tell a missing mart from an error)."""
    frame = execute(
        _connection(path),
        "select table_schema || '.' || table_name as name from information_schema.tables",
        {},
    )
    return frozenset(frame["name"].to_list())


def run(srv: Serving, sql: str, params: Params, needs: tuple[str, ...]) -> Section:
    """A query's result (cached by version), or Missing when a table it needs is not built
    or lacks a column the query names (published before an upgrade, until the next build)."""
    present = tables(str(srv.path), srv.version)
    for table in needs:
        if table not in present:
            return Missing(table)
    bound = _bound(sql, params)
    trace = _TRACE.get()
    if trace is not None:
        trace.append((sql, bound))
    try:
        return _cached(str(srv.path), srv.version, sql, bound)
    except duckdb.BinderException:
        return Missing(", ".join(needs), outdated=True)


def connection(srv: Serving) -> duckdb.DuckDBPyConnection:
    """The shared read-only connection of a serving file (for the benchmark's bare queries)."""
    return _connection(str(srv.path))


@contextmanager
def tracing() -> Iterator[list[tuple[str, dict[str, Any]]]]:
    """Collect every (SQL, parameters) that `run` executes inside the block."""
    log: list[tuple[str, dict[str, Any]]] = []
    token = _TRACE.set(log)
    try:
        yield log
    finally:
        _TRACE.reset(token)


def clear_caches() -> None:
    """Forget cached results (not connections): the benchmark times cold queries."""
    _cached.clear()
