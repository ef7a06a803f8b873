"""A built-in report end to end on the fixture business: figures against the marts, every
output file, the archive's versions, and a loud failure on an empty period."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import duckdb
import openpyxl
import polars as pl
import pytest
from PIL import Image

from pipelines.reports.archive import ArchivedSnapshot, list_snapshots
from pipelines.reports.charts import EmptyReport, build_figure, check_not_blank
from pipelines.reports.runner import find_spec, run_report
from pipelines.reports.spec import load_spec
from pipelines.settings import Settings
from pipelines.warehouse import serving_path
from tests.reports.conftest import archive_beside

WEEK = "2026-W07"  # 2026-02-09 .. 2026-02-15 of the fixture business


@pytest.fixture(scope="module")
def own_data(served: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return archive_beside(served, tmp_path_factory.mktemp("render"))


@pytest.fixture(scope="module")
def weekly(own_data: Settings) -> ArchivedSnapshot:
    return run_report(
        load_spec(find_spec("weekly_sales", own_data)), WEEK, settings=own_data
    ).snapshot


def mart_value(settings: Settings, sql: str, params: list[object]) -> float:
    with duckdb.connect(str(serving_path(settings)), read_only=True) as con:
        return float(con.execute(sql, params).fetchall()[0][0])


def figure(snapshot: ArchivedSnapshot, section: str, measure: str) -> dict[str, object]:
    return next(
        f
        for f in snapshot.manifest["figures"]
        if (f["section"], f["measure"]) == (section, measure)
    )


def test_headline_figures_equal_the_marts_and_the_hand_computed_business(
    weekly: ArchivedSnapshot, own_data: Settings
) -> None:
    daily = (
        "select sum(net_revenue) from marts.daily_sales where sales_date >= ? and sales_date < ?"
    )
    this_week = mart_value(own_data, daily, [dt.date(2026, 2, 9), dt.date(2026, 2, 16)])
    last_week = mart_value(own_data, daily, [dt.date(2026, 2, 2), dt.date(2026, 2, 9)])
    revenue = figure(weekly, "sales_overview", "net_revenue")
    assert (revenue["value"], revenue["previous"]) == (this_week, last_week) == (300.0, 60.0)
    assert revenue["change_vs_previous"] == 240.0 and revenue["change_vs_previous_pct"] == 4.0
    # The fixture starts in 2026: no base a year before, so no change (not a zero).
    assert revenue["year_ago"] is None and revenue["change_vs_year_ago"] is None
    # The sparkline: the last eight weeks, this one last; a week without sales has no value.
    weekly_total = (
        "select sum(net_revenue) from marts.sales_periods "
        "where period_type = 'week' and channel = 'all' and period_start = ?"
    )
    with duckdb.connect(str(serving_path(own_data)), read_only=True) as con:
        trend = [
            con.execute(weekly_total, [dt.date(2026, 2, 9) - dt.timedelta(weeks=n)]).fetchall()
            for n in range(7, -1, -1)
        ]
    assert revenue["trend"] == [None if v is None else float(v) for [(v,)] in trend]
    assert revenue["trend"][-2:] == [last_week, this_week]
    orders = figure(weekly, "sales_overview", "orders")
    periods = (
        "select orders from marts.sales_periods "
        "where period_type = 'week' and channel = 'all' and period_start = ?"
    )
    assert orders["value"] == mart_value(own_data, periods, [dt.date(2026, 2, 9)]) == 2


def test_manifest_records_period_data_version_filters_and_biggest_movers(
    weekly: ArchivedSnapshot, own_data: Settings
) -> None:
    manifest = weekly.manifest
    assert manifest["period"] == {
        "kind": "week",
        "label": WEEK,
        "start": "2026-02-09",
        "end": "2026-02-15",
    }
    assert manifest["data_version"] == serving_path(own_data).stem
    assert manifest["data_clock"] == "2026-03-12"
    assert manifest["filters"]["sales_overview"] == "period_type = week; channel = all"
    contributions = [abs(m["contribution"]) for m in manifest["movers"]]
    assert contributions == sorted(contributions, reverse=True)
    assert {m["section"] for m in manifest["movers"]} <= {"revenue_by_channel", "top_products"}


def test_html_is_self_contained_and_prints_filters_and_data_version(
    weekly: ArchivedSnapshot,
) -> None:
    html = (weekly.path / "report.html").read_text(encoding="utf-8")
    head, _, rest = html.partition("</head>")
    assert "plotly.js v" in head  # the library itself is inline, once
    assert "<script src=" not in rest and 'src="http' not in rest
    assert rest.count("Plotly.newPlot") == 2
    assert weekly.manifest["data_version"] in html
    assert "period_type = week; channel = all" in html and "What changed" in html
    # The filters and the marts are named once, in the technical footer, not per section.
    body, _, footer = html.partition('<footer id="technical-details">')
    assert "period_type" not in body.rpartition("</script>")[2] and "daily_sales" in footer


def test_pdf_pages_are_not_blank(weekly: ArchivedSnapshot, tmp_path: Path) -> None:
    subprocess.run(
        ["pdftoppm", "-r", "40", "-png", str(weekly.path / "report.pdf"), str(tmp_path / "page")],
        check=True,
    )
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) >= 2
    for page in pages:
        with Image.open(page) as image:
            grey = image.convert("L")
            dark = sum(grey.histogram()[:200])
        assert dark > 500, f"{page.name} looks blank"


def test_charts_are_png_and_tables_are_csv_and_xlsx_matching_the_rows(
    weekly: ArchivedSnapshot,
) -> None:
    charts = sorted(p.name for p in (weekly.path / "charts").glob("*.png"))
    assert charts == ["revenue_by_channel.png", "revenue_by_day.png"]
    channels = pl.read_csv(weekly.path / "data" / "revenue_by_channel.csv")
    assert channels.columns == ["channel", "net_revenue", "gross_margin"]
    assert channels["net_revenue"].sum() == 300.0
    book = openpyxl.load_workbook(weekly.path / "report.xlsx", read_only=True)
    assert book.sheetnames == [
        "figures",
        "sales_overview",
        "revenue_by_day",
        "revenue_by_channel",
        "top_products",
    ]
    rows = list(book["top_products"].iter_rows(values_only=True))
    assert (
        rows[0] == ("sku", "net_revenue", "units")
        and len(rows) == 1 + weekly.manifest["rows"]["top_products"]
    )
    book.close()


def test_rerunning_a_period_creates_a_new_version_and_never_overwrites(
    weekly: ArchivedSnapshot, own_data: Settings
) -> None:
    before = (weekly.path / "manifest.json").read_bytes()
    again = run_report(
        load_spec(find_spec("weekly_sales", own_data)), WEEK, settings=own_data
    ).snapshot
    assert (again.period, again.version) == (WEEK, weekly.version + 1)
    assert (weekly.path / "manifest.json").read_bytes() == before
    assert [s.version for s in list_snapshots(own_data.reports_dir, "weekly_sales")][:2] == [
        again.version,
        weekly.version,
    ]


def test_a_period_without_data_fails_loudly_and_archives_nothing(own_data: Settings) -> None:
    with pytest.raises(EmptyReport, match="every measure is empty"):
        run_report(load_spec(find_spec("weekly_sales", own_data)), "2025-W07", settings=own_data)
    assert not list((own_data.reports_dir / "weekly_sales" / "2025-W07").glob("v*"))


def test_a_chart_that_draws_only_zeros_is_refused_as_blank() -> None:
    spec = load_spec(find_spec("weekly_sales", Settings()))
    section = next(s for s in spec.sections if s.chart == "bar")
    frame = pl.DataFrame(
        {"channel": ["web", "app"], "net_revenue": [0.0, 0.0], "gross_margin": [0.0, None]}
    )
    with pytest.raises(EmptyReport, match="came out blank"):
        check_not_blank(section, frame, build_figure(section, frame, "en"))
