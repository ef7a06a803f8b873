"""A published fixture warehouse for the dashboard tests (built once per xdist worker).

Besides the dbt marts it holds the replenishment plan (the forecasting step, published
again) and a report archive with two snapshots of the weekly sales report. A copy of the
serving files from before the plan serves the "no plan yet" tests.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from pipelines.assets.forecasting import run_forecasting
from pipelines.reports.runner import find_spec, run_report
from pipelines.reports.spec import load_spec
from pipelines.settings import Settings, get_settings
from pipelines.warehouse import publish, writer_lock
from tests.fixtures.warehouse import build_fixture_warehouse

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"
# Two weeks of the fixture business with sales in both (the compare view needs two).
REPORT_WEEKS = ("2026-W07", "2026-W09")
BEFORE_PLAN = "before_plan"
TIMEOUT = 60


def open_page(page: str, **query: str | list[str]) -> AppTest:
    """The app run with `query` in its URL, switched to `page` (AppTest runs it without app.py)."""
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    if page != "pages/overview.py":
        at.switch_page(page)
        at.run()
    return at


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Data dir with the fixture business built by dbt and published; env points at it."""
    root = tmp_path_factory.mktemp("dash")
    data_dir = root / "data"
    previous = os.environ.get("ORDERLENS_DATA_DIR")
    os.environ["ORDERLENS_DATA_DIR"] = str(data_dir)
    try:
        settings = get_settings()
        build_fixture_warehouse(settings)
        shutil.copytree(settings.serving_dir, root / BEFORE_PLAN / "serving")
        run_forecasting(settings)
        with writer_lock(settings, purpose="test publish"):
            publish(settings)
        weekly = load_spec(find_spec("weekly_sales", settings))
        for week in REPORT_WEEKS:
            run_report(weekly, week, settings=settings)
        yield settings
    finally:
        if previous is None:
            os.environ.pop("ORDERLENS_DATA_DIR", None)
        else:
            os.environ["ORDERLENS_DATA_DIR"] = previous


@pytest.fixture
def with_data(published: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("ORDERLENS_DATA_DIR", str(published.data_dir))
    return published


@pytest.fixture
def without_plan(published: Settings, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The fixture business published by dbt alone: no replenishment marts, no archive."""
    monkeypatch.setenv("ORDERLENS_DATA_DIR", str(published.data_dir.parent / BEFORE_PLAN))
    return get_settings()


@pytest.fixture
def own_archive(published: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The published data with this test's own, empty report archive (and saved specs)."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "serving").symlink_to(published.serving_dir)
    monkeypatch.setenv("ORDERLENS_DATA_DIR", str(data_dir))
    return get_settings()
