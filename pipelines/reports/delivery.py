"""Delivery of an archived snapshot: e-mail over SMTP (with retries and back-off) or a
file drop. Every attempt is appended to the snapshot's delivery log, so a failure stays
visible (Dagster check, Reports page) while the snapshot itself is already archived.
"""

from __future__ import annotations

import functools
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

from pipelines.i18n import t
from pipelines.reports.archive import ArchivedSnapshot, record_delivery
from pipelines.reports.labels import keep_sign_attached
from pipelines.reports.render import delta, fmt
from pipelines.settings import SmtpSettings
from pipelines.warehouse import utcnow

ATTACHMENTS = {
    "report.pdf": ("application", "pdf"),
    "report.xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}

# Mail clients drop <style> blocks and scripts: every style is inline, the layout a table.
_CELL = "border: 1px solid #dddddd; padding: 6px 10px; font-size: 14px;"
_MAIL = jinja2.Environment(
    loader=jinja2.FileSystemLoader(Path(__file__).with_name("templates")), autoescape=True
)
_MAIL.filters["signed"] = keep_sign_attached
# A change's colour by its tone; `up` and `down` are how snapshots archived before said it.
_COLOURS = {
    "better": "#1a7f37",
    "worse": "#cf222e",
    "up": "#1a7f37",
    "down": "#cf222e",
    "": "#222222",
}


def _headline(manifest: Mapping[str, Any]) -> list[dict[str, str]]:
    """The figures as printed; a manifest written before they were kept gets plain numbers."""
    if "headline" in manifest:
        return list(manifest["headline"])
    return [
        {
            "label": f["label"],
            "value": fmt(f["value"]),
            "vs_previous": delta(f["change_vs_previous"], f["change_vs_previous_pct"]),
            "vs_year_ago": delta(f["change_vs_year_ago"], f["change_vs_year_ago_pct"]),
            "vs_previous_snapshot": delta(
                f.get("change_vs_previous_snapshot"), f.get("change_vs_previous_snapshot_pct")
            ),
            "direction": "",
        }
        for f in manifest["figures"]
    ]


def _bodies(manifest: Mapping[str, Any], rows_html: str) -> tuple[str, str]:
    """The plain-text part and the HTML part of the e-mail, in the snapshot's language."""
    lang = manifest.get("language", "en")
    words = functools.partial(t, lang=lang)
    period = manifest.get("period_shown") or manifest["period"]["label"]
    figures = _headline(manifest)
    movers = [m["sentence"] for m in manifest.get("movers", []) if "sentence" in m]
    headers = [
        words("figure"),
        words("current_period"),
        words("vs_previous"),
        words("vs_year_ago"),
        words("vs_last_snapshot"),
    ]
    colon = "：" if lang == "zh" else ": "
    text = [f"{manifest['title']} · {period}", ""]
    if manifest.get("summary"):
        text += [manifest["summary"], ""]
    for f in figures:
        text.append(
            f"- {f['label']}{colon}{f['value']} ({headers[2]} {f['vs_previous']}; "
            f"{headers[3]} {f['vs_year_ago']}; {headers[4]} {f['vs_previous_snapshot']})"
        )
    if movers:
        text += ["", words("what_changed") + colon.strip(), *(f"- {m}" for m in movers)]
    version = f"{words('data_version')}{colon}{manifest['data_version']}"
    text += ["", words("email_attached"), version]
    html = _MAIL.get_template("email.html.j2").render(
        lang=lang,
        title=manifest["title"],
        period=period,
        summary=manifest.get("summary", ""),
        headers=headers,
        figures=figures,
        movers=movers,
        what_changed=words("what_changed"),
        attached=words("email_attached"),
        data_version_label=words("data_version"),
        version=manifest["data_version"],
        rows_html=rows_html,
        cell=_CELL,
        colours=_COLOURS,
    )
    return "\n".join(text) + "\n", html


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
    period = manifest.get("period_shown") or manifest["period"]["label"]
    message["Subject"] = f"{manifest['title']} · {period}"
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    text, html = _bodies(manifest, rows_html)
    message.set_content(text)
    message.add_alternative(html, subtype="html")
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
