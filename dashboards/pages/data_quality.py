"""Data quality: the ingest ledger, the quarantine with reasons, out-of-order order events,
freshness of every mart."""

from __future__ import annotations

import streamlit as st

from dashboards.lib import charts, ui
from dashboards.lib.queries import quality
from pipelines.i18n import t

ctx = ui.context()
lang = ctx.lang
data = quality.page_data(ctx.srv)
st.title(t("page_data_quality", lang))
ui.data_as_of(ctx)

st.subheader(t("freshness", lang))
freshness = ui.usable(data["freshness"], lang)
if freshness is not None:
    ui.chart(
        charts.bars(freshness, lang, "mart", "rows", t("rows", lang), money=False),
        "quality-freshness",
    )
    ui.table(freshness, "quality-freshness", lang)

st.subheader(t("ingest_ledger", lang))
ledger = ui.usable(data["ledger"], lang)
if ledger is not None:
    ui.table(ledger, "quality-ledger", lang, height=320)

st.subheader(t("quarantine", lang))
reasons = ui.usable(data["reasons"], lang)
if reasons is not None:
    ui.chart(
        charts.bars(
            reasons, lang, "reason_code", "rows", t("quarantine_reasons", lang), money=False
        ),
        "quality-reasons",
    )
    ui.table(reasons, "quality-reasons", lang)
    quarantine = ui.usable(data["quarantine"], lang)
    if quarantine is not None:
        ui.table(quarantine, "quality-quarantine", lang, height=320)

st.subheader(t("event_anomalies", lang))
st.caption(t("event_anomalies_note", lang))
anomaly_rules = ui.usable(data["anomaly_rules"], lang)
if anomaly_rules is not None:
    ui.chart(
        charts.bars(
            anomaly_rules, lang, "rule_code", "orders", t("event_anomaly_rules", lang), money=False
        ),
        "quality-anomaly-rules",
    )
    ui.table(anomaly_rules, "quality-anomaly-rules", lang)
    anomalies = ui.usable(data["anomalies"], lang)
    if anomalies is not None:
        ui.table(anomalies, "quality-anomalies", lang, height=320)
