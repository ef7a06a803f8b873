"""How a page shows a column of a mart: its header from the catalogue, its values the reader's way.

Weeks and months are names of periods, not instants: they become labels (2026-W32; 2026-08 or
2026年8月) through the catalogue's formatters. Dates, timestamps, money, counts and rates keep
their type, so a click on a header still sorts them in order, and get a display format in the
table's column configuration (the format a manager reads, the value a download keeps).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Literal

import polars as pl
import streamlit as st

from pipelines.i18n import CATALOGUE, STATUS, fmt_month, fmt_week, status, t

Kind = Literal["week", "month", "date", "timestamp", "money", "rate", "percent", "count", "plain"]
Periods = Mapping[str, Kind]  # a page's say on what a column holds, over the names below

WEEKS = frozenset({"week_start"})
MONTHS = frozenset({"month_start", "cohort_month", "month_end"})
MONEY = frozenset(
    {
        "net_revenue",
        "gross_revenue",
        "gross_margin",
        "refund_amount",
        "net_revenue_after_returns",
        "discount_amount",
        "monetary",
        "lifetime_value",
        "value_at_cost",
        "cogs",
        "average_inventory_value",
        "average_order_value",
        "unit_cost",
        "list_price",
        "cost_per_unit",
        "buy_cost_per_unit",
        "amount",
        "avg_stock_value",
    }
)
# Shares (0.25 = 25 %); the marts' `*_pct` columns are already percents (12.5 = +12.5 %).
RATES = frozenset(
    {
        "share",
        "cumulative_revenue_share",
        "cycle_share",
        "wape",
        "bias",
        "coverage80",
        "coverage95",
        "service_target",
        "cycle_service_level",
    }
)
# Whole numbers that name a thing rather than count it: no thousands separator.
CODES = frozenset({"batch_id", "quarantine_id", "source_row", "version", "attempt", "revenue_rank"})

CURRENCY = "¥"  # as pipelines.i18n.fmt_money writes it
# momentJS patterns of pipelines.i18n.fmt_date ("3 Aug 2026", "2026年8月3日"): the grid draws
# dates itself, so it gets the same format as a pattern.
DATE_PATTERN = {"en": "D MMM YYYY", "zh": "YYYY年M月D日"}
_FORMATS: dict[Kind, str] = {
    "money": CURRENCY + "%,.2f",
    "rate": "percent",
    "percent": "%+.1f%%",
    "count": "%,d",
    "plain": "%d",
}
_LABELS: dict[str, Callable[[date | None, str], str]] = {"week": fmt_week, "month": fmt_month}


def kind(column: str, dtype: pl.DataType, periods: Periods | None = None) -> Kind | None:
    """What `column` holds, from the page's word, then its name, then its type."""
    if periods and column in periods:
        return periods[column]
    temporal = dtype in (pl.Date, pl.Datetime) or isinstance(dtype, pl.Datetime)
    if temporal and column in WEEKS:
        return "week"
    if temporal and column in MONTHS:
        return "month"
    if dtype == pl.Date:
        return "date"
    if isinstance(dtype, pl.Datetime):
        return "timestamp"
    if not dtype.is_numeric():
        return None
    if column in MONEY:
        return "money"
    if column in RATES or column.endswith("_rate"):
        return "rate"
    if column.endswith("_pct"):
        return "percent"
    if dtype.is_integer():
        return "plain" if column in CODES else "count"
    return None


def header(column: str, lang: str) -> str:
    """A column's header: its catalogue label (age buckets and the like: their status label)."""
    if column in CATALOGUE:
        return t(column, lang)
    return status(column, lang) if column in STATUS else column


def period_label(kind: Kind | None) -> Callable[[date | None, str], str] | None:
    """The catalogue's formatter of a week or month column, None for any other kind."""
    return _LABELS.get(kind) if kind else None


def labelled(series: pl.Series, column: str, lang: str, periods: Periods | None = None) -> list:
    """The values of a chart axis: weeks and months as labels, anything else as it is."""
    formatter = period_label(kind(column, series.dtype, periods))
    values = series.to_list()
    return [formatter(v, lang) for v in values] if formatter else values


def as_labels(frame: pl.DataFrame, lang: str, periods: Periods | None = None) -> pl.DataFrame:
    """Week and month columns turned into their labels (each distinct value formatted once)."""
    exprs = []
    for column, dtype in frame.schema.items():
        formatter = period_label(kind(column, dtype, periods))
        if formatter is None:
            continue
        values = frame[column].drop_nulls().unique().to_list()
        exprs.append(
            pl.col(column)
            .replace_strict(values, [formatter(v, lang) for v in values], return_dtype=pl.String)
            .fill_null("—")
        )
    return frame.with_columns(exprs) if exprs else frame


def config(frame: pl.DataFrame, lang: str, periods: Periods | None = None) -> dict[str, object]:
    """Column configuration of the shown table (keyed by header): formats of every typed column."""
    shown: dict[str, object] = {}
    for column, dtype in frame.schema.items():
        found = kind(column, dtype, periods)
        name = header(column, lang)
        if found == "date":
            shown[name] = st.column_config.DateColumn(format=DATE_PATTERN[_lang(lang)])
        elif found == "timestamp":
            pattern = DATE_PATTERN[_lang(lang)] + " HH:mm"
            shown[name] = st.column_config.DatetimeColumn(format=pattern)
        elif found in _FORMATS:
            shown[name] = st.column_config.NumberColumn(format=_FORMATS[found])
        elif dtype.is_float():
            shown[name] = st.column_config.NumberColumn(format="localized")
    return shown


def _lang(lang: str) -> str:
    return "zh" if lang == "zh" else "en"
