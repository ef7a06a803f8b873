"""Replenishment: what to order and move, one series' forecast against its demand, accuracy."""

from __future__ import annotations

import json

import streamlit as st

from dashboards.lib import charts, ui
from dashboards.lib.queries import replenishment
from pipelines.i18n import fmt_int, fmt_pct, sentence_in, statuses, t


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


ctx = ui.context(used=("warehouse", "category"))
lang = ctx.lang
st.title(t("page_replenishment", lang))
ui.data_as_of(ctx)

needs_only = st.toggle(t("needs_order_only", lang), value=True, key="repl_needs_only")
data = replenishment.page_data(ctx.srv, ctx.filters, needs_only)
if isinstance(data["reorder"], ui.Missing):
    # the forecasting step has not run on this build yet: say so, not "mart missing"
    st.info(f"**{t('plan_missing_title', lang)}**\n\n{t('plan_missing_body', lang)}")
    st.stop()


st.subheader(t("reorder_list", lang))
reorder = data["reorder"]
if isinstance(reorder, ui.Frame) and reorder.is_empty():
    st.info(t("nothing_to_order" if needs_only else "no_data", lang))
elif isinstance(reorder, ui.Frame):
    cols = st.columns(3)
    cols[0].metric(t("lines_to_order", lang), fmt_int(reorder["needs_order"].sum(), lang))
    cols[1].metric(t("units_to_order", lang), fmt_int(reorder["order_qty"].sum(), lang))
    cols[2].metric(t("late_orders", lang), fmt_int(reorder["is_late"].sum(), lang))
    shown = ui.translated(reorder.drop("warehouse_id"), lang, "demand_class", "why")
    ui.table(shown, "replenishment-reorder", lang)

st.subheader(t("transfer_list", lang))
transfers = data["transfers"]
if isinstance(transfers, ui.Frame) and transfers.is_empty():
    st.info(t("no_transfers", lang))
else:
    moves = ui.usable(transfers, lang)
    if moves is not None:
        ui.table(moves, "replenishment-transfers", lang)

st.subheader(t("forecast_view", lang))
series = ui.usable(data["series"], lang)
if series is not None:
    labels = {
        f"{r['sku']}|{r['warehouse_id']}": f"{r['product_name'] or r['sku']} ({r['sku']}) · "
        f"{r['warehouse']}"
        for r in series.iter_rows(named=True)
    }
    chosen = st.selectbox(
        t("choose_series", lang),
        options=list(labels),
        format_func=labels.__getitem__,
        key="repl_series",
    )
    if chosen is not None:
        sku, warehouse_id = chosen.split("|", 1)
        one = replenishment.series_data(ctx.srv, sku, warehouse_id, ctx.options.last_date)
        forecast, actual = ui.usable(one["forecast"], lang), one["actual"]
        if forecast is not None and isinstance(actual, ui.Frame):
            title = t("forecast_title", lang, series=labels[chosen])
            ui.chart(charts.forecast_bands(actual, forecast, lang, title), "replenishment-forecast")
        backtest = ui.usable(one["backtest"], lang)
        if backtest is not None:
            row = backtest.row(0, named=True)
            cols = st.columns([2, 1, 1, 1, 1, 1])  # model names are long
            cols[0].metric(t("model_used", lang), row["model_used"] or "—")
            cols[1].metric(t("wape", lang), fmt_pct(row["wape"], lang))
            cols[2].metric(t("mase", lang), "—" if row["mase"] is None else f"{row['mase']:.2f}")
            cols[3].metric(t("bias", lang), fmt_pct(row["bias"], lang))
            cols[4].metric(t("coverage80", lang), fmt_pct(row["coverage80"], lang))
            cols[5].metric(t("coverage95", lang), fmt_pct(row["coverage95"], lang))
            st.caption(
                t(
                    "model_why",
                    lang,
                    demand_class=statuses([row["demand_class"]], lang)[row["demand_class"]],
                    reason=sentence_in(row["model_reason"], lang) or "—",
                )
            )
            if row["naive_wape"] is not None:
                naive_mase = "—" if row["naive_mase"] is None else f"{row['naive_mase']:.2f}"
                st.caption(
                    t("vs_naive", lang, wape=fmt_pct(row["naive_wape"], lang), mase=naive_mase)
                )
            if row["holdout_n_points"]:
                st.caption(
                    t(
                        "held_back_scores",
                        lang,
                        wape=fmt_pct(row["holdout_wape"], lang),
                        mase=_ratio(row["holdout_mase"]),
                        naive_wape=fmt_pct(row["naive_holdout_wape"], lang),
                        naive_mase=_ratio(row["naive_holdout_mase"]),
                    )
                )
        explain = ui.usable(one["explain"], lang)
        if explain is not None:
            st.markdown(f"**{t('why', lang)}:** {sentence_in(explain['why'][0], lang)}")
            with st.expander(t("explain_details", lang)):
                st.json(json.loads(explain["explain"][0] or "{}"))

st.subheader(t("accuracy", lang))
accuracy = data["accuracy"]
if isinstance(accuracy, ui.Frame) and accuracy.is_empty():
    st.info(t("accuracy_empty", lang))
else:
    scores = ui.usable(accuracy, lang)
    if scores is not None:
        st.caption(t("accuracy_windows", lang))
        left, right = st.columns(2)
        for column, metric in ((left, "wape"), (right, "mase")):
            with column:
                title = t("accuracy_title", lang, metric=t(metric, lang))
                ui.chart(
                    charts.grouped_bars(
                        scores, lang, "demand_class", metric, "compared", title, metric == "wape"
                    ),
                    f"replenishment-accuracy-{metric}",
                )
        shown = ui.translated(scores.drop("compared"), lang, "demand_class", "scope", "window")
        ui.table(shown, "replenishment-accuracy", lang)

st.subheader(t("simulation", lang))
simulation = data["simulation"]
if isinstance(simulation, ui.Frame) and simulation.is_empty() or isinstance(simulation, ui.Missing):
    st.info(t("simulation_empty", lang))
else:
    points = ui.usable(simulation, lang)
    if points is not None:
        st.caption(
            t(
                "simulation_about",
                lang,
                start=points["start_date"][0],
                end=points["end_date"][0],
            )
        )
        ui.chart(
            charts.tradeoff(points, lang, t("simulation_title", lang)),
            "replenishment-simulation",
        )
        shown = ui.translated(points.drop("start_date", "end_date"), lang, "policy")
        ui.table(shown, "replenishment-simulation", lang)
