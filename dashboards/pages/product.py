"""A product's own page (reached from the sales drill-down): figures, trend, channels, stock."""

from __future__ import annotations

import streamlit as st

from dashboards.lib import charts, ui
from dashboards.lib.queries import product
from pipelines.i18n import fmt_int, fmt_money, status, t

ctx = ui.context(used=("date_range", "channel", "warehouse", "region"))
lang = ctx.lang
sku = st.query_params.get("sku")
st.title(t("page_product", lang))
if not sku:
    st.info(t("no_data", lang))
    st.stop()
data = product.page_data(ctx.srv, ctx.filters, sku)
info = data["product"]
if not isinstance(info, ui.Frame) or info.is_empty():
    st.warning(t("unknown_product", lang, sku=sku))
    st.stop()
row = info.row(0, named=True)
st.header(f"{row['product_name']} ({row['sku']})")
st.caption(f"{t('category', lang)}: {row['category']}")
ui.data_as_of(ctx)
cols = st.columns(5)
cols[0].metric(t("net_revenue", lang), fmt_money(row["net_revenue"], lang))
cols[1].metric(t("units", lang), fmt_int(row["units"], lang))
cols[2].metric(t("gross_margin", lang), fmt_money(row["gross_margin"], lang))
cols[3].metric(t("abc_class", lang), status(row["abc_class"], lang))
cols[4].metric(t("mover_class", lang), status(row["mover_class"], lang))

trend = ui.usable(data["trend"], lang)
if trend is not None:
    ui.chart(charts.trend(trend, lang, ("net_revenue", "gross_margin")), "product-trend")
channels = ui.usable(data["channels"], lang)
if channels is not None:
    ui.chart(
        charts.bars(
            channels,
            lang,
            "label",
            "net_revenue",
            t("sales_by", lang, dim=t("channel", lang)),
            axis="channel",
        ),
        "product-channels",
    )
    ui.table(ui.translated(channels, lang, "label"), f"product-{sku}-channels", lang)
st.subheader(t("stock_position", lang))
stock = ui.usable(data["stock"], lang)
if stock is not None:
    ui.table(stock, f"product-{sku}-stock", lang)
