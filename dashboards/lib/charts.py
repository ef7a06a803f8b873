"""Plotly figures for the pages: each takes a result frame and the language, returns a figure.

Hover text carries the formatted values (money with its sign, shares as percentages) so the
chart answers "how much exactly" without a table next to it. Axis and legend titles are
catalogue labels; weeks and months on an axis are labels (2026-W32, 2026-08 / 2026年8月), read
in order on a category axis, and dates follow the language (pipelines.i18n.fmt_date).
"""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go
import polars as pl

from dashboards.lib import columns
from pipelines.i18n import STATUS, status, t

MONEY_HOVER = "¥%{y:,.2f}"
# Every chart: the title pinned to the top of the figure, the legend (one or two rows) between
# it and the plot, so that a legend never sits on the title.
_LAYOUT = {
    "margin": {"l": 10, "r": 10, "t": 90, "b": 10},
    "legend": {"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
    "hovermode": "x unified",
    "height": 380,
}
_TITLE = {
    "font": {"size": 15},
    "x": 0,
    "xanchor": "left",
    "y": 0.98,
    "yref": "container",
    "yanchor": "top",
}


def _layout(fig: go.Figure, title: str, **extra: object) -> go.Figure:
    fig.update_layout(title={"text": title, **_TITLE}, **(_LAYOUT | extra))
    return fig


# d3 patterns of pipelines.i18n.fmt_date ("3 Aug 2026", "2026年8月3日") for date axes
D3_DATE = {"en": "%-d %b %Y", "zh": "%Y年%-m月%-d日"}
# the x column of a trend is `period`: what one holds follows the grain
_GRAIN_KIND: dict[str, columns.Kind] = {"day": "date", "week": "week", "month": "month"}
_GRAIN_TITLE = {"day": "date", "week": "week", "month": "month"}


def _titles(
    fig: go.Figure,
    lang: str,
    x: str | None = None,
    y: str | None = None,
    legend: str | None = None,
) -> go.Figure:
    """Axis and legend titles: catalogue labels of the given keys."""
    if x:
        fig.update_xaxes(title=t(x, lang))
    if y:
        fig.update_yaxes(title=t(y, lang))
    if legend:
        fig.update_layout(legend_title_text=t(legend, lang))
    return fig


def _time_axis(
    fig: go.Figure, frame: pl.DataFrame, column: str, lang: str, kind: columns.Kind | None = None
) -> list:
    """The x values of a time column, and the axis set for them: weeks and months as labels
    on a category axis in time order, dates in the language's date format."""
    periods = {column: kind} if kind else None
    found = columns.kind(column, frame[column].dtype, periods)
    if found in ("week", "month"):
        order = columns.labelled(frame[column].drop_nulls().unique().sort(), column, lang, periods)
        fig.update_xaxes(type="category", categoryorder="array", categoryarray=order)
    elif found in ("date", "timestamp"):
        pattern = D3_DATE["zh" if lang == "zh" else "en"]
        fig.update_xaxes(tickformat=pattern, hoverformat=pattern)
    return columns.labelled(frame[column], column, lang, periods)


def _label(value: object, lang: str) -> str:
    return status(value, lang) if str(value) in STATUS else ("—" if value is None else str(value))


def trend(
    frame: pl.DataFrame,
    lang: str,
    measures: Sequence[str] = ("net_revenue",),
    title: str = "",
    grain: str = "day",
) -> go.Figure:
    """Lines over `period` (a day, week or month, as `grain` says) for money measures."""
    fig = go.Figure()
    x = _time_axis(fig, frame, "period", lang, _GRAIN_KIND.get(grain, "date"))
    for measure in measures:
        fig.add_trace(
            go.Scatter(
                x=x,
                y=frame[measure].to_list(),
                mode="lines+markers",
                name=t(measure, lang),
                hovertemplate=f"{MONEY_HOVER}<extra>{t(measure, lang)}</extra>",
            )
        )
    _titles(fig, lang, x=_GRAIN_TITLE.get(grain, "date"), y="amount")
    return _layout(fig, title or t("trend", lang))


def bars(
    frame: pl.DataFrame,
    lang: str,
    label: str,
    value: str,
    title: str,
    money: bool = True,
    horizontal: bool = True,
    axis: str | None = None,
) -> go.Figure:
    """One bar per row (a breakdown), biggest first, labels translated when they are enums.

    The axes are titled with the catalogue labels of `axis` (default: the `label` column)
    and of `value`."""
    labels = [_label(v, lang) for v in frame[label].to_list()]
    values = frame[value].to_list()
    hover = ("¥%{x:,.2f}" if horizontal else MONEY_HOVER) if money else "%{x:,}"
    if not horizontal and not money:
        hover = "%{y:,}"
    extra = "<br>" + t("share", lang) + ": %{customdata:.1%}" if "share" in frame.columns else ""
    bar = go.Bar(
        x=values if horizontal else labels,
        y=labels if horizontal else values,
        orientation="h" if horizontal else "v",
        customdata=frame["share"].to_list() if "share" in frame.columns else None,
        hovertemplate=f"%{{{'y' if horizontal else 'x'}}}: {hover}{extra}<extra></extra>",
        name=t(value, lang),
    )
    fig = go.Figure(bar)
    if horizontal:
        fig.update_yaxes(autorange="reversed")
        _titles(fig, lang, x=value, y=axis or label)
    else:
        _titles(fig, lang, x=axis or label, y=value)
    return _layout(fig, title, hovermode="closest")


def comparison(frame: pl.DataFrame, lang: str, measure: str = "net_revenue") -> go.Figure:
    """This period against the previous one and the same period a year before."""
    order = ["year_ago", "previous", "current"]
    names = {
        "current": t("current_period", lang),
        "previous": t("previous_period", lang),
        "year_ago": t("year_ago", lang),
    }
    values = dict(zip(frame["period"].to_list(), frame[measure].to_list(), strict=True))
    fig = go.Figure(
        go.Bar(
            x=[names[p] for p in order],
            y=[values.get(p, 0) for p in order],
            hovertemplate=f"%{{x}}: {MONEY_HOVER}<extra></extra>",
            marker_color=["#b0bec5", "#90a4ae", "#1f77b4"],
        )
    )
    _titles(fig, lang, x="period", y=measure)
    return _layout(fig, t("comparison", lang) + " · " + t(measure, lang), hovermode="closest")


def lines_by(
    frame: pl.DataFrame, lang: str, x: str, y: str, group: str, title: str, percent: bool = False
) -> go.Figure:
    """One line per value of `group` (warehouse, stage, ...)."""
    fig = go.Figure()
    fmt = "%{y:.1%}" if percent else "%{y:,.2f}"
    _time_axis(fig, frame, x, lang)
    for key in frame[group].unique(maintain_order=True).to_list():
        part = frame.filter(pl.col(group) == key) if key is not None else frame
        fig.add_trace(
            go.Scatter(
                x=columns.labelled(part[x], x, lang),
                y=part[y].to_list(),
                mode="lines+markers",
                name=_label(key, lang),
                hovertemplate=f"{fmt}<extra>{_label(key, lang)}</extra>",
            )
        )
    if percent:
        fig.update_yaxes(tickformat=".0%")
    _titles(fig, lang, x=x, y=y, legend=group)
    return _layout(fig, title)


def rates(frame: pl.DataFrame, lang: str, x: str, measures: Sequence[str], title: str) -> go.Figure:
    """Several rates (0-1) over time on one percentage axis."""
    fig = go.Figure()
    days = _time_axis(fig, frame, x, lang)
    for measure in measures:
        fig.add_trace(
            go.Scatter(
                x=days,
                y=frame[measure].to_list(),
                mode="lines+markers",
                name=t(measure, lang),
                hovertemplate=f"%{{y:.1%}}<extra>{t(measure, lang)}</extra>",
            )
        )
    fig.update_yaxes(tickformat=".0%")
    _titles(fig, lang, x=x, y="rate")
    return _layout(fig, title)


def heatmap(
    frame: pl.DataFrame, lang: str, x: str, y: str, z: str, title: str, percent: bool = True
) -> go.Figure:
    """A matrix (cohort x months since first order; segment x segment)."""
    wide = frame.pivot(on=x, index=y, values=z, aggregate_function="sum", sort_columns=True)
    cells = [c for c in wide.columns if c != y]
    rows = [_label(v, lang) for v in columns.labelled(wide[y], y, lang)]
    fmt = ".0%" if percent else ","
    fig = go.Figure(
        go.Heatmap(
            z=wide.select(cells).to_numpy().tolist(),
            x=[_label(c, lang) for c in cells],
            y=rows,
            colorscale="Blues",
            texttemplate=f"%{{z:{fmt}}}",
            hovertemplate=f"%{{y}} · %{{x}}: %{{z:{fmt}}}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category")
    _titles(fig, lang, x=x, y=y)
    return _layout(fig, title, hovermode="closest")


def stacked(
    frame: pl.DataFrame, lang: str, label: str, parts: Sequence[str], title: str
) -> go.Figure:
    """Stacked bars: one bar per `label`, one segment per column in `parts` (age buckets)."""
    fig = go.Figure()
    for part in parts:
        fig.add_trace(
            go.Bar(
                x=frame[label].to_list(),
                y=frame[part].to_list(),
                name=_label(part, lang),
                hovertemplate=f"%{{x}}: %{{y:,}}<extra>{_label(part, lang)}</extra>",
            )
        )
    _titles(fig, lang, x=label, y="units", legend="age_bucket")
    return _layout(fig, title, barmode="stack", hovermode="closest")


def histogram(frame: pl.DataFrame, lang: str, title: str) -> go.Figure:
    """Pre-binned counts (bin_start, bin_end, customers) as a histogram."""
    starts, ends = frame["bin_start"].to_list(), frame["bin_end"].to_list()
    fig = go.Figure(
        go.Bar(
            x=[(a + b) / 2 for a, b in zip(starts, ends, strict=True)],
            y=frame["customers"].to_list(),
            width=[(b - a) * 0.95 or 1 for a, b in zip(starts, ends, strict=True)],
            customdata=list(zip(starts, ends, strict=True)),
            hovertemplate="¥%{customdata[0]:,.0f} – ¥%{customdata[1]:,.0f}: %{y:,}<extra></extra>",
        )
    )
    fig.update_xaxes(title=t("lifetime_value", lang))
    fig.update_yaxes(title=t("customers", lang))
    return _layout(fig, title, hovermode="closest")


def forecast_bands(
    actual: pl.DataFrame, forecast: pl.DataFrame, lang: str, title: str
) -> go.Figure:
    """Recent actual daily demand, then the forecast with its 95 % and 80 % intervals as bands."""
    fig = go.Figure()
    days = forecast["date"].to_list()
    bands = (("lo95", "hi95", "interval_95", "rgba(31,119,180,0.15)"),)
    bands += (("lo80", "hi80", "interval_80", "rgba(31,119,180,0.30)"),)
    for low, high, name, colour in bands:
        # the upper edge first, then the lower edge filled up to it: one band per interval
        fig.add_trace(
            go.Scatter(
                x=days,
                y=forecast[high].to_list(),
                mode="lines",
                line={"width": 0},
                showlegend=False,
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=days,
                y=forecast[low].to_list(),
                mode="lines",
                line={"width": 0},
                fill="tonexty",
                fillcolor=colour,
                name=t(name, lang),
                customdata=forecast[high].to_list(),
                hovertemplate=f"%{{y:,.1f}} – %{{customdata:,.1f}}<extra>{t(name, lang)}</extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=days,
            y=forecast["forecast"].to_list(),
            mode="lines",
            line={"color": "#1f77b4", "dash": "dash"},
            name=t("forecast", lang),
            hovertemplate=f"%{{y:,.2f}}<extra>{t('forecast', lang)}</extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=actual["date"].to_list(),
            y=actual["units"].to_list(),
            mode="lines+markers",
            marker={"size": 4},
            line={"color": "#37474f"},
            name=t("actual_demand", lang),
            hovertemplate=f"%{{y:,}}<extra>{t('actual_demand', lang)}</extra>",
        )
    )
    fig.update_yaxes(rangemode="tozero")
    pattern = D3_DATE["zh" if lang == "zh" else "en"]
    fig.update_xaxes(tickformat=pattern, hoverformat=pattern)
    _titles(fig, lang, x="date", y="units")
    return _layout(fig, title)


def grouped_bars(
    frame: pl.DataFrame, lang: str, x: str, y: str, group: str, title: str, percent: bool = False
) -> go.Figure:
    """Bars of `y` per `x`, one colour per value of `group` side by side (plan vs naive)."""
    fig = go.Figure()
    fmt = "%{y:.1%}" if percent else "%{y:,.2f}"
    for key in frame[group].unique(maintain_order=True).to_list():
        part = frame.filter(pl.col(group) == key)
        fig.add_trace(
            go.Bar(
                x=[_label(v, lang) for v in part[x].to_list()],
                y=part[y].to_list(),
                name=_label(key, lang),
                hovertemplate=f"%{{x}}: {fmt}<extra>{_label(key, lang)}</extra>",
            )
        )
    if percent:
        fig.update_yaxes(tickformat=".0%")
    fig.update_xaxes(type="category")
    _titles(fig, lang, x=x, y=y, legend=group)
    return _layout(fig, title, barmode="group", hovermode="closest")


def changes(frame: pl.DataFrame, lang: str, label: str, value: str, title: str) -> go.Figure:
    """Signed changes (shares: 0.25 = +25 %) as horizontal bars, rises green, falls red."""
    values = frame[value].to_list()
    fig = go.Figure(
        go.Bar(
            x=values,
            y=[_label(v, lang) for v in frame[label].to_list()],
            orientation="h",
            marker_color=["#2e7d32" if (v or 0) >= 0 else "#c62828" for v in values],
            hovertemplate="%{y}: %{x:+.1%}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(tickformat="+.0%", zeroline=True)
    _titles(fig, lang, x=value, y=label)
    return _layout(fig, title, hovermode="closest")


def tradeoff(frame: pl.DataFrame, lang: str, title: str) -> go.Figure:
    """Fill rate against average stock value: one marker per policy and service target.

    frame: `policy` (a catalogue value), `service_target` (null for what happened),
    `fill_rate`, `avg_stock_value`. Each policy is one trace, its targets joined in order.
    """
    fig = go.Figure()
    for key in frame["policy"].unique(maintain_order=True).to_list():
        part = frame.filter(pl.col("policy") == key).sort("service_target", nulls_last=True)
        targets = [
            "" if target is None else f"{target:.0%}" for target in part["service_target"].to_list()
        ]
        fig.add_trace(
            go.Scatter(
                x=part["avg_stock_value"].to_list(),
                y=part["fill_rate"].to_list(),
                text=targets,
                mode="lines+markers+text",
                textposition="top center",
                name=_label(key, lang),
                hovertemplate="%{text} %{x:,.0f}: %{y:.1%}" + f"<extra>{_label(key, lang)}</extra>",
            )
        )
    fig.update_yaxes(tickformat=".0%")
    _titles(fig, lang, x="avg_stock_value", y="fill_rate", legend="policy")
    return _layout(fig, title, hovermode="closest")
