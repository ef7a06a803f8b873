"""What a report shows instead of raw names: catalogue labels for columns, display names for
data values (channels, segments, products by name and SKU), and each figure in its format
(money with its currency sign, counts as whole numbers, shares as percentages, dates in the
report's language), all through the one catalogue, `pipelines/i18n.py`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import duckdb

from pipelines.i18n import (
    CATALOGUE,
    currency_sign,
    fmt_date,
    fmt_hours,
    fmt_int,
    fmt_money,
    fmt_number,
    fmt_pct,
    status,
    t,
)
from pipelines.reports.catalog import Catalog
from pipelines.reports.spec import Measure, Section

# How a measure is printed; chosen from the column's type and name, never per report.
MONEY, COUNT, SHARE, HOURS, NUMBER = "money", "count", "share", "hours", "number"
_SHARE_SUFFIXES = ("_rate", "_share", "share_of_cycle", "_pct", "_service_level", "service_target")
_INTEGER = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT")


def measure_kind(measure: Measure, section: Section, catalog: Catalog) -> str:
    """money (DECIMAL: the house keeps money as DECIMAL), count (whole numbers, counts),
    share (rates and shares beside their numerator), hours, or another number."""
    if measure.agg in ("count", "count_distinct"):
        return COUNT
    if measure.agg == "ratio":
        return SHARE
    column_type = catalog.columns(section.mart).get(measure.column, "").upper()
    if column_type.startswith("DECIMAL"):
        return MONEY
    if column_type.startswith(_INTEGER):
        return COUNT
    if measure.column.endswith(_SHARE_SUFFIXES):
        return SHARE
    if "hours" in measure.column.split("_"):  # p90_duration_hours, hours_late
        return HOURS
    return NUMBER


# Whether a rise is good news, from the measure's words: refunds, cancellations, lateness,
# stockouts, aged stock and quarantined rows rise for the worse; stock on hand, its value and
# what came in are neither good nor bad; anything else (sales, orders, margin, OTIF) rises for
# the better.
_WORSE = frozenset(
    {"refund", "returns", "returned", "cancelled", "late", "stockout", "quarantined", "over"}
    | {"hours", "duration"}
)
_NEITHER = ("on_hand", "value_at_cost", "units_received", "available", "orders_placed")


def tone(measure: str, change: float | None) -> str:
    """`better`, `worse` or `` (no change, or a measure that is neither): a change's colour."""
    if not change or measure.endswith(_NEITHER):
        return ""
    worse = not _WORSE.isdisjoint(measure.split("_"))
    return "better" if (change > 0) != worse else "worse"


@dataclass(frozen=True)
class Names:
    """What the reader calls things: product names by SKU and the currency sign."""

    products: dict[str, str] = field(default_factory=dict)
    currency: str = "¥"


def load_names(con: duckdb.DuckDBPyConnection, catalog: Catalog) -> Names:
    """Product names and the (most common) currency of the catalogue, from marts.products."""
    columns = catalog.columns("products")
    if not {"sku", "product_name"} <= set(columns):
        return Names()
    rows = con.execute("select sku, product_name from marts.products").fetchall()
    currency = None
    if "currency" in columns:
        top = con.execute(
            "select currency from marts.products where currency is not null "
            "group by currency order by count(*) desc, currency limit 1"
        ).fetchall()
        currency = top[0][0] if top else None
    return Names({sku: name for sku, name in rows if name}, currency_sign(currency))


def column_label(column: str, language: str, names: Names | None = None) -> str:
    """A dimension's header: its catalogue label; a column the catalogue lacks reads as words.
    SKUs are shown with their product names, so their header is the product's."""
    if column == "sku" and names is not None and names.products:
        return t("product", language)
    if column in CATALOGUE:
        return t(column, language)
    return column.replace("_", " ").capitalize()


def value_label(column: str, value: Any, names: Names, language: str) -> str:
    """A dimension value as the reader names it."""
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        return fmt_date(value.date(), language)
    if isinstance(value, dt.date):
        return fmt_date(value, language)
    if column == "sku" and str(value) in names.products:
        return f"{names.products[str(value)]} ({value})"
    if isinstance(value, float) and column.endswith(_SHARE_SUFFIXES):  # a service target
        return fmt_pct(value, language)
    return status(value, language)


def fmt_value(value: Any, kind: str, names: Names, language: str) -> str:
    """A measure's value in its format."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if kind == MONEY:
        return fmt_money(value, language, names.currency)
    if kind == COUNT:
        return fmt_int(value, language)
    if kind == SHARE:
        return fmt_pct(value, language)
    if kind == HOURS:
        return fmt_hours(value, language)
    return fmt_number(value, language)


# A true minus sign: a line never breaks after it (a hyphen lets "-" end one line and
# "¥84,801.55" start the next).
MINUS = "\u2212"


def _sign(value: float) -> str:
    return "+" if value >= 0 else MINUS


def fmt_change(change: float | None, kind: str, names: Names, language: str) -> str:
    """A signed change in the measure's format: +¥93,140.00, −12, +0.5 h."""
    if change is None:
        return "—"
    if kind == SHARE:  # a change of a share is in percentage points
        return _sign(change) + t("points", language, value=f"{abs(change) * 100:.1f}")
    return _sign(change) + fmt_value(abs(change), kind, names, language)


def keep_sign_attached(text: str) -> str:
    """For HTML: a word joiner after each sign, so no line ends between a sign and its
    amount (browsers break after a minus sign as after a hyphen)."""
    return text.replace(MINUS, MINUS + "\u2060").replace("+", "+\u2060")


def fmt_growth(pct: float | None) -> str:
    """Growth as a fraction (pipelines.periods.growth) printed +12.5% or −3.0%."""
    return "—" if pct is None else f"{_sign(pct)}{abs(pct) * 100:.1f}%"


def lower_first(label: str, language: str) -> str:
    """`Net revenue` inside a sentence reads `net revenue`; `OTIF` stays as it is."""
    if language == "zh" or len(label) < 2 or not label[1].islower():
        return label
    return label[0].lower() + label[1:]
