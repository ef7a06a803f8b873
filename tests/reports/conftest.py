"""A published fixture warehouse shared by the report tests (one dbt build per session)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipelines.assets.forecasting import run_forecasting
from pipelines.settings import Settings, get_settings
from pipelines.warehouse import publish, writer_lock
from tests.fixtures.warehouse import build_fixture_warehouse


@pytest.fixture(scope="session")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """Settings of a data dir holding the fixture business, built by dbt, planned (the
    weekly inventory report carries the policy simulation) and published."""
    data_dir = tmp_path_factory.mktemp("reports") / "data"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ORDERLENS_DATA_DIR", str(data_dir))
        settings = get_settings()
    build_fixture_warehouse(settings)
    run_forecasting(settings)
    with writer_lock(settings, purpose="test publish"):
        publish(settings)
    yield settings


@pytest.fixture
def served_env(served: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The served data, with this test's own archive (so versions never collide)."""
    monkeypatch.setenv("ORDERLENS_DATA_DIR", str(served.data_dir))
    monkeypatch.setenv("ORDERLENS_REPORTS_OUTBOX", str(tmp_path / "outbox"))
    # The archive is data_dir/reports: give each test a fresh data dir pointing at the
    # same serving files by linking them.
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "serving").symlink_to(served.serving_dir)
    monkeypatch.setenv("ORDERLENS_DATA_DIR", str(data_dir))
    return get_settings()


def archive_beside(served: Settings, folder: Path) -> Settings:
    """Settings of a data dir in `folder` with its own (empty) archive that reads the shared
    serving files."""
    data_dir = folder / "data"
    data_dir.mkdir()
    (data_dir / "serving").symlink_to(served.serving_dir)
    return Settings(data_dir=data_dir, lock_timeout_s=30, source_timezone="UTC")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
