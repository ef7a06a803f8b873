"""Customers: RFM segments and migration, cohort retention, repeat rate, lifetime value,
satisfaction and complaints; a link to each customer's own page."""

from __future__ import annotations

import streamlit as st

from dashboards.lib import charts, ui
from dashboards.lib.queries import customers
from pipelines.i18n import fmt_int, fmt_money, fmt_pct, t

ctx = ui.context(used=("date_range", "region"))
lang = ctx.lang
data = customers.page_data(ctx.srv, ctx.filters)
st.title(t("page_customers", lang))
ui.data_as_of(ctx)

summary = ui.usable(data["summary"], lang)
repeat = data["repeat"]
if summary is not None:
    row = summary.row(0, named=True)
    cols = st.columns(5)
    cols[0].metric(t("customers", lang), fmt_int(row["customers"], lang))
    cols[1].metric(t("lifetime_value", lang), fmt_money(row["average_ltv"], lang))
    repeat_rate = repeat["repeat_rate"][0] if isinstance(repeat, ui.Frame) else None
    cols[2].metric(t("repeat_rate", lang), fmt_pct(repeat_rate, lang))
    cols[3].metric(t("complaints", lang), fmt_int(row["complaints"], lang))
    satisfaction = row["satisfaction"]
    cols[4].metric(t("satisfaction", lang), "—" if satisfaction is None else f"{satisfaction:.2f}")

st.subheader(t("rfm_segments", lang))
segments = ui.usable(data["segments"], lang)
if segments is not None:
    left, right = st.columns(2)
    with left:
        ui.chart(
            charts.bars(segments, lang, "segment", "customers", t("customers", lang), money=False),
            "customers-segments",
        )
    with right:
        ui.chart(
            charts.bars(segments, lang, "segment", "monetary", t("segment_value", lang)),
            "customers-segment-value",
        )
    ui.table(segments, "customer-segments", lang)

migrations = ui.usable(data["migrations"], lang)
if migrations is not None:
    ui.chart(
        charts.heatmap(
            migrations,
            lang,
            "to_segment",
            "from_segment",
            "customers",
            t("migration", lang),
            percent=False,
        ),
        "customers-migration",
    )

st.subheader(t("cohort_retention", lang))
cohorts = ui.usable(data["cohorts"], lang)
if cohorts is not None:
    ui.chart(
        charts.heatmap(
            cohorts,
            lang,
            "months_since_first",
            "cohort_month",
            "retention_rate",
            t("cohort_retention", lang),
        ),
        "customers-cohorts",
    )
    ui.table(cohorts, "customer-cohorts", lang)

left, right = st.columns(2)
with left:
    ltv = ui.usable(data["ltv"], lang)
    if ltv is not None:
        ui.chart(charts.histogram(ltv, lang, t("ltv_distribution", lang)), "customers-ltv")
with right:
    churn = ui.usable(data["churn"], lang)
    if churn is not None:
        ui.chart(
            charts.bars(churn, lang, "churn_risk", "customers", t("churn_risk", lang), money=False),
            "customers-churn",
        )

st.subheader(t("customers", lang))
top = ui.usable(data["top"], lang)
if top is not None:
    ui.table(top, "customers-top", lang, height=320)
    names = dict(zip(top["customer_id"].to_list(), top["customer_name"].to_list(), strict=True))
    chosen = st.selectbox(
        t("choose_customer", lang),
        options=list(names),
        format_func=lambda c: f"{names[c] or ''} ({c})",
        key="customers_pick",
    )
    if chosen is not None:
        st.page_link(
            "pages/customer.py",
            label=t("open_customer", lang),
            icon=":material/arrow_forward:",
            query_params=ui.link_query(ctx, customer=chosen),
        )
