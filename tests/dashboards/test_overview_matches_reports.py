"""The Overview headline and the sales reports give the same figure, change and year-ago change
for the same week (the weekly report) and the same month (the monthly report).

On a small simulated business of more than a year (so that every period has a year-ago base),
ingested, built by dbt and published for real; the reports are computed as `orderlens report
run` computes them, the page is run by Streamlit's AppTest with the period as its date range.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from dashboards.lib import serving
from dashboards.lib.filters import Filters
from dashboards.lib.queries import overview
from pipelines.i18n import fmt_int, fmt_money
from pipelines.ingest.api import ingest_paths
from pipelines.ingest.simulate import simulate
from pipelines.periods import Period, growth
from pipelines.reports.catalog import load_catalog
from pipelines.reports.runner import build_snapshot, find_spec, serving_connection
from pipelines.reports.spec import load_spec
from pipelines.settings import Settings
from pipelines.warehouse import publish
from tests.dashboards.conftest import APP
from tests.fixtures.warehouse import run_dbt

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("year_of_sales")]

# The marts the Overview's sales figures read, with what they are built from.
SELECTION = ("+sales_periods", "+daily_category_sales", "+daily_sales")


@pytest.fixture(scope="module")
def year_of_sales(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of a published simulated business of 15 months."""
    root = tmp_path_factory.mktemp("year_of_sales")
    settings = Settings(data_dir=root / "data", lock_timeout_s=30, source_timezone="UTC")
    simulate(orders=3_000, days=450, seed=11, out=root / "sim")
    ingest_paths([root / "sim"], settings=settings)
    built = run_dbt(settings.warehouse_path, root / "work", "run", "--select", *SELECTION)
    assert built.returncode == 0, built.stdout[-4000:]
    publish(settings)
    return settings


@pytest.fixture
def served(year_of_sales: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    monkeypatch.setenv("ORDERLENS_DATA_DIR", str(year_of_sales.data_dir))
    yield year_of_sales


def _report(report: str, settings: Settings) -> tuple[Period, dict[str, dict[str, Any]]]:
    """The report's period (the last complete one) and its sales overview figures by measure."""
    spec = load_spec(find_spec(report, settings))
    with serving_connection(settings) as (con, version):
        snapshot = build_snapshot(spec, con, load_catalog(con), version, None)
    assert snapshot.period is not None
    figures = {f.measure: f.as_dict() for f in snapshot.headline() if f.section == "sales_overview"}
    return snapshot.period, figures


def _pct(value: float | None) -> str | None:
    return None if value is None else f"{value * 100:+.1f}%"


@pytest.mark.parametrize(("report", "kind"), [("weekly_sales", "week"), ("monthly_sales", "month")])
def test_the_overview_headline_gives_the_reports_figures_and_changes(
    served: Settings, report: str, kind: str
) -> None:
    period, figures = _report(report, served)
    assert period.kind == kind
    filters = Filters(period.start, period.last_day)
    assert overview.headline_period(filters) == period

    # The page's data: the same figures and bases, so the same growth.
    srv = serving.current(served)
    assert srv is not None
    headline = overview.page_data(srv, filters)["headline"]
    assert not isinstance(headline, serving.Missing)
    row = headline.row(0, named=True)
    for measure in ("orders", "customers", "net_revenue"):
        figure = figures[measure]
        assert figure["previous"] is not None and figure["year_ago"] is not None
        assert row[measure] == pytest.approx(figure["value"])
        assert growth(row[measure], row[f"previous_{measure}"]) == pytest.approx(
            figure["change_vs_previous_pct"]
        )
        assert growth(row[measure], row[f"year_ago_{measure}"]) == pytest.approx(
            figure["change_vs_year_ago_pct"]
        )

    # The page as shown: tile value, change and year-ago change.
    at = AppTest.from_file(str(APP), default_timeout=60)
    at.query_params["from"] = period.start.isoformat()
    at.query_params["to"] = period.last_day.isoformat()
    at.run()
    assert not at.exception
    tiles = {
        "Orders": ("orders", fmt_int),
        "Active customers": ("customers", fmt_int),
        "Net revenue": ("net_revenue", fmt_money),
    }
    shown = {}
    for column in at.columns[:4]:
        [metric] = column.metric
        [caption] = column.caption
        shown[metric.label.split(" · ")[0]] = (metric.value, metric.delta, caption.value)
    for label, (measure, fmt) in tiles.items():
        figure = figures[measure]
        assert shown[label] == (
            fmt(figure["value"], "en"),
            _pct(figure["change_vs_previous_pct"]),
            f"vs same period last year: {_pct(figure['change_vs_year_ago_pct'])}",
        ), label
    assert next(m for m in at.metric if m.label.startswith("Orders")).label == (
        f"Orders · {kind.title()}"
    )
