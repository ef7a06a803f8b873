"""Compute a report snapshot: each section's rows and chart, headline figures with their
changes against the previous period, the same period a year before and the previous archived
snapshot of the report, and the biggest movers.

Pure reading: one read-only connection to the serving file (and the previous snapshot's
manifest, handed in), nothing written.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import duckdb
import plotly.graph_objects as go
import polars as pl

from pipelines.periods import Period, growth
from pipelines.reports.catalog import Catalog
from pipelines.reports.charts import as_float, build_figure, check_not_blank
from pipelines.reports.query import fetch, section_sql, totals_sql
from pipelines.reports.spec import Filter, Section, Spec

MOVERS = 5


@dataclass(frozen=True)
class Figure:
    """One headline number of a section, with its comparisons (None where there is no base)."""

    section: str
    measure: str
    label: str
    value: float | None
    previous: float | None
    year_ago: float | None
    # The same figure as the previous archived snapshot of this report reported it: what
    # changed since the reader last saw it (late data included), not only period on period.
    previous_snapshot: float | None = None

    def change(self, base: float | None) -> tuple[float | None, float | None]:
        if self.value is None or base is None:
            return None, None
        return self.value - base, growth(self.value, base)

    def as_dict(self) -> dict[str, Any]:
        prev, prev_pct = self.change(self.previous)
        year, year_pct = self.change(self.year_ago)
        last, last_pct = self.change(self.previous_snapshot)
        return {
            **dataclasses.asdict(self),
            "change_vs_previous": prev,
            "change_vs_previous_pct": prev_pct,
            "change_vs_year_ago": year,
            "change_vs_year_ago_pct": year_pct,
            "change_vs_previous_snapshot": last,
            "change_vs_previous_snapshot_pct": last_pct,
        }


@dataclass(frozen=True)
class Mover:
    section: str
    label: str
    measure: str
    current: float
    previous: float

    @property
    def change(self) -> float:
        return self.current - self.previous


@dataclass
class SectionResult:
    section: Section
    frame: pl.DataFrame
    figure: go.Figure | None
    figures: list[Figure]


@dataclass
class Snapshot:
    spec: Spec
    period: Period | None
    clock: dt.date | None
    data_version: str
    sections: list[SectionResult]
    movers: list[Mover]
    # Which archived snapshot the figures were compared with (report, period, version, ...);
    # None when this is the report's first.
    baseline: dict[str, Any] | None = None

    def headline(self) -> list[Figure]:
        return [f for s in self.sections for f in s.figures]

    @property
    def as_of(self) -> str:
        """The date the snapshot describes: its period's start, or the data clock."""
        return str(self.period.start if self.period else (self.clock or ""))


def compare_with_snapshot(
    snapshot: Snapshot, baseline: Mapping[str, Any] | None, manifest: Mapping[str, Any] | None
) -> Snapshot:
    """The snapshot with every figure set beside the same figure of an earlier manifest.

    A figure the earlier snapshot did not have (a section added since) gets no base: None.
    """
    before = {
        (f["section"], f["measure"]): _number(f.get("value"))
        for f in (manifest or {}).get("figures", [])
    }
    sections = [
        dataclasses.replace(
            result,
            figures=[
                dataclasses.replace(f, previous_snapshot=before.get((f.section, f.measure)))
                for f in result.figures
            ],
        )
        for result in snapshot.sections
    ]
    return dataclasses.replace(
        snapshot, sections=sections, baseline=dict(baseline) if baseline else None
    )


def describe_filters(filters: tuple[Filter, ...]) -> str:
    """Filters as printed on the report (values shown, never executed)."""
    parts = []
    for flt in filters:
        if flt.other_column is not None:
            parts.append(f"{flt.column} {flt.op} {flt.other_column}")
        elif flt.op in ("is_null", "not_null"):
            parts.append(f"{flt.column} {flt.op.replace('_', ' ')}")
        else:
            value = ", ".join(map(str, flt.value)) if isinstance(flt.value, list) else flt.value
            parts.append(f"{flt.column} {flt.op} {value}")
    return "; ".join(parts)


def _number(value: Any) -> float | None:
    # Counts stay whole numbers (shown without decimals); money and rates become floats.
    if value is None or isinstance(value, int):
        return value
    return float(value)


def _totals(
    con: duckdb.DuckDBPyConnection, section: Section, catalog: Catalog, period: Period | None
) -> dict[str, float | None]:
    row = as_float(fetch(con, *totals_sql(section, catalog, period))).row(0, named=True)
    return {k: _number(v) for k, v in row.items()}


def _figures(
    con: duckdb.DuckDBPyConnection,
    section: Section,
    catalog: Catalog,
    period: Period | None,
    language: str,
) -> list[Figure]:
    dated = period if section.date_column else None
    now = _totals(con, section, catalog, dated)
    prev = _totals(con, section, catalog, dated.previous()) if dated else {}
    year = _totals(con, section, catalog, dated.year_ago()) if dated else {}
    return [
        Figure(
            section=section.id,
            measure=m.alias,
            label=f"{section.title.get(language)}: {m.label.get(language)}",
            value=now[m.alias],
            # No row at all in the base period means no base, not a zero.
            previous=prev.get(m.alias),
            year_ago=year.get(m.alias),
        )
        for m in section.measures
    ]


def _movers(
    con: duckdb.DuckDBPyConnection, section: Section, catalog: Catalog, period: Period
) -> list[Mover]:
    """Per value of the section's first dimension: the first measure, this period vs the last."""
    whole = dataclasses.replace(section, limit=None, sort=(), dimensions=section.dimensions[:1])
    measure = section.measures[0].alias
    key = whole.dimensions[0]
    now = as_float(fetch(con, *section_sql(whole, catalog, period)))
    before = as_float(fetch(con, *section_sql(whole, catalog, period.previous())))
    joined = (
        now.lazy()
        .select(pl.col(key).cast(pl.String), pl.col(measure).alias("current"))
        .join(
            before.lazy().select(pl.col(key).cast(pl.String), pl.col(measure).alias("previous")),
            on=key,
            how="full",
            coalesce=True,
            nulls_equal=True,
        )
        .with_columns(pl.col("current", "previous").fill_null(0.0))
        .filter(pl.col("current") != pl.col("previous"))
        .collect()
    )
    return [
        Mover(
            section.id,
            f"{key} = {row[key] if row[key] is not None else '(none)'}",
            measure,
            row["current"],
            row["previous"],
        )
        for row in joined.iter_rows(named=True)
    ]


def compute_snapshot(
    con: duckdb.DuckDBPyConnection,
    spec: Spec,
    catalog: Catalog,
    period: Period | None,
    clock: dt.date | None,
    data_version: str,
) -> Snapshot:
    """Query and chart every section; raise EmptyReport if any is empty or blank."""
    results = []
    movers: list[Mover] = []
    for section in spec.sections:
        dated = period if section.date_column else None
        frame = fetch(con, *section_sql(section, catalog, dated))
        figure = build_figure(section, frame, spec.language)
        check_not_blank(section, frame, figure)
        figures = _figures(con, section, catalog, period, spec.language) if section.headline else []
        results.append(SectionResult(section, frame, figure, figures))
        # Movers compare categories (channel, SKU, ...); days of two periods never match.
        if (
            dated is not None
            and section.dimensions
            and not catalog.is_temporal(section.mart, section.dimensions[0])
        ):
            movers += _movers(con, section, catalog, dated)
    movers.sort(key=lambda m: abs(m.change), reverse=True)
    return Snapshot(spec, period, clock, data_version, results, movers[:MOVERS])
