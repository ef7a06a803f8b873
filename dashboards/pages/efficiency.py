"""Efficiency: stage durations, bottleneck, work in progress, at-risk orders, OTIF and
perfect orders, carriers, service tickets."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards.lib import charts, ui
from dashboards.lib.queries import efficiency
from pipelines.i18n import fmt_int, fmt_pct, status, t

ctx = ui.context(used=("date_range", "channel", "warehouse"))
lang = ctx.lang
data = efficiency.page_data(ctx.srv, ctx.filters)
st.title(t("page_efficiency", lang))
ui.data_as_of(ctx)

st.subheader(t("stage_durations", lang))
stages = ui.usable(data["stages"], lang)
if stages is not None:
    left, right = st.columns(2)
    with left:
        ui.chart(
            charts.lines_by(stages, lang, "week_start", "p50_hours", "stage", t("p50", lang)),
            "efficiency-p50",
        )
    with right:
        ui.chart(
            charts.lines_by(stages, lang, "week_start", "p90_hours", "stage", t("p90", lang)),
            "efficiency-p90",
        )
    latest = stages.filter(pl.col("week_start") == pl.col("week_start").max())
    ui.chart(
        charts.bars(latest, lang, "stage", "in_progress", t("in_progress", lang), money=False),
        "efficiency-wip",
    )
    ui.table(stages, "efficiency-stages", lang)

bottleneck = ui.usable(data["bottleneck"], lang)
if bottleneck is not None:
    row = bottleneck.row(-1, named=True)
    st.metric(t("bottleneck", lang), status(row["stage"], lang), fmt_pct(row["cycle_share"], lang))
    ui.table(bottleneck, "efficiency-bottleneck", lang)

st.subheader(t("fulfilment_rates", lang))
fulfilment = ui.usable(data["fulfilment"], lang)
if fulfilment is not None:
    measures = ("on_time_rate", "in_full_rate", "otif_rate", "perfect_order_rate")
    ui.chart(
        charts.rates(fulfilment, lang, "week_start", measures, t("fulfilment_rates", lang)),
        "efficiency-rates",
    )
    ui.table(fulfilment, "efficiency-fulfilment", lang)

st.subheader(t("at_risk_orders", lang))
at_risk = ui.usable(data["at_risk"], lang)
if at_risk is not None:
    st.metric(t("at_risk_orders", lang), fmt_int(at_risk.height, lang))
    by_stage = at_risk.group_by("late_stage").len("orders").sort("orders", descending=True)
    ui.chart(
        charts.bars(by_stage, lang, "late_stage", "orders", t("late_stage", lang), money=False),
        "efficiency-late-stage",
    )
    ui.table(at_risk, "efficiency-at-risk", lang, height=320)

st.subheader(t("carrier_scorecard", lang))
carriers = ui.usable(data["carriers"], lang)
if carriers is not None:
    ui.chart(
        charts.bars(
            carriers, lang, "carrier", "on_time_rate", t("on_time_rate", lang), money=False
        ),
        "efficiency-carriers",
    )
    ui.table(carriers, "efficiency-carriers", lang)

st.subheader(t("ticket_resolution", lang))
tickets = ui.usable(data["tickets"], lang)
if tickets is not None:
    ui.table(tickets, "efficiency-tickets", lang)
