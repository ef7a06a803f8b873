"""Delivery against a real SMTP server on 127.0.0.1, and with the server down."""

from __future__ import annotations

import dataclasses
import email
import email.policy
from collections.abc import Iterator
from email.message import Message
from pathlib import Path
from typing import Any

import duckdb
import pytest
from aiosmtpd.controller import Controller
from markupsafe import escape

from pipelines.i18n import currency_sign, fmt_money
from pipelines.reports.archive import ArchivedSnapshot
from pipelines.reports.delivery import DeliveryFailed, file_drop, send_email
from pipelines.reports.runner import find_spec, run_report
from pipelines.reports.spec import load_spec
from pipelines.settings import Settings, get_settings
from pipelines.warehouse import serving_path
from tests.reports.conftest import free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (
                envelope.mail_from,
                list(envelope.rcpt_tos),
                email.message_from_bytes(envelope.content, policy=email.policy.default),
            )
        )
        return "250 OK"


@pytest.fixture
def smtp_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("ORDERLENS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ORDERLENS_SMTP_PORT", str(port))
    monkeypatch.setenv("ORDERLENS_SMTP_SECURITY", "none")
    monkeypatch.setenv("ORDERLENS_SMTP_FROM", "reports@orderlens.test")
    try:
        yield inbox
    finally:
        controller.stop()


@pytest.fixture
def own_data(served: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "serving").symlink_to(served.serving_dir)
    return Settings(
        data_dir=data_dir,
        lock_timeout_s=30,
        source_timezone="UTC",
        reports_outbox=tmp_path / "outbox",
    )


def test_sent_report_arrives_with_its_pdf_and_xlsx_and_headline_figures(
    smtp_server: Inbox, own_data: Settings
) -> None:
    spec = load_spec(find_spec("weekly_sales", own_data))
    to_server = dataclasses.replace(own_data, smtp=get_settings().smtp)  # smtp_server's
    result = run_report(spec, "2026-W07", settings=to_server, send=True, to=["boss@example.com"])
    assert result.delivered and [o.channel for o in result.outcomes] == ["email"]
    [(sender, recipients, message)] = smtp_server.messages
    assert (sender, recipients) == ("reports@orderlens.test", ["boss@example.com"])
    assert message["Subject"] == "Weekly sales · 2026-W07"
    attachments = {
        part.get_filename(): part.get_payload(decode=True)
        for part in message.walk()
        if part.get_filename()
    }
    assert set(attachments) == {
        "weekly_sales-2026-W07-report.pdf",
        "weekly_sales-2026-W07-report.xlsx",
    }
    assert attachments["weekly_sales-2026-W07-report.pdf"].startswith(b"%PDF")
    html = part(message, "text/html")
    text = part(message, "text/plain")
    manifest = result.snapshot.manifest
    revenue = next(f for f in manifest["headline"] if f["label"] == "Net revenue")
    figure = next(f for f in manifest["figures"] if f["label"] == "Net revenue")
    assert revenue["value"] == fmt_money(figure["value"], "en", currency(own_data))
    # The HTML part: the summary and each headline figure, inline styles, no script.
    shown = html.replace("\u2060", "")  # the word joiners that keep signs on their amounts
    assert str(escape(manifest["summary"])) in shown
    assert all(html.count(f">{escape(f['label'])}</td>") == 1 for f in manifest["headline"])
    assert "<script" not in html and "<style" not in html and 'style="' in html
    # The plain-text alternative carries the same words.
    assert manifest["summary"] in text and revenue["value"] in text
    assert [d["status"] for d in result.snapshot.deliveries] == ["delivered"]
    assert result.snapshot.delivery_status == "delivered"


def part(message: Message, content_type: str) -> str:
    payload = next(p for p in message.walk() if p.get_content_type() == content_type)
    return str(payload.get_payload(decode=True).decode())


def currency(settings: Settings) -> str:
    with duckdb.connect(str(serving_path(settings)), read_only=True) as con:
        [(code,)] = con.execute("select distinct currency from marts.products").fetchall()
    return currency_sign(code)


@pytest.fixture
def archived(own_data: Settings) -> ArchivedSnapshot:
    return run_report(
        load_spec(find_spec("weekly_sales", own_data)), "2026-W07", settings=own_data
    ).snapshot


def test_server_down_retries_with_back_off_then_records_a_visible_failure(
    archived: ArchivedSnapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDERLENS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ORDERLENS_SMTP_PORT", str(free_port()))  # nothing listens there
    monkeypatch.setenv("ORDERLENS_SMTP_SECURITY", "none")
    monkeypatch.setenv("ORDERLENS_SMTP_ATTEMPTS", "3")
    monkeypatch.setenv("ORDERLENS_SMTP_BACKOFF", "0.5")
    waits: list[float] = []
    with pytest.raises(DeliveryFailed, match="failed after 3 attempts"):
        send_email(archived, ["boss@example.com"], get_settings().smtp, sleep=waits.append)
    assert waits == [0.5, 1.0]
    log = archived.deliveries
    assert [d["status"] for d in log] == ["retrying", "retrying", "failed"]
    assert "ConnectionRefusedError" in log[-1]["error"]
    assert archived.delivery_status == "failed"
    assert (archived.path / "report.pdf").exists()  # the snapshot stays archived


def test_password_never_reaches_the_delivery_log_or_the_archive(
    archived: ArchivedSnapshot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDERLENS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ORDERLENS_SMTP_PORT", str(free_port()))
    monkeypatch.setenv("ORDERLENS_SMTP_SECURITY", "none")
    monkeypatch.setenv("ORDERLENS_SMTP_ATTEMPTS", "1")
    monkeypatch.setenv("ORDERLENS_SMTP_USER", "mailer")
    monkeypatch.setenv("ORDERLENS_SMTP_PASSWORD", "s3cret-pa55")
    with pytest.raises(DeliveryFailed):
        send_email(archived, ["boss@example.com"], get_settings().smtp)
    for path in archived.path.rglob("*"):
        if path.is_file():
            assert b"s3cret-pa55" not in path.read_bytes()


def test_file_drop_copies_the_report_for_teams_without_email(
    archived: ArchivedSnapshot, tmp_path: Path
) -> None:
    outcome = file_drop(archived, tmp_path / "drop")
    target = tmp_path / "drop" / "weekly_sales" / f"2026-W07-v{archived.version}"
    assert outcome.status == "delivered" and Path(outcome.detail) == target
    assert {p.name for p in target.iterdir()} == {
        "report.html",
        "report.pdf",
        "report.xlsx",
        "manifest.json",
    }
    assert archived.deliveries[-1]["channel"] == "file_drop"
