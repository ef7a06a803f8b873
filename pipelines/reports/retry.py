"""Later runs retry the e-mails of archived snapshots whose delivery failed.

A run retries in-run only (`send_email`'s attempts); when the server stays down the snapshot
is archived with a failed delivery log. After every build (the alerts asset) and every
`orderlens report run`, `retry_pending` tries each such snapshot once more, when its
back-off has passed (`SmtpSettings.retry_delay`, doubling per failed round), to the
recipients of the failed attempt. A snapshot with a delivered e-mail is never sent again,
and a lock per snapshot keeps two runs from sending the same one at once. Every attempt
lands in the snapshot's delivery log with its `retry_round`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from pipelines.reports.archive import ArchivedSnapshot, list_snapshots
from pipelines.reports.delivery import DeliveryFailed, send_email
from pipelines.settings import Settings, SmtpSettings
from pipelines.warehouse import utcnow

LOCK = ".delivery.lock"


@dataclass(frozen=True)
class Pending:
    """An archived snapshot whose e-mail was attempted and never delivered."""

    snapshot: ArchivedSnapshot
    recipients: tuple[str, ...]
    rounds: int  # delivery rounds that ended in failure (the first run's included)
    last_attempt_at: dt.datetime

    def due_at(self, smtp: SmtpSettings) -> dt.datetime:
        return self.last_attempt_at + dt.timedelta(seconds=smtp.retry_delay(self.rounds))


@dataclass(frozen=True)
class RetryOutcome:
    snapshot: ArchivedSnapshot
    status: str  # delivered, failed, waiting (back-off), gave up, busy (another run has it)
    detail: str

    @property
    def name(self) -> str:
        return f"{self.snapshot.report}/{self.snapshot.period}/v{self.snapshot.version}"


def pending_email(snapshot: ArchivedSnapshot) -> Pending | None:
    """The snapshot's failed e-mail, or None when it was delivered or never attempted."""
    log = [entry for entry in snapshot.deliveries if entry.get("channel") == "email"]
    if not log or any(entry.get("status") == "delivered" for entry in log):
        return None
    # A run killed between attempts leaves only `retrying` entries: pending all the same.
    rounds = max(sum(1 for entry in log if entry.get("status") == "failed"), 1)
    return Pending(
        snapshot=snapshot,
        recipients=tuple(log[-1].get("to") or ()),
        rounds=rounds,
        last_attempt_at=dt.datetime.fromisoformat(log[-1]["at"]),
    )


def pending_deliveries(archive_dir: Path) -> list[Pending]:
    """Every archived snapshot whose e-mail is still undelivered, oldest first."""
    found = [pending_email(s) for s in reversed(list_snapshots(archive_dir))]
    return [p for p in found if p is not None and p.recipients]


def _retry_one(pending: Pending, smtp: SmtpSettings, now: dt.datetime) -> RetryOutcome:
    snapshot = pending.snapshot
    if pending.rounds >= smtp.retry_rounds:
        return RetryOutcome(snapshot, "gave up", f"{pending.rounds} failed rounds")
    due = pending.due_at(smtp)
    if now < due:
        return RetryOutcome(snapshot, "waiting", f"next try at {due.isoformat()} UTC")
    lock = FileLock(str(snapshot.path / LOCK))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        return RetryOutcome(snapshot, "busy", "another run is delivering it")
    try:
        # Read the log again under the lock: another run may have delivered it meanwhile.
        if pending_email(snapshot) != pending:
            return RetryOutcome(snapshot, "busy", "another run has just tried it")
        # One attempt per round: the back-off is between runs, so a build never waits on
        # a server that is down.
        once = dataclasses.replace(smtp, attempts=1)
        extra: dict[str, Any] = {"retry_round": pending.rounds + 1}
        try:
            outcome = send_email(snapshot, pending.recipients, once, extra=extra)
        except DeliveryFailed as exc:
            return RetryOutcome(snapshot, "failed", str(exc))
        return RetryOutcome(snapshot, "delivered", outcome.detail)
    finally:
        lock.release()


def retry_pending(settings: Settings, now: dt.datetime | None = None) -> list[RetryOutcome]:
    """Retry every pending e-mail whose back-off has passed; report on each pending one."""
    now = now or utcnow()
    return [_retry_one(p, settings.smtp, now) for p in pending_deliveries(settings.reports_dir)]


def caught_up(outcomes: list[RetryOutcome]) -> bool:
    """True when no snapshot is left with an undelivered e-mail."""
    return all(o.status == "delivered" for o in outcomes)
