"""Plotly figures for report sections, and the checks that a chart is not blank."""

from __future__ import annotations

import plotly.graph_objects as go
import polars as pl

from pipelines.i18n import t
from pipelines.reports.labels import Names, column_label, value_label
from pipelines.reports.spec import Section

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2"]


class EmptyReport(RuntimeError):
    """A section has no data or its chart came out blank: the report must not be sent."""


def as_float(frame: pl.DataFrame) -> pl.DataFrame:
    """Decimals to floats for drawing (the CSV/XLSX keep the marts' exact values)."""
    return frame.with_columns(pl.col(pl.Decimal).cast(pl.Float64))


def _labels(section: Section, language: str) -> dict[str, str]:
    return {m.alias: m.label.get(language) for m in section.measures}


def _shown(data: pl.DataFrame, column: str, names: Names, language: str) -> list[object]:
    """A dimension's values as drawn: dates stay dates (a time axis), others by their name."""
    if data.schema[column].is_temporal():
        return data[column].to_list()
    return [value_label(column, v, names, language) for v in data[column].to_list()]


def build_figure(
    section: Section,
    frame: pl.DataFrame,
    language: str,
    names: Names | None = None,
    shares: bool = False,
) -> go.Figure | None:
    """The section's chart (None for a table section): axis titles, legends and category
    names from the catalogue and the spec's labels, never the marts' column names; with
    `shares` (every measure a rate or share) the values read as percentages."""
    if section.chart == "table":
        return None
    names = names or Names()
    data = as_float(frame)
    labels = _labels(section, language)
    x = section.dimensions[0]
    xs = _shown(data, x, names, language)
    fig = go.Figure()
    first = section.measures[0].alias
    if section.chart == "line":
        for m in section.measures:
            fig.add_trace(
                go.Scatter(
                    x=xs, y=data[m.alias].to_list(), mode="lines+markers", name=labels[m.alias]
                )
            )
    elif section.chart == "bar":
        for m in section.measures:
            fig.add_trace(go.Bar(x=xs, y=data[m.alias].to_list(), name=labels[m.alias]))
    elif section.chart == "stacked_bar":
        series = section.dimensions[1]
        for key, part in data.group_by(series, maintain_order=True):
            fig.add_trace(
                go.Bar(
                    x=_shown(part, x, names, language),
                    y=part[first].to_list(),
                    name=value_label(series, key[0], names, language),
                )
            )
        fig.update_layout(barmode="stack")
    elif section.chart == "pie":
        fig.add_trace(go.Pie(labels=xs, values=data[first].to_list(), sort=False))
    elif section.chart == "heatmap":
        y = section.dimensions[1]
        shown = data.with_columns(
            pl.Series(x, [value_label(x, v, names, language) for v in data[x]], dtype=pl.String),
            pl.Series(y, [value_label(y, v, names, language) for v in data[y]], dtype=pl.String),
        )
        wide = shown.pivot(on=x, index=y, values=first, aggregate_function="sum")
        columns = [c for c in wide.columns if c != y]
        fig.add_trace(
            go.Heatmap(
                x=columns,
                y=wide[y].to_list(),
                z=wide.select(columns).to_numpy(),
                colorscale="Blues",
                colorbar={"title": {"text": labels[first]}},
            )
        )
    if section.chart != "pie":
        measures = [labels[m.alias] for m in section.measures]
        y_title = (
            column_label(section.dimensions[1], language)
            if section.chart == "heatmap"
            else labels[first]
            if section.chart == "stacked_bar" or len(measures) == 1
            else t("value", language)
        )
        fig.update_xaxes(title_text=column_label(x, language, names))
        if data.schema[x].is_temporal():  # the ticks' dates in the report's language too
            fig.update_xaxes(tickformat="%-m月%-d日" if language == "zh" else "%-d %b")
        fig.update_yaxes(title_text=y_title)
        if shares and section.chart != "heatmap":
            fig.update_yaxes(tickformat=".0%")
    if shares and section.chart == "heatmap":
        fig.update_traces(colorbar_tickformat=".0%")
    if section.chart == "stacked_bar":
        fig.update_layout(legend_title_text=column_label(section.dimensions[1], language))
    fig.update_layout(
        title=section.title.get(language),
        template="plotly_white",
        colorway=PALETTE,
        font={"family": "WenQuanYi Micro Hei, Noto Sans CJK SC, sans-serif"},
        margin={"l": 50, "r": 20, "t": 50, "b": 40},
        height=360,
        width=760,
    )
    return fig


def check_not_blank(
    section: Section, frame: pl.DataFrame, figure: go.Figure | None, shares: bool = False
) -> None:
    """Fail loudly when a section has no rows, no values, or a chart with nothing drawn (a
    rate of 0% is drawn: it is news, not a blank)."""
    if frame.height == 0:
        raise EmptyReport(f"section {section.id!r} of {section.mart} has no rows for the period")
    values = as_float(frame).select(m.alias for m in section.measures)
    if all(values[c].null_count() == values.height for c in values.columns):
        raise EmptyReport(f"section {section.id!r}: every measure is empty")
    if figure is None:
        return
    drawn = 0
    for trace in figure.data:
        for attr in ("y", "values", "z"):
            points = getattr(trace, attr, None)
            if points is not None:
                drawn += sum(
                    1 for v in _flatten(points) if v is not None and v == v and (shares or v != 0)
                )
    if drawn == 0:
        raise EmptyReport(f"section {section.id!r}: the {section.chart} chart came out blank")


def _flatten(points: object) -> list[float]:
    out: list[float] = []
    for item in points:  # type: ignore[attr-defined]
        if hasattr(item, "__iter__") and not isinstance(item, str):
            out.extend(_flatten(item))
        else:
            out.append(item)
    return out
