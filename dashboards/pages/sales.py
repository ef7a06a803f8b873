"""Sales: trend by day, week or month; breakdowns; period comparisons; ABC; drill-down."""

from __future__ import annotations

import polars as pl
import streamlit as st

from dashboards.lib import charts, ui
from dashboards.lib.queries import sales
from pipelines.i18n import fmt_delta_pct, fmt_int, fmt_money, t

ctx = ui.context(used=("date_range", "channel", "warehouse", "region", "category"))
lang = ctx.lang
st.title(t("page_sales", lang))
ui.data_as_of(ctx)

left, right = st.columns(2)
grain = left.segmented_control(
    t("grain", lang),
    options=list(sales.GRAINS),
    format_func=lambda g: t(f"grain_{g}", lang),
    default="day",
    key="sales_grain",
    required=True,
)
dim = right.selectbox(
    t("breakdown_by", lang),
    options=list(sales.DIMENSIONS),
    format_func=lambda d: t(d, lang),
    key="sales_dim",
)
data = sales.page_data(ctx.srv, ctx.filters, grain, dim, st.session_state.get("sales_category"))
categories = data["categories"]
category_options = (
    categories["key"].drop_nulls().to_list() if isinstance(categories, pl.DataFrame) else []
)

comparison = ui.usable(data["comparison"], lang)
if comparison is not None:
    by_period = {r["period"]: r for r in comparison.iter_rows(named=True)}
    current = by_period.get("current", {})
    cols = st.columns(4)
    for col, measure in zip(
        cols, ("net_revenue", "gross_margin", "refund_amount", "units"), strict=True
    ):
        fmt = fmt_int if measure == "units" else fmt_money
        col.metric(
            t(measure, lang),
            fmt(current.get(measure), lang),
            fmt_delta_pct(current.get(measure), by_period.get("previous", {}).get(measure)),
            help=t("vs_previous", lang),
        )
        year_ago = fmt_delta_pct(current.get(measure), by_period.get("year_ago", {}).get(measure))
        col.caption(f"{t('vs_year_ago', lang)}: {year_ago or '—'}")

trend = ui.usable(data["trend"], lang)
if trend is not None:
    left, right = st.columns([2, 1])
    with left:
        ui.chart(
            charts.trend(trend, lang, ("net_revenue", "gross_margin"), grain=grain),
            "sales-trend",
        )
    with right:
        if comparison is not None:
            ui.chart(charts.comparison(comparison, lang), "sales-comparison")

st.subheader(t("breakdown", lang))
breakdown = ui.usable(data["breakdown"], lang)
if breakdown is not None:
    title = t("sales_by", lang, dim=t(dim, lang))
    ui.chart(
        charts.bars(breakdown.head(20), lang, "label", "net_revenue", title, axis=dim),
        "sales-breakdown",
    )
    ui.table(ui.translated(breakdown, lang, "label"), f"sales-by-{dim}", lang)

st.subheader(t("comparison", lang))
periods = ui.usable(data["periods"], lang)
if periods is not None:
    # sales_periods holds weeks beside a daily trend, else the trend's own grain
    kind = "week" if grain == "day" else grain
    ui.table(periods, "sales-periods", lang, periods={"period_start": kind})

st.subheader(t("drill_down", lang))
category = st.selectbox(
    t("category", lang),
    options=category_options,
    index=None,
    placeholder=t("all", lang),
    key="sales_category",
)
if category is not None and "drill" in data:
    drill = ui.usable(data["drill"], lang)
    if drill is not None:
        title = t("products_in_category", lang, category=category)
        ui.chart(
            charts.bars(drill, lang, "label", "net_revenue", title, axis="product"),
            "sales-drill",
        )
        ui.table(drill, "sales-drill", lang)
        labels = dict(zip(drill["key"].to_list(), drill["label"].to_list(), strict=True))
        sku = st.selectbox(
            t("choose_product", lang),
            options=list(labels),
            format_func=lambda s: f"{labels[s]} ({s})",
            key="sales_drill_sku",
        )
        if sku is not None:
            st.page_link(
                "pages/product.py",
                label=t("open_product", lang),
                icon=":material/arrow_forward:",
                query_params=ui.link_query(ctx, sku=sku),
            )

st.subheader(t("abc_view", lang))
summary = ui.usable(data["abc_summary"], lang)
abc = ui.usable(data["abc"], lang)
if summary is not None and abc is not None:
    left, right = st.columns([1, 2])
    with left:
        ui.chart(
            charts.bars(summary, lang, "abc_class", "net_revenue", t("abc_class", lang)),
            "sales-abc",
        )
        st.caption(
            " · ".join(
                f"{r['abc_class']}: {fmt_int(r['skus'], lang)} SKU"
                for r in summary.iter_rows(named=True)
            )
        )
    with right:
        ui.table(abc, "sales-abc", lang, height=320)
