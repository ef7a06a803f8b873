"""Widgets every page uses: the page context, empty states, tables with downloads, metrics."""

from __future__ import annotations

import io
from dataclasses import dataclass

import plotly.graph_objects as go
import polars as pl
import polars.selectors as cs
import streamlit as st

from dashboards.lib import columns, session
from dashboards.lib import filters as filter_state
from dashboards.lib.filters import Filters, Options
from dashboards.lib.queries.common import options
from dashboards.lib.serving import Missing, Section, Serving, current
from pipelines.i18n import STATUS, Lang, fmt_date, sentence_in, statuses, t
from pipelines.settings import Settings

Frame = pl.DataFrame  # for pages' isinstance checks on a Section
__all__ = ["Context", "Frame", "Missing", "chart", "context", "data_as_of", "table", "usable"]

# Columns whose values are enums of the marts: shown translated.
STATUS_COLUMNS = (
    "channel",
    "segment",
    "from_segment",
    "to_segment",
    "churn_risk",
    "abc_class",
    "mover_class",
    "stage",
    "current_stage",
    "late_stage",
    "stage_left_out",
    "rule_code",
    "alert_type",
    "ticket_type",
    "topic",
)


@dataclass(frozen=True)
class Context:
    srv: Serving
    options: Options
    filters: Filters
    lang: Lang
    settings: Settings
    used: tuple[str, ...] = ()


def context(used: tuple[str, ...] = ()) -> Context:
    """The serving file, filters and language; a friendly stop when nothing was published."""
    settings = session.settings()
    srv = current(settings)
    opts = options(srv) if srv is not None else None
    # app.py starts the session too; a page run on its own (AppTest) must not depend on it
    filter_state.start_session(opts)
    lang = filter_state.lang()
    if srv is None or opts is None:
        st.info(f"**{t('no_warehouse_title', lang)}**\n\n{t('no_warehouse_body', lang)}")
        st.stop()
    return Context(
        srv=srv,
        options=opts,
        filters=filter_state.current(opts),
        lang=lang,
        settings=settings,
        used=used,
    )


def data_as_of(ctx: Context) -> None:
    published = ctx.srv.published_at[:16].replace("T", " ")
    st.caption(
        t(
            "data_as_of",
            ctx.lang,
            clock=fmt_date(ctx.options.last_date, ctx.lang),
            version=ctx.srv.version,
            published=published + " UTC",
        )
    )
    if ctx.used:
        names = ", ".join(t(name, ctx.lang) for name in ctx.used)
        st.caption(t("applied_filters", ctx.lang, names=names))


def usable(section: Section, lang: Lang) -> pl.DataFrame | None:
    """The frame to draw, or None after saying why not (mart not built, no data)."""
    if isinstance(section, Missing):
        st.info(
            t("mart_outdated" if section.outdated else "mart_missing", lang, name=section.table)
        )
        return None
    if section.is_empty():
        st.info(t("no_data", lang))
        return None
    return section


def chart(fig: go.Figure, key: str) -> None:
    st.plotly_chart(fig, key=key, config={"displaylogo": False})


def _display(
    frame: pl.DataFrame, lang: Lang, periods: columns.Periods | None = None
) -> pl.DataFrame:
    """Enum values translated, weeks and months as labels, decimals to two places, headers in
    the reader's language (`periods` names the kind of a column its name does not tell)."""
    mapping = {value: names[1 if lang == "zh" else 0] for value, names in STATUS.items()}
    shown = columns.as_labels(
        frame.with_columns(
            pl.col(column).cast(pl.Utf8).replace(mapping)
            for column in STATUS_COLUMNS
            if column in frame.columns
        ).with_columns(cs.float().round(2)),
        lang,
        periods,
    )
    return shown.rename({c: columns.header(c, lang) for c in shown.columns})


def translated(frame: pl.DataFrame, lang: Lang, *names: str) -> pl.DataFrame:
    """Data values of `names` (a channel in a breakdown's label, a plan line's `why`, ...) in the
    reader's language: the marts' enums and the sentences the forecasting step writes."""
    return frame.with_columns(
        pl.col(c).replace(
            {
                value: sentence_in(shown, lang)
                for value, shown in statuses(frame[c].unique().to_list(), lang).items()
            }
        )
        for c in names
        if c in frame.columns
    )


def _xlsx(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_excel(buffer, autofit=True)
    return buffer.getvalue()


def table(
    frame: pl.DataFrame,
    name: str,
    lang: Lang,
    height: int | None = None,
    periods: columns.Periods | None = None,
) -> None:
    """A table with CSV and Excel downloads of what it shows: the same headers and labels,
    the numbers and dates as values (the grid formats them: money, counts, rates, dates)."""
    shown = _display(frame, lang, periods)
    formats = columns.config(frame, lang, periods)
    st.dataframe(shown, hide_index=True, height=height or "auto", column_config=formats)
    left, right, _ = st.columns([1, 1, 8])
    left.download_button(
        t("download_csv", lang),
        data=shown.write_csv().encode("utf-8-sig"),  # the BOM makes Excel read Chinese right
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"{name}-csv",
        icon=":material/download:",
        on_click="ignore",
    )
    right.download_button(
        t("download_xlsx", lang),
        data=_xlsx(shown),
        file_name=f"{name}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key=f"{name}-xlsx",
        icon=":material/download:",
        on_click="ignore",
    )


def link_query(ctx: Context, **extra: str) -> dict[str, str | list[str]]:
    """URL parameters for a link to another page that keeps this view's filters."""
    return filter_state.to_query(ctx.filters, ctx.lang) | extra
