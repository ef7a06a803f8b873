"""Overview: headline figures with their change, the revenue trend, the latest alerts."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards.lib import charts, ui
from dashboards.lib.queries import overview
from dashboards.lib.serving import Missing
from pipelines.i18n import fmt_date, fmt_delta_pct, fmt_int, fmt_money, fmt_pct, fmt_week, status, t

ctx = ui.context(used=("date_range", "channel", "warehouse", "region", "category"))
lang = ctx.lang
data = overview.page_data(ctx.srv, ctx.filters)
st.title(t("page_overview", lang))
ui.data_as_of(ctx)

headline = data["headline"]
comparison = data["comparison"]
cols = st.columns(4)
if isinstance(headline, pl.DataFrame) and not headline.is_empty():
    row = headline.row(0, named=True)
    period = overview.headline_period(ctx.filters)
    tiles = (
        ("orders", "orders", fmt_int),
        ("aov", "average_order_value", fmt_money),
        ("active_customers", "customers", fmt_int),
    )
    for col, (key, measure, fmt) in zip(cols[:3], tiles, strict=True):
        col.metric(
            f"{t(key, lang)} · {t(period.kind, lang)}",
            fmt(row[measure], lang),
            fmt_delta_pct(row[measure], row[f"previous_{measure}"]),
            help=period.label,
        )
        year_ago = fmt_delta_pct(row[measure], row[f"year_ago_{measure}"])
        col.caption(f"{t('vs_year_ago', lang)}: {year_ago or '—'}")
else:
    ui.usable(headline, lang)
# Net revenue and units follow every filter (category, region, ...), so they are the figures
# of the date range itself, labelled as such unless the range is the tiles' week or month.
chosen = ctx.filters.period
span = t(chosen.kind if chosen.kind in ("week", "month") else "date_range", lang)
span_help = f"{fmt_date(ctx.filters.start, lang)} – {fmt_date(ctx.filters.end, lang)}"
if isinstance(comparison, pl.DataFrame):
    by_period = {r["period"]: r for r in comparison.iter_rows(named=True)}
    current, previous = by_period.get("current", {}), by_period.get("previous", {})
    year_before = by_period.get("year_ago", {})
    cols[3].metric(
        f"{t('net_revenue', lang)} · {span}",
        fmt_money(current.get("net_revenue"), lang),
        fmt_delta_pct(current.get("net_revenue"), previous.get("net_revenue")),
        help=span_help,
    )
    year_ago = fmt_delta_pct(current.get("net_revenue"), year_before.get("net_revenue"))
    cols[3].caption(f"{t('vs_year_ago', lang)}: {year_ago or '—'}")
    cols = st.columns(4)
    cols[0].metric(
        f"{t('units', lang)} · {span}",
        fmt_int(current.get("units"), lang),
        fmt_delta_pct(current.get("units"), previous.get("units")),
        help=span_help,
    )
on_time = data["on_time"]
if isinstance(on_time, pl.DataFrame):
    rates = {r["period"]: r["on_time_rate"] for r in on_time.iter_rows(named=True)}
    delta = fmt_delta_pct(rates.get("current"), rates.get("previous"))
    cols[1].metric(t("on_time_rate", lang), fmt_pct(rates.get("current"), lang), delta)
stockouts = data["stockouts"]
if isinstance(stockouts, pl.DataFrame) and not stockouts.is_empty():
    row = stockouts.row(0, named=True)
    cols[2].metric(
        t("stockouts", lang),
        fmt_int(row["stockouts"], lang),
        fmt_delta_pct(row["stockouts"], row["previous_stockouts"]),
        delta_color="inverse",
    )

trend = ui.usable(data["trend"], lang)
if trend is not None:
    ui.chart(
        charts.trend(trend, lang, ("net_revenue", "net_revenue_after_returns")), "overview-trend"
    )

st.subheader(t("latest_alerts", lang))
alerts = 0
low_stock = data["low_stock"]
if isinstance(low_stock, pl.DataFrame) and not low_stock.is_empty():
    alerts += 1
    st.warning(t("alert_low_stock", lang, n=fmt_int(low_stock.height, lang)))
    ui.table(low_stock.head(10), "overview-low-stock", lang)
at_risk = data["at_risk"]
if isinstance(at_risk, pl.DataFrame) and not at_risk.is_empty():
    alerts += 1
    st.warning(t("alert_at_risk", lang, n=fmt_int(at_risk.height, lang)))
    ui.table(at_risk.head(10), "overview-at-risk", lang)
slow = data["slow_stage"]
if isinstance(slow, pl.DataFrame) and not slow.is_empty():
    alerts += 1
    row = slow.row(0, named=True)
    st.warning(
        t(
            "alert_slow_stage",
            lang,
            week=fmt_week(row["week_start"], lang),
            stage=status(row["stage"], lang),
            share=fmt_pct(row["cycle_share"], lang),
        )
    )
missing = [s.table for s in (low_stock, at_risk, slow) if isinstance(s, Missing)]
for table in missing:
    st.caption(t("mart_missing", lang, name=table))
if not alerts and not missing:
    st.success(t("no_alerts", lang))
