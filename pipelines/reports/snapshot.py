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
from pipelines.reports.charts import EmptyReport, as_float, build_figure, check_not_blank
from pipelines.reports.labels import NUMBER, SHARE, Names, load_names, measure_kind, value_label
from pipelines.reports.query import fetch, section_sql, totals_sql
from pipelines.reports.spec import Filter, Measure, Section, Spec

MOVERS = 5
TREND = 8  # periods in a headline figure's sparkline, this one included


@dataclass(frozen=True)
class Figure:
    """One headline number, with its comparisons (None where there is no base)."""

    section: str
    measure: str
    label: str
    value: float | None
    previous: float | None
    year_ago: float | None
    # The same figure as the previous archived snapshot of this report reported it: what
    # changed since the reader last saw it (late data included), not only period on period.
    previous_snapshot: float | None = None
    kind: str = NUMBER  # how it is printed: money, count, share, hours, number
    # The figure over the last TREND periods, oldest first, this period last (the sparkline).
    trend: tuple[float | None, ...] = ()

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
            "trend": list(self.trend),
            "change_vs_previous": prev,
            "change_vs_previous_pct": prev_pct,
            "change_vs_year_ago": year,
            "change_vs_year_ago_pct": year_pct,
            "change_vs_previous_snapshot": last,
            "change_vs_previous_snapshot_pct": last_pct,
        }


@dataclass(frozen=True)
class Mover:
    """One value of a section's first dimension whose figure moved against the last period."""

    section: str
    dimension: str
    key: str | None
    name: str  # the value as the reader names it (channel label, product name and SKU)
    measure: str
    label: str  # the measure's label in the report's language
    kind: str
    current: float | None  # a rate has none where its denominator is 0
    previous: float | None
    # Its share of the total change: for a sum, change / |the section's total in the previous
    # period|, i.e. the percentage points of the total's growth this value accounts for; for
    # a rate, the same by the change of its numerator at its old rate (rate_contributions).
    contribution: float

    @property
    def change(self) -> float | None:
        if self.current is None or self.previous is None:
            return None
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
    names: Names = dataclasses.field(default_factory=Names)
    # Whether any section breaks a figure down by a category, so that movers were looked for.
    ranked: bool = False
    kinds: dict[tuple[str, str], str] = dataclasses.field(default_factory=dict)
    # Optional sections without data (their mart not published, or no rows): left out.
    left_out: list[Section] = dataclasses.field(default_factory=list)

    def headline(self) -> list[Figure]:
        """The headline figures in the order the spec lists them (else section order)."""
        figures = [f for s in self.sections for f in s.figures]
        order = {(r.section, r.measure): i for i, r in enumerate(self.spec.headline)}
        return sorted(figures, key=lambda f: order.get((f.section, f.measure), len(order)))

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


def chosen_headline(spec: Spec) -> dict[str, list[str]]:
    """section id -> the measures (aliases) shown as headline figures, each figure once.

    The spec's `headline:` list when it has one; else every measure of the sections not
    marked `headline: false`, skipping a measure whose label an earlier one already shows
    (three sections summing net revenue give one figure)."""
    chosen: dict[str, list[str]] = {}
    if spec.headline:
        for ref in spec.headline:
            chosen.setdefault(ref.section, []).append(ref.measure)
        return chosen
    seen: set[str] = set()
    for section in spec.sections:
        for measure in section.measures if section.headline else ():
            if measure.label.en not in seen:
                seen.add(measure.label.en)
                chosen.setdefault(section.id, []).append(measure.alias)
    return chosen


def _trail(period: Period, count: int) -> list[Period]:
    """The `count` periods ending with `period`, oldest first."""
    periods = [period]
    while len(periods) < count:
        periods.append(periods[-1].previous())
    return periods[::-1]


def _figures(
    con: duckdb.DuckDBPyConnection,
    section: Section,
    aliases: list[str],
    catalog: Catalog,
    period: Period | None,
    language: str,
) -> list[Figure]:
    dated = period if section.date_column else None
    trail = [_totals(con, section, catalog, p) for p in _trail(dated, TREND)] if dated else []
    now = trail[-1] if trail else _totals(con, section, catalog, None)
    prev = trail[-2] if trail else {}
    year = _totals(con, section, catalog, dated.year_ago()) if dated else {}
    measures = {m.alias: m for m in section.measures}
    return [
        Figure(
            section=section.id,
            measure=alias,
            label=measures[alias].label.get(language),
            value=now[alias],
            # No row at all in the base period means no base, not a zero.
            previous=prev.get(alias),
            year_ago=year.get(alias),
            kind=measure_kind(measures[alias], section, catalog),
            trend=tuple(totals.get(alias) for totals in trail),
        )
        for alias in aliases
    ]


def _rankable(section: Section) -> Measure | None:
    """The first measure whose change adds up to the change of the total: a sum or a count
    (its parts' changes), or a ratio (its parts' changes of the numerator at the old rate). A
    mean, a median, a minimum or a maximum of a group does not, so it is not ranked."""
    return next((m for m in section.measures if m.agg in ("sum", "count", "ratio")), None)


def sum_contributions(now: pl.DataFrame, before: pl.DataFrame, key: str) -> pl.DataFrame:
    """Per key of two periods' (key, value) frames: current, previous (0 where absent) and
    the contribution, the key's change over |the total of the period before| (the share of
    the total's growth it accounts for; over the current total when there was none)."""
    base = abs(float(before["value"].sum() or 0.0)) or abs(float(now["value"].sum() or 0.0))
    return (
        now.lazy()
        .select(pl.col(key).cast(pl.String), pl.col("value").alias("current"))
        .join(
            before.lazy().select(pl.col(key).cast(pl.String), pl.col("value").alias("previous")),
            on=key,
            how="full",
            coalesce=True,
            nulls_equal=True,
        )
        .with_columns(pl.col("current", "previous").fill_null(0.0))
        .filter(pl.col("current") != pl.col("previous"))
        .with_columns(
            ((pl.col("current") - pl.col("previous")) / (base or 1.0)).alias("contribution")
        )
        .collect()
    )


def rate_contributions(now: pl.DataFrame, before: pl.DataFrame, key: str) -> pl.DataFrame:
    """Per key of two periods' (key, numerator, denominator) frames: its rate now and before,
    and its contribution to the change of the total rate, by the change of its numerator at
    its old rate:

        (numerator_now - old_rate x denominator_now) / total denominator_now / |old total rate|

    i.e. how far the total rate moved because this key's own rate moved, as a share of the old
    total rate (comparable with a sum's contribution). A key with no denominator before is
    held to the old total rate; what is left of the total's change is the shift of volume
    between keys, which no key owns."""
    parts = ("numerator", "denominator")
    old_total = float(before["denominator"].sum() or 0.0)
    now_total = float(now["denominator"].sum() or 0.0)
    if old_total == 0 or now_total == 0:
        return pl.DataFrame(
            schema={
                key: pl.String,
                "current": pl.Float64,
                "previous": pl.Float64,
                "contribution": pl.Float64,
            }
        )
    old_rate = float(before["numerator"].sum() or 0.0) / old_total
    rate = pl.col("numerator") / pl.when(pl.col("denominator") != 0).then(pl.col("denominator"))
    joined = (
        now.lazy()
        .select(pl.col(key).cast(pl.String), *parts)
        .join(
            before.lazy().select(pl.col(key).cast(pl.String), *parts),
            on=key,
            how="full",
            coalesce=True,
            nulls_equal=True,
            suffix="_before",
        )
        .with_columns(pl.col(*parts, "numerator_before", "denominator_before").fill_null(0.0))
        .with_columns(
            rate.alias("current"),
            (
                pl.col("numerator_before")
                / pl.when(pl.col("denominator_before") != 0).then(pl.col("denominator_before"))
            ).alias("previous"),
        )
        .with_columns(
            (
                (
                    pl.col("numerator")
                    - pl.col("previous").fill_null(old_rate) * pl.col("denominator")
                )
                / now_total
                / (abs(old_rate) or 1.0)
            ).alias("contribution")
        )
        .filter(pl.col("contribution").abs() > 1e-12)
        .select(key, "current", "previous", "contribution")
        .collect()
    )
    return joined


def _movers(
    con: duckdb.DuckDBPyConnection,
    section: Section,
    catalog: Catalog,
    period: Period,
    names: Names,
    language: str,
) -> list[Mover]:
    """Per value of the section's first dimension: its figure now and in the previous period
    and its contribution to the change of the section's total."""
    measure = _rankable(section)
    if measure is None:
        return []
    key = section.dimensions[0]
    if measure.agg == "ratio":
        summed = {
            "numerator": Measure(measure.numerator or "", "sum", measure.label),
            "denominator": Measure(measure.denominator or "", "sum", measure.label),
        }
    else:
        summed = {"value": measure}
    whole = dataclasses.replace(
        section, limit=None, sort=(), dimensions=(key,), measures=tuple(summed.values())
    )

    def values(dated: Period) -> pl.DataFrame:
        frame = as_float(fetch(con, *section_sql(whole, catalog, dated)))
        return frame.select(key, *(pl.col(m.alias).alias(name) for name, m in summed.items()))

    now, before = values(period), values(period.previous())
    contributions = rate_contributions if measure.agg == "ratio" else sum_contributions
    kind = measure_kind(measure, section, catalog)
    return [
        Mover(
            section=section.id,
            dimension=key,
            key=row[key],
            name=value_label(key, row[key], names, language),
            measure=measure.alias,
            label=measure.label.get(language),
            kind=kind,
            current=row["current"],
            previous=row["previous"],
            contribution=row["contribution"],
        )
        for row in contributions(now, before, key).iter_rows(named=True)
    ]


def compute_snapshot(
    con: duckdb.DuckDBPyConnection,
    spec: Spec,
    catalog: Catalog,
    period: Period | None,
    clock: dt.date | None,
    data_version: str,
) -> Snapshot:
    """Query and chart every section; raise EmptyReport if any is empty or blank, but leave
    an optional section without data out."""
    names = load_names(con, catalog)
    chosen = chosen_headline(spec)
    results = []
    movers: list[Mover] = []
    ranked = False
    kinds: dict[tuple[str, str], str] = {}
    left_out: list[Section] = []
    for section in spec.sections:
        if section.optional and section.mart not in catalog.marts:
            left_out.append(section)
            continue
        for measure in section.measures:
            kinds[(section.id, measure.alias)] = measure_kind(measure, section, catalog)
        dated = period if section.date_column else None
        frame = fetch(con, *section_sql(section, catalog, dated))
        shares = all(kinds[(section.id, m.alias)] == SHARE for m in section.measures)
        figure = build_figure(section, frame, spec.language, names, shares)
        try:
            check_not_blank(section, frame, figure, shares)
        except EmptyReport:
            if not section.optional:
                raise
            left_out.append(section)
            continue
        aliases = chosen.get(section.id, [])
        figures = _figures(con, section, aliases, catalog, period, spec.language) if aliases else []
        results.append(SectionResult(section, frame, figure, figures))
        # Movers compare categories (channel, SKU, ...); days of two periods never match.
        if (
            dated is not None
            and section.dimensions
            and not catalog.is_temporal(section.mart, section.dimensions[0])
        ):
            ranked = ranked or _rankable(section) is not None
            movers += _movers(con, section, catalog, dated, names, spec.language)
    movers.sort(key=lambda m: abs(m.contribution), reverse=True)
    return Snapshot(
        spec,
        period,
        clock,
        data_version,
        results,
        movers[:MOVERS],
        names=names,
        kinds=kinds,
        ranked=ranked,
        left_out=left_out,
    )
