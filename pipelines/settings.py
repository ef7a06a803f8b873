"""The one typed settings module: every path and knob, read from `ORDERLENS_*` variables.

Defaults live under `./data`. Secrets (the SMTP password) are read from the environment
only when needed and never written anywhere.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PREFIX = "ORDERLENS_"


def _env(name: str, default: str) -> str:
    return os.environ.get(PREFIX + name, default)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    lock_timeout_s: float
    source_timezone: str

    @property
    def warehouse_path(self) -> Path:
        """The only file anything writes (one writer at a time)."""
        return self.data_dir / "warehouse.duckdb"

    @property
    def lock_path(self) -> Path:
        return self.data_dir / "warehouse.lock"

    @property
    def serving_dir(self) -> Path:
        return self.data_dir / "serving"

    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "landing"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"

    @property
    def simulated_dir(self) -> Path:
        return self.data_dir / "simulated"


def get_settings() -> Settings:
    """Read the settings now (not at import time), so tests can set the environment first."""
    data_dir = Path(_env("DATA_DIR", "data")).expanduser().resolve()
    return Settings(
        data_dir=data_dir,
        lock_timeout_s=float(_env("LOCK_TIMEOUT", "600")),
        source_timezone=_env("SOURCE_TIMEZONE", "UTC"),
    )
