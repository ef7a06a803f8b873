"""Later runs retry failed e-mails, with back-off, against a real SMTP server on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import dagster as dg
import pytest
from aiosmtpd.controller import Controller
from click.testing import CliRunner

from pipelines.assets.reports import ALERTS_KEY, build_report_definitions
from pipelines.reports.archive import ArchivedSnapshot
from pipelines.reports.cli import report
from pipelines.reports.retry import pending_email, retry_pending
from pipelines.reports.runner import find_spec, run_report
from pipelines.reports.spec import load_spec
from pipelines.resources import SettingsResource
from pipelines.settings import Settings, get_settings
from pipelines.warehouse import utcnow
from tests.reports.conftest import free_port
from tests.reports.test_delivery import Inbox

SUBJECT = "Weekly sales · 2026-W07"


@pytest.fixture
def port(served: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> int:
    """This test's own archive, and an SMTP port where nothing listens yet."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "serving").symlink_to(served.serving_dir)
    port = free_port()
    for name, value in {
        "DATA_DIR": str(data_dir),
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(port),
        "SMTP_SECURITY": "none",
        "SMTP_ATTEMPTS": "1",
        "SMTP_RETRY_BACKOFF": "60",
        "SMTP_RETRY_ROUNDS": "3",
    }.items():
        monkeypatch.setenv(f"ORDERLENS_{name}", value)
    return port


@pytest.fixture
def failed(port: int) -> ArchivedSnapshot:
    """A snapshot archived while the server was down: its e-mail failed."""
    settings = get_settings()
    spec = load_spec(find_spec("weekly_sales", settings))
    result = run_report(spec, "2026-W07", settings=settings, send=True, to=["boss@example.com"])
    assert not result.delivered
    return result.snapshot


@pytest.fixture
def server_up(port: int) -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def statuses(snapshot: ArchivedSnapshot) -> list[tuple[str, int | None]]:
    return [(d["status"], d.get("retry_round")) for d in snapshot.deliveries]


def test_pending_email_arrives_exactly_once_when_the_server_is_back(
    failed: ArchivedSnapshot, port: int, request: pytest.FixtureRequest
) -> None:
    # Still within the back-off: not even tried.
    [waiting] = retry_pending(get_settings())
    assert waiting.status == "waiting" and statuses(failed) == [("failed", None)]
    inbox: Inbox = request.getfixturevalue("server_up")
    later = utcnow() + dt.timedelta(minutes=2)
    [sent] = retry_pending(get_settings(), now=later)
    assert sent.status == "delivered"
    [(sender, recipients, message)] = inbox.messages
    assert recipients == ["boss@example.com"] and message["Subject"] == SUBJECT
    assert statuses(failed) == [("failed", None), ("delivered", 2)]
    assert failed.delivery_status == "delivered"
    # Delivered: never sent again, however much later a run comes.
    assert retry_pending(get_settings(), now=later + dt.timedelta(days=30)) == []
    assert len(inbox.messages) == 1


def test_retries_back_off_between_runs_and_give_up_after_the_last_round(
    failed: ArchivedSnapshot,
) -> None:
    settings = get_settings()
    smtp = settings.smtp
    pending = pending_email(failed)
    assert pending is not None and pending.rounds == 1
    due = pending.due_at(smtp)
    assert due == pending.last_attempt_at + dt.timedelta(seconds=60)
    [second] = retry_pending(settings, now=due)
    assert second.status == "failed" and "ConnectionRefusedError" in second.detail
    pending = pending_email(failed)
    assert pending is not None and pending.rounds == 2
    # The wait doubles: 120 s after the second round.
    assert pending.due_at(smtp) == pending.last_attempt_at + dt.timedelta(seconds=120)
    just_before = pending.due_at(smtp) - dt.timedelta(seconds=1)
    assert [o.status for o in retry_pending(settings, now=just_before)] == ["waiting"]
    assert [o.status for o in retry_pending(settings, now=pending.due_at(smtp))] == ["failed"]
    # Three rounds spent (ORDERLENS_SMTP_RETRY_ROUNDS): no more attempts.
    assert [o.status for o in retry_pending(settings, now=utcnow() + dt.timedelta(days=9))] == [
        "gave up"
    ]
    assert statuses(failed) == [("failed", None), ("failed", 2), ("failed", 3)]
    assert failed.delivery_status == "failed"


def test_alerts_asset_retries_pending_deliveries_and_its_check_shows_them(
    failed: ArchivedSnapshot, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    monkeypatch.setenv("ORDERLENS_SMTP_RETRY_BACKOFF", "0")
    assets, _ = build_report_definitions([])
    alerts = next(a for a in assets if a.key == ALERTS_KEY)

    def build() -> dg.AssetCheckEvaluation:
        resources = {"settings": SettingsResource.from_settings(get_settings())}
        result = dg.materialize([alerts], resources=resources, raise_on_error=False)
        [check] = result.get_asset_check_evaluations()
        assert check.check_name == "deliveries_caught_up"
        return check

    down = build()
    shown = down.metadata[f"weekly_sales/2026-W07/v{failed.version}"]
    assert not down.passed and shown.value.startswith("failed: ")
    inbox: Inbox = request.getfixturevalue("server_up")
    up = build()
    assert up.passed
    assert [m["Subject"] for _, _, m in inbox.messages].count(SUBJECT) == 1
    assert [s for s, _ in statuses(failed)] == ["failed", "failed", "delivered"]


def test_cli_retry_sends_the_pending_email_then_finds_nothing_left(
    failed: ArchivedSnapshot, monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest
) -> None:
    monkeypatch.setenv("ORDERLENS_SMTP_RETRY_BACKOFF", "0")
    runner = CliRunner()
    settings = get_settings()
    down = runner.invoke(report, ["retry"], obj=settings)
    assert down.exit_code == 3 and "failed" in down.output
    inbox: Inbox = request.getfixturevalue("server_up")
    up = runner.invoke(report, ["retry"], obj=settings)
    assert up.exit_code == 0 and f"weekly_sales/2026-W07/v{failed.version}: delivered" in up.output
    again = runner.invoke(report, ["retry"], obj=settings)
    assert again.exit_code == 0 and "no undelivered e-mail" in again.output
    assert len(inbox.messages) == 1
