"""Inventory: stock position and value, turnover and days of inventory, ageing, alert lists."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards.lib import charts, ui
from dashboards.lib.queries import inventory
from pipelines.i18n import fmt_int, fmt_money, t

ctx = ui.context(used=("date_range", "warehouse", "category"))
lang = ctx.lang
data = inventory.page_data(ctx.srv, ctx.filters)
st.title(t("page_inventory", lang))
ui.data_as_of(ctx)

st.subheader(t("stock_position", lang))
position = ui.usable(data["position"], lang)
if position is not None:
    cols = st.columns(4)
    cols[0].metric(t("on_hand", lang), fmt_int(position["on_hand"].sum(), lang))
    cols[1].metric(t("available", lang), fmt_int(position["available"].sum(), lang))
    cols[2].metric(t("stock_value", lang), fmt_money(position["value_at_cost"].sum(), lang))
    cols[3].metric(t("stockouts", lang), fmt_int(position["stockouts"].sum(), lang))
    by_warehouse = position.group_by("warehouse", maintain_order=True).agg(
        pl.col("value_at_cost").sum()
    )
    ui.chart(
        charts.bars(by_warehouse, lang, "warehouse", "value_at_cost", t("stock_value", lang)),
        "inventory-value",
    )
    ui.table(position, "inventory-position", lang)

trend = ui.usable(data["value_trend"], lang)
if trend is not None:
    ui.chart(
        charts.lines_by(
            trend, lang, "position_date", "value_at_cost", "warehouse", t("stock_value", lang)
        ),
        "inventory-value-trend",
    )

st.subheader(f"{t('turnover', lang)} · {t('days_of_inventory', lang)}")
turnover = ui.usable(data["turnover"], lang)
if turnover is not None:
    ui.chart(
        charts.lines_by(turnover, lang, "month_start", "turnover", "category", t("turnover", lang)),
        "inventory-turnover",
    )
    ui.table(turnover, "inventory-turnover", lang)

st.subheader(t("ageing", lang))
ageing = ui.usable(data["ageing"], lang)
if ageing is not None:
    buckets = ["0-30", "31-60", "61-90", "91-180", "over_180"]
    ui.chart(charts.stacked(ageing, lang, "warehouse", buckets, t("ageing", lang)), "ageing")
    ui.table(ageing, "inventory-ageing", lang)

st.subheader(f"{t('low_stock', lang)} · {t('over_stock', lang)}")
alerts = ui.usable(data["alerts"], lang)
if alerts is not None:
    ui.table(alerts, "inventory-alerts", lang)
