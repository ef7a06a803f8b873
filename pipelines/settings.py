"""The one typed settings module: every path and knob, read from `ORDERLENS_*` variables.

Defaults live under `./data`. Secrets (the SMTP password) are read from the environment
only when needed and never written anywhere.
"""

from __future__ import annotations

import os
import zoneinfo
from dataclasses import dataclass
from pathlib import Path

PREFIX = "ORDERLENS_"


class SettingsError(ValueError):
    """A setting whose value cannot be used; the message names the variable."""


def _env(name: str, default: str) -> str:
    return os.environ.get(PREFIX + name, default)


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    lock_timeout_s: float
    source_timezone: str
    # The business's own calendar: every date a mart groups or compares by (the sales day,
    # week and month, on-time against the promised date, cohorts, stock days) is a local date
    # of this zone. Timestamps stay UTC in the warehouse.
    business_timezone: str = "UTC"

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
        source_timezone=_timezone("SOURCE_TIMEZONE"),
        business_timezone=_timezone("BUSINESS_TIMEZONE"),
    )


def _timezone(name: str) -> str:
    """An IANA time zone name from `ORDERLENS_<name>` (default UTC), or an error naming it."""
    value = _env(name, "UTC").strip() or "UTC"
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise SettingsError(
            f"{PREFIX}{name}={value!r} is not a time zone; use an IANA name such as "
            "UTC, Asia/Shanghai or America/New_York"
        ) from exc
    return value
