"""Shared fixtures: every test gets its own data directory (so warehouses never collide)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.settings import Settings, get_settings


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("ORDERLENS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ORDERLENS_LOCK_TIMEOUT", "30")
    return get_settings()
