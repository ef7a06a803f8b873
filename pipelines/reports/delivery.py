"""Delivery of an archived snapshot: e-mail over SMTP (with retries and back-off) or a
file drop. Every attempt is appended to the snapshot's delivery log, so a failure stays
visible (Dagster check, Reports page) while the snapshot itself is already archived.
"""

from __future__ import annotations

import shutil
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import jinja2

from pipelines.reports.archive import ArchivedSnapshot, record_delivery
from pipelines.reports.render import delta, fmt
from pipelines.settings import SmtpSettings
from pipelines.warehouse import utcnow

ATTACHMENTS = {
    "report.pdf": ("application", "pdf"),
    "report.xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}

_BODY = jinja2.Environment(autoescape=True).from_string(
    """<html><body style="font-family: Arial, sans-serif">
<h2>{{ title }} · {{ period }}</h2>
<p>Data version <code>{{ version }}</code>. The full report is attached (PDF, XLSX).</p>
<table style="border-collapse: collapse" border="1" cellpadding="4">
<tr><th>Figure</th><th>This period</th><th>vs previous</th><th>vs a year before</th>
<th>vs the previous snapshot</th></tr>
{% for f in figures %}<tr><td>{{ f.label }}</td><td>{{ fmt(f.value) }}</td>
<td>{{ delta(f.change_vs_previous, f.change_vs_previous_pct) }}</td>
<td>{{ delta(f.change_vs_year_ago, f.change_vs_year_ago_pct) }}</td>
<td>{{ delta(f.get("change_vs_previous_snapshot"), f.get("change_vs_previous_snapshot_pct")) }}</td>
</tr>{% endfor %}
</table>
{% if rows_html %}{{ rows_html | safe }}{% endif %}
</body></html>"""
)


class DeliveryFailed(RuntimeError):
    """Every attempt failed; the snapshot is archived and the failure is in its delivery log."""


@dataclass(frozen=True)
class Outcome:
    channel: str
    status: str  # delivered or failed
    attempts: int
    detail: str


def build_message(
    snapshot: ArchivedSnapshot, sender: str, recipients: Sequence[str], rows_html: str = ""
) -> EmailMessage:
    manifest = snapshot.manifest
    message = EmailMessage()
    message["Subject"] = f"{manifest['title']} · {manifest['period']['label']}"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    body = _BODY.render(
        title=manifest["title"],
        period=manifest["period"]["label"],
        version=manifest["data_version"],
        figures=manifest["figures"],
        rows_html=rows_html,
        fmt=fmt,
        delta=delta,
    )
    message.set_content("This report is best read as HTML; the PDF and XLSX are attached.")
    message.add_alternative(body, subtype="html")
    for name, (main, sub) in ATTACHMENTS.items():
        path = snapshot.path / name
        if path.exists():
            message.add_attachment(
                path.read_bytes(),
                maintype=main,
                subtype=sub,
                filename=f"{snapshot.report}-{snapshot.period}-{name}",
            )
    return message


def _send_once(smtp: SmtpSettings, message: EmailMessage) -> None:
    context = ssl.create_default_context()
    if smtp.security == "tls":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            smtp.host, smtp.port, timeout=smtp.timeout_s, context=context
        )
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout_s)
    with client:
        if smtp.security == "starttls":
            client.starttls(context=context)
        if smtp.user and smtp.password:
            client.login(smtp.user, smtp.password)
        client.send_message(message)


def send_email(
    snapshot: ArchivedSnapshot,
    recipients: Sequence[str],
    smtp: SmtpSettings,
    rows_html: str = "",
    sleep: Callable[[float], None] = time.sleep,
    extra: Mapping[str, Any] | None = None,
) -> Outcome:
    """Send with retries and exponential back-off; log every attempt; raise if all fail.

    `extra` is added to every log entry (a later run's retry marks its round there).
    """
    message = build_message(snapshot, smtp.sender, recipients, rows_html)
    delays = smtp.delays()
    for attempt in range(1, smtp.attempts + 1):
        entry: dict[str, Any] = {
            **(extra or {}),
            "channel": "email",
            "attempt": attempt,
            "at": utcnow().isoformat(),
            "to": list(recipients),
            "server": f"{smtp.host}:{smtp.port}",
        }
        try:
            _send_once(smtp, message)
        except (OSError, smtplib.SMTPException) as exc:
            detail = f"{type(exc).__name__}: {exc}"
            final = attempt == smtp.attempts
            record_delivery(
                snapshot.path,
                {**entry, "status": "failed" if final else "retrying", "error": detail},
            )
            if final:
                raise DeliveryFailed(
                    f"e-mail of {snapshot.report} {snapshot.period} v{snapshot.version} "
                    f"failed after {attempt} attempts: {detail}"
                ) from exc
            sleep(delays[attempt - 1])
            continue
        record_delivery(snapshot.path, {**entry, "status": "delivered"})
        return Outcome("email", "delivered", attempt, ", ".join(recipients))
    raise AssertionError("unreachable: attempts must be at least 1")


def file_drop(snapshot: ArchivedSnapshot, outbox: Path) -> Outcome:
    """Copy HTML, PDF and XLSX to `<outbox>/<report>/<period>-v<N>/` (teams without e-mail)."""
    target = outbox / snapshot.report / f"{snapshot.period}-v{snapshot.version}"
    target.mkdir(parents=True, exist_ok=True)
    for name in ("report.html", "report.pdf", "report.xlsx", "manifest.json"):
        source = snapshot.path / name
        if source.exists():
            shutil.copy2(source, target / name)
    record_delivery(
        snapshot.path,
        {
            "channel": "file_drop",
            "attempt": 1,
            "at": utcnow().isoformat(),
            "status": "delivered",
            "to": str(target),
        },
    )
    return Outcome("file_drop", "delivered", 1, str(target))
