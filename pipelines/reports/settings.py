"""Knobs of the reports domain, read from `ORDERLENS_*` variables when asked (not at import).

The SMTP password is read from the environment only, at send time, and never written to the
archive, a log or a manifest.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pipelines.settings import Settings, get_settings

Security = Literal["none", "starttls", "tls"]
SECURITY_MODES: tuple[Security, ...] = ("none", "starttls", "tls")
RETRY_DELAY_CAP_S = 24 * 3600.0  # a pending report is tried at least daily


def _env(name: str, default: str) -> str:
    return os.environ.get("ORDERLENS_" + name, default)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str | None
    password: str | None
    sender: str
    security: Security
    timeout_s: float
    attempts: int
    backoff_s: float
    # Later runs retry a failed delivery: not before retry_backoff_s * 2**(rounds - 1) after
    # the last attempt (capped at a day), and at most `retry_rounds` rounds in all.
    retry_backoff_s: float = 900.0
    retry_rounds: int = 10

    def delays(self) -> list[float]:
        """Waits between attempts: exponential back-off (b, 2b, 4b, ...)."""
        return [self.backoff_s * 2**i for i in range(max(self.attempts - 1, 0))]

    def retry_delay(self, rounds: int) -> float:
        """Wait after `rounds` failed delivery rounds before a later run tries again."""
        return min(self.retry_backoff_s * 2 ** max(rounds - 1, 0), RETRY_DELAY_CAP_S)


@dataclass(frozen=True)
class ReportSettings:
    archive_dir: Path
    outbox_dir: Path
    smtp: SmtpSettings


def get_smtp_settings() -> SmtpSettings:
    security = _env("SMTP_SECURITY", "starttls").lower()
    if security not in SECURITY_MODES:
        raise ValueError(
            f"ORDERLENS_SMTP_SECURITY is {security!r}; allowed: {', '.join(SECURITY_MODES)}"
        )
    default_port = {"none": "25", "starttls": "587", "tls": "465"}[security]
    return SmtpSettings(
        host=_env("SMTP_HOST", "localhost"),
        port=int(_env("SMTP_PORT", default_port)),
        user=os.environ.get("ORDERLENS_SMTP_USER") or None,
        password=os.environ.get("ORDERLENS_SMTP_PASSWORD") or None,
        sender=_env("SMTP_FROM", "orderlens@localhost"),
        security=security,  # type: ignore[arg-type]
        timeout_s=float(_env("SMTP_TIMEOUT", "20")),
        attempts=int(_env("SMTP_ATTEMPTS", "4")),
        backoff_s=float(_env("SMTP_BACKOFF", "30")),
        retry_backoff_s=float(_env("SMTP_RETRY_BACKOFF", "900")),
        retry_rounds=int(_env("SMTP_RETRY_ROUNDS", "10")),
    )


def get_report_settings(settings: Settings | None = None) -> ReportSettings:
    settings = settings or get_settings()
    outbox = _env("REPORTS_OUTBOX", "")
    return ReportSettings(
        archive_dir=settings.reports_dir,
        # File-drop delivery: a folder a team without e-mail watches (a share, a synced dir).
        outbox_dir=Path(outbox).expanduser().resolve()
        if outbox
        else settings.reports_dir / "outbox",
        smtp=get_smtp_settings(),
    )
