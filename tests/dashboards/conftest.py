"""A published fixture warehouse for the dashboard tests (built once per xdist worker)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.settings import Settings, get_settings
from tests.fixtures.warehouse import build_fixture_warehouse

APP = Path(__file__).resolve().parents[2] / "dashboards" / "app.py"


@pytest.fixture(scope="session")
def published(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Data dir with the fixture business built by dbt and published; env points at it."""
    data_dir = tmp_path_factory.mktemp("dash") / "data"
    previous = os.environ.get("ORDERLENS_DATA_DIR")
    os.environ["ORDERLENS_DATA_DIR"] = str(data_dir)
    try:
        settings = get_settings()
        build_fixture_warehouse(settings)
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
