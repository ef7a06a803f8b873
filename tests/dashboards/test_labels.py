"""Every table and chart of every page speaks the reader's language, not the marts'.

Headers, axis titles, legend titles and trace names are catalogue values (or data values such
as a warehouse's name), never a column name of the marts the page reads; weeks and months
read as 2026-W07 and 2026-02 / 2026年2月, never as timestamps.
"""

from __future__ import annotations

import json
import re
from datetime import date

import duckdb
import pytest
from pandas.api.types import is_datetime64_any_dtype
from streamlit.testing.v1 import AppTest

from pipelines.i18n import CATALOGUE, STATUS, fmt_month, fmt_week, status, t
from pipelines.settings import Settings
from pipelines.warehouse import serving_path
from tests.dashboards.conftest import open_page

# page -> the query of a view that shows its tables (drill-down pages need their subject)
VIEWS: dict[str, dict[str, str]] = {
    "pages/overview.py": {},
    "pages/sales.py": {},
    "pages/inventory.py": {},
    "pages/customers.py": {},
    "pages/efficiency.py": {},
    "pages/data_quality.py": {},
    "pages/replenishment.py": {},
    "pages/reports.py": {},
    "pages/product.py": {"sku": "SKU-B"},
    "pages/customer.py": {"customer": "C1"},
}
# Keys whose columns hold weeks or months: their cells are labels, never timestamps.
PERIOD_KEYS = ("week", "week_start", "month", "month_start", "cohort_month", "month_end")
TIMESTAMP = re.compile(r"\d{2}:\d{2}:\d{2}")
# The reports page's compare table names its two columns after the snapshots compared.
SNAPSHOT_LABEL = re.compile(r"^\d{4}-(W\d{2}|\d{2}) v\d+$")
# The grid draws dates itself: with pipelines.i18n.fmt_date's format, as a momentJS pattern.
DATE_FORMAT = {"en": "D MMM YYYY", "zh": "YYYY年M月D日"}
MONEY_KEYS = ("net_revenue", "lifetime_value", "value_at_cost", "monetary", "gross_margin")


def _index(lang: str) -> int:
    return 1 if lang == "zh" else 0


def _words(lang: str) -> set[str]:
    """What a header may say: a catalogue or status value in the reader's language."""
    entries = [*CATALOGUE.values(), *STATUS.values()]
    return {entry[_index(lang)] for entry in entries}


@pytest.fixture(scope="module")
def mart_columns(published: Settings) -> set[str]:
    """Every column name of the published marts and ops tables (what a page must not show)."""
    path = serving_path(published)
    assert path is not None
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.sql(
            "select distinct column_name from information_schema.columns "
            "where table_schema in ('marts', 'ops')"
        ).fetchall()
    return {name for (name,) in rows}


def _texts_of_figure(spec: dict) -> list[tuple[str, str]]:
    """(where, text) of every axis title, legend title and trace name of a Plotly figure."""
    found: list[tuple[str, str]] = []
    layout = spec.get("layout", {})
    for name, axis in layout.items():
        if re.fullmatch(r"[xy]axis\d*", name) and isinstance(axis, dict):
            title = axis.get("title")
            text = title.get("text") if isinstance(title, dict) else title
            if text:
                found.append((name + " title", str(text)))
    legend = layout.get("legend", {}).get("title", {})
    if isinstance(legend, dict) and legend.get("text"):
        found.append(("legend title", str(legend["text"])))
    for trace in spec.get("data", []):
        if trace.get("name"):
            found.append(("trace name", str(trace["name"])))
    return found


def _period_cells(spec: dict) -> list[str]:
    """The x and y values of every trace as text (a week axis must not hold timestamps)."""
    cells: list[str] = []
    for trace in spec.get("data", []):
        for axis in ("x", "y"):
            values = trace.get(axis)
            if isinstance(values, list):
                cells += [str(v) for v in values if isinstance(v, str)]
    return cells


def _problems(at: AppTest, lang: str, raw: set[str]) -> list[str]:
    words = _words(lang)
    leaks = raw - words  # a column name that is not also a catalogue value
    period_headers = {t(key, lang) for key in PERIOD_KEYS}
    problems = []
    money_headers = {t(key, lang) for key in MONEY_KEYS}
    for element in at.dataframe:
        frame = element.value
        formats = {
            name: json.dumps(config, ensure_ascii=False)
            for name, config in json.loads(element.proto.columns or "{}").items()
        }
        for header in map(str, frame.columns):
            if is_datetime64_any_dtype(frame[header]) and DATE_FORMAT[lang] not in formats.get(
                header, ""
            ):
                problems.append(f"{header!r} dates are not in the language's date format")
            if header in money_headers and "¥" not in formats.get(header, ""):
                problems.append(f"{header!r} money is shown without its currency")
            if header in leaks or not (header in words or SNAPSHOT_LABEL.match(header)):
                problems.append(f"table header {header!r}")
            if header in period_headers:
                stamps = [str(v) for v in frame[header] if TIMESTAMP.search(str(v))]
                if stamps:
                    problems.append(f"{header!r} cells look like timestamps: {stamps[:2]}")
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        titled = {where for where, _ in _texts_of_figure(spec)}
        if not {"xaxis title", "yaxis title"} <= titled:
            problems.append(f"chart {spec['layout'].get('title')} lacks an axis title")
        for where, text in _texts_of_figure(spec):
            if text in leaks:
                problems.append(f"chart {where} {text!r}")
            if where != "trace name" and text not in words:
                problems.append(f"chart {where} {text!r} is not from the catalogue")
        stamps = [cell for cell in _period_cells(spec) if "00:00:00" in cell]
        if stamps:
            problems.append(f"chart values look like timestamps: {stamps[:2]}")
    return problems


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("page", list(VIEWS))
def test_tables_and_charts_show_catalogue_labels_and_readable_periods(
    with_data, mart_columns, page, lang
):
    at = open_page(page, lang=lang, **VIEWS[page])
    assert not at.exception
    assert at.dataframe or at.get("plotly_chart"), "the page shows tables or charts"
    problems = _problems(at, lang, mart_columns)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("grain", ["week", "month"])
def test_sales_trend_and_periods_read_as_weeks_and_months(with_data, mart_columns, grain, lang):
    at = open_page("pages/sales.py", lang=lang)
    at.segmented_control(key="sales_grain").set_value(grain).run()
    at.selectbox(key="sales_category").set_value("kitchen").run()
    assert not at.exception
    problems = _problems(at, lang, mart_columns)
    assert not problems, "\n".join(problems)
    breakdown = at.dataframe[0].value  # by channel: the channels by their names, not codes
    assert status("web", lang) in set(breakdown[t("label", lang)])
    trend = json.loads(at.get("plotly_chart")[0].proto.spec)
    first = trend["data"][0]["x"][0]
    assert re.fullmatch(r"\d{4}-W\d{2}" if grain == "week" else r"\d{4}(-\d{2}|年\d{1,2}月)", first)


def test_weeks_are_iso_week_labels_and_months_follow_the_language():
    assert fmt_week(date(2026, 8, 3), "en") == "2026-W32"
    assert fmt_week(date(2026, 8, 3), "zh") == "2026-W32"
    assert fmt_week(date(2027, 1, 1), "en") == "2026-W53"  # the ISO year, not the calendar one
    assert fmt_month(date(2026, 8, 1), "en") == "2026-08"
    assert fmt_month(date(2026, 8, 31), "zh") == "2026年8月"
    assert fmt_week(None, "en") == fmt_month(None, "zh") == "—"
