"""A customer's own page (reached from the customers page): figures and segment history."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards.lib import charts, ui
from dashboards.lib.queries import customers
from pipelines.i18n import fmt_date, fmt_int, fmt_money, status, t

ctx = ui.context()
lang = ctx.lang
customer_id = st.query_params.get("customer")
st.title(t("page_customer", lang))
if not customer_id:
    st.info(t("no_data", lang))
    st.stop()
data = customers.customer_data(ctx.srv, customer_id)
info = data["customer"]
if not isinstance(info, ui.Frame) or info.is_empty():
    st.warning(t("unknown_customer", lang, customer=customer_id))
    st.stop()
row = info.row(0, named=True)
st.header(f"{row['customer_name'] or ''} ({row['customer_id']})")
st.caption(f"{t('region', lang)}: {row['region'] or '—'} · {row['city'] or '—'}")
ui.data_as_of(ctx)
cols = st.columns(5)
cols[0].metric(t("segment", lang), status(row["segment"], lang))
cols[1].metric(t("orders", lang), fmt_int(row["orders"], lang))
cols[2].metric(t("lifetime_value", lang), fmt_money(row["lifetime_value"], lang))
cols[3].metric(t("churn_risk", lang), status(row["churn_risk"], lang))
cols[4].metric(t("last_order_date", lang), fmt_date(row["last_order_date"], lang))
ui.table(info, f"customer-{customer_id}", lang)

history = ui.usable(data["history"], lang)
if history is not None:
    names = {score: t(score, lang) for score in ("r_score", "f_score", "m_score")}
    scores = history.unpivot(index="month_end", on=list(names), variable_name="score").with_columns(
        pl.col("score").replace(names)
    )
    ui.chart(
        charts.lines_by(scores, lang, "month_end", "value", "score", t("rfm_segments", lang)),
        "customer-scores",
    )
    ui.table(history, f"customer-{customer_id}-history", lang)
