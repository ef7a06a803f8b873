"""Reports: browse the snapshot archive, compare two snapshots, build and save a custom report."""

from __future__ import annotations

from datetime import date

import polars as pl
import streamlit as st
import streamlit.components.v1 as components

from dashboards.lib import charts, ui
from dashboards.lib.queries import reports
from pipelines.i18n import LANG_NAMES, LANGS, fmt_date, statuses, t
from pipelines.reports.spec import AGGREGATIONS, CHARTS, FILTER_OPS, PERIODS, SpecError
from pipelines.reports.user_specs import save_user_spec

MAX_FILTERS = 3

ctx = ui.context()
lang = ctx.lang
settings = ctx.settings
data = reports.page_data(settings, ctx.srv)
snapshots = data["snapshots"]
by_key = {reports.snapshot_key(s): s for s in snapshots}
st.title(t("page_reports", lang))
ui.data_as_of(ctx)


def _label(key: str) -> str:
    snap = by_key[key]
    return f"{snap.manifest.get('title') or snap.report} · {snap.period} · v{snap.version}"


def show_archive() -> None:
    if not snapshots:
        st.info(t("archive_empty", lang))
        return
    st.subheader(t("snapshots", lang))
    table = reports.snapshot_table(snapshots)
    ui.table(ui.translated(table, lang, "delivery_status"), "reports-archive", lang)
    key = st.selectbox(
        t("open_snapshot", lang), options=list(by_key), format_func=_label, key="reports_open"
    )
    if key is not None:
        show_snapshot(key)


def show_snapshot(key: str) -> None:
    snap = by_key[key]
    manifest = snap.manifest
    st.subheader(_label(key))
    period = manifest.get("period", {})
    cols = st.columns(4)
    cols[0].metric(t("period", lang), period.get("label") or snap.period)
    clock = manifest.get("data_clock")
    cols[1].metric(t("data_clock", lang), fmt_date(_date(clock), lang) if clock else "—")
    cols[2].metric(t("version", lang), f"v{snap.version}")
    cols[3].metric(
        t("delivery_status", lang), statuses([snap.delivery_status], lang)[snap.delivery_status]
    )
    for failure in reports.failures(snap):
        st.error(t("delivery_failed", lang, detail=failure))
    st.markdown(f"**{t('figures', lang)}**")
    ui.table(reports.figures(snap), f"reports-figures-{snap.report}", lang)
    st.markdown(f"**{t('deliveries', lang)}**")
    sent = reports.deliveries(snap)
    if sent.is_empty():
        st.caption(t("no_deliveries", lang))
    else:
        ui.table(ui.translated(sent, lang, "status"), f"reports-deliveries-{snap.report}", lang)
    st.markdown(f"**{t('downloads', lang)}**")
    found = reports.files(snap)
    cols = st.columns(min(len(found), 6) or 1)
    for i, (name, path, mime) in enumerate(found):
        cols[i % len(cols)].download_button(
            name,
            data=path.read_bytes,  # read only when clicked: the HTML carries plotly.js
            file_name=f"{snap.report}-{snap.period}-v{snap.version}-{path.name}",
            mime=mime,
            key=f"reports-file-{name}",
            icon=":material/download:",
            on_click="ignore",
        )
    html = snap.path / "report.html"
    if html.is_file() and st.toggle(t("show_report", lang), key="reports_show_html"):
        components.html(html.read_text(encoding="utf-8"), height=900, scrolling=True)


def _date(text: str) -> date:  # the manifest holds ISO dates as text
    return date.fromisoformat(text[:10])


def show_compare() -> None:
    groups: dict[str, list[str]] = {}
    for key, snap in by_key.items():
        groups.setdefault(snap.report, []).append(key)
    comparable = [report for report, keys in groups.items() if len(keys) >= 2]
    if not comparable:
        st.info(t("compare_needs_two", lang))
        return
    report = st.selectbox(t("report", lang), options=comparable, key="reports_cmp_report")
    keys = groups[report or comparable[0]]
    left, right = st.columns(2)
    earlier = left.selectbox(
        t("snapshot_a", lang), options=keys, index=1, format_func=_label, key="reports_cmp_a"
    )
    later = right.selectbox(
        t("snapshot_b", lang), options=keys, index=0, format_func=_label, key="reports_cmp_b"
    )
    if earlier is None or later is None:
        return
    a, b = by_key[earlier], by_key[later]
    table = reports.compare(a, b)
    names = {"earlier": f"{a.period} v{a.version}", "later": f"{b.period} v{b.version}"}
    # figures differ in scale (money, counts): the chart compares their changes in percent
    title = t("compare_title", lang, a=names["earlier"], b=names["later"])
    ui.chart(charts.changes(table, lang, "figure", "change_pct", title), "reports-cmp")
    shown = table.with_columns(reports.pct_text(pl.col("change_pct"))).rename(names)
    ui.table(shown, "reports-compare", lang)


def _filters(columns: dict[str, str]) -> tuple[list[dict[str, object]], list[str]]:
    """The builder's filter rows as spec filters, and the values that did not parse."""
    out: list[dict[str, object]] = []
    bad: list[str] = []
    for n in range(1, MAX_FILTERS + 1):
        cols = st.columns([2, 1, 3])
        column = cols[0].selectbox(
            t("filter_n", lang, n=n),
            options=list(columns),
            index=None,
            placeholder=t("filter_column", lang),
            key=f"rb_filter_{n}_column",
        )
        op = cols[1].selectbox(t("filter_op", lang), FILTER_OPS, key=f"rb_filter_{n}_op")
        text = cols[2].text_input(t("filter_value", lang), key=f"rb_filter_{n}_value")
        if column is None:
            continue
        try:
            value = reports.parse_value(text, columns[column], op)
        except ValueError:
            bad.append(t("bad_value", lang, n=n, value=text, kind=columns[column]))
            continue
        flt: dict[str, object] = {"column": column, "op": op}
        if value is not None:
            flt["value"] = value
        out.append(flt)
    return out, bad


def show_builder() -> None:
    catalog = data["catalog"]
    if not catalog.marts:
        st.info(t("catalog_empty", lang))
        return
    st.caption(t("builder_intro", lang))
    marts = sorted(catalog.marts)
    top = st.columns(3)
    name = top[0].text_input(t("spec_name", lang), value="my_report", key="rb_name")
    title_en = top[1].text_input(t("title_en", lang), value="My report", key="rb_title_en")
    title_zh = top[2].text_input(t("title_zh", lang), value="我的报告", key="rb_title_zh")
    row = st.columns(4)
    mart = row[0].selectbox(
        t("mart", lang),
        marts,
        index=marts.index("daily_sales") if "daily_sales" in marts else 0,
        key="rb_mart",
    )
    report_lang = row[1].selectbox(
        t("report_language", lang), LANGS, format_func=LANG_NAMES.get, key="rb_lang"
    )
    period = row[2].selectbox(
        t("period_kind", lang),
        PERIODS,
        index=1,
        format_func=lambda p: t(f"grain_{p}", lang),
        key="rb_period",
    )
    schedule = row[3].text_input(t("schedule", lang), value="0 7 * * 1", key="rb_schedule")
    columns = catalog.columns(mart)
    numeric = [c for c in columns if catalog.is_numeric(mart, c)]
    dates = [c for c in columns if catalog.is_temporal(mart, c)]
    row = st.columns(3)
    measures = row[0].multiselect(
        t("measures", lang),
        numeric,
        default=["net_revenue"] if "net_revenue" in numeric else numeric[:1],
        key=f"rb_measures_{mart}",
    )
    agg = row[1].selectbox(t("aggregation", lang), AGGREGATIONS, key="rb_agg")
    labels = [c for c in columns if c not in numeric and c not in dates]
    dimensions = row[2].multiselect(
        t("dimensions", lang),
        [c for c in columns if c not in measures],
        default=labels[:1],
        key=f"rb_dims_{mart}",
    )
    row = st.columns(4)
    date_column = row[0].selectbox(
        t("date_column", lang),
        [None, *dates],
        index=1 if dates else 0,
        format_func=lambda c: t("no_date_column", lang) if c is None else c,
        key=f"rb_date_{mart}",
    )
    outputs = [*dimensions, *[m if agg == "sum" else f"{agg}_{m}" for m in measures]]
    sort = row[1].selectbox(
        t("sort_by", lang),
        [None, *outputs],
        format_func=lambda c: "—" if c is None else c,
        key=f"rb_sort_{mart}",
    )
    descending = row[1].checkbox(t("descending", lang), value=True, key="rb_desc")
    limit = row[2].number_input(
        t("limit", lang), min_value=1, max_value=10_000, value=50, key="rb_limit"
    )
    chart = row[3].selectbox(t("chart_type", lang), CHARTS, index=1, key="rb_chart")
    st.markdown(f"**{t('filters_of_report', lang)}**")
    filters, bad = _filters(columns)
    recipients = st.text_input(t("recipients", lang), key="rb_recipients")
    section: dict[str, object] = {
        "id": "main",
        "title": {"en": title_en, "zh": title_zh},
        "mart": mart,
    }
    if date_column is not None:
        section["date_column"] = date_column
    section |= {
        "measures": [{"column": m, "agg": agg} for m in measures],
        "dimensions": dimensions,
        "filters": filters,
        "sort": [{"column": sort, "descending": descending}] if sort else [],
        "limit": int(limit),
        "chart": chart,
    }
    raw = {
        "name": name,
        "kind": "report",
        "title": {"en": title_en, "zh": title_zh},
        "language": report_lang,
        "period": period,
        "schedule": schedule,
        "recipients": [r.strip() for r in recipients.split(",") if r.strip()],
        "sections": [section],
    }
    st.markdown(f"**{t('preview', lang)}**")
    for problem in bad:
        st.warning(problem)
    try:
        shown = reports.preview(ctx.srv, raw)
    except SpecError as exc:
        st.warning(
            t("spec_problems", lang)
            + "\n\n"
            + "\n".join(
                f"- {p.where}: {p.message}"
                + (f" ({', '.join(p.allowed[:12])})" if p.allowed else "")
                for p in exc.problems
            )
        )
        return
    st.caption(
        t("preview_period", lang, period=shown.period) if shown.period else t("preview_as_of", lang)
    )
    if shown.frame.is_empty():
        st.info(t("preview_empty", lang))
    else:
        if shown.figure is not None:
            ui.chart(shown.figure, "reports-preview-chart")
        ui.table(shown.frame, "reports-preview", lang, height=260)
    with st.expander(t("spec_yaml", lang)):
        st.code(shown.yaml, language="yaml")
    if st.button(t("save_spec", lang), key="rb_save", type="primary", disabled=bool(bad)):
        try:
            path = save_user_spec(raw, catalog, settings)
        except SpecError as exc:
            st.error("\n".join(p.message for p in exc.problems))
        else:
            st.success(t("saved_spec", lang, path=str(path)))
    saved = reports.saved_specs(settings)
    if saved:
        st.caption(f"{t('saved_specs', lang)}: " + ", ".join(saved))


archive_tab, compare_tab, builder_tab = st.tabs(
    [t("tab_archive", lang), t("tab_compare", lang), t("tab_builder", lang)]
)
with archive_tab:
    show_archive()
with compare_tab:
    show_compare()
with builder_tab:
    show_builder()
