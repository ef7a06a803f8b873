"""Run a report end to end: spec -> check against the serving file -> query -> render ->
archive -> (optionally) deliver. The entry point for the CLI and the Dagster assets.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

from pipelines.periods import Period, parse_period
from pipelines.reports.archive import (
    ArchivedSnapshot,
    new_snapshot,
    previous_snapshot,
    publish_snapshot,
    sha256,
)
from pipelines.reports.catalog import Catalog, load_catalog, validate_spec
from pipelines.reports.charts import EmptyReport
from pipelines.reports.delivery import DeliveryFailed, Outcome, file_drop, send_email
from pipelines.reports.query import data_clock
from pipelines.reports.render import headline_rows, mover_sentences, render_files
from pipelines.reports.snapshot import (
    Snapshot,
    compare_with_snapshot,
    compute_snapshot,
    describe_filters,
)
from pipelines.reports.spec import (
    BUILTIN_DIR,
    IDENTIFIER,
    Spec,
    builtin_spec_paths,
    load_spec,
)
from pipelines.reports.user_specs import user_specs_dir
from pipelines.reports.wording import period_words, summary
from pipelines.settings import Settings
from pipelines.warehouse import serving_path, serving_version, utcnow


class NothingPublished(RuntimeError):
    """No serving file has been published yet: build the marts first."""


@dataclass
class RunResult:
    snapshot: ArchivedSnapshot
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def delivered(self) -> bool:
        return all(o.status == "delivered" for o in self.outcomes)


def find_spec(name_or_path: str, settings: Settings) -> Path:
    """A built-in report by name, a saved user report by name, or a spec file by path."""
    candidate = Path(name_or_path)
    if candidate.suffix in (".yaml", ".yml") and candidate.exists():
        return candidate
    builtin = BUILTIN_DIR / f"{name_or_path}.yaml"
    if builtin.exists():
        return builtin
    user = user_specs_dir(settings) / f"{name_or_path}.yaml"
    if IDENTIFIER.match(name_or_path) and user.exists():
        return user
    names = ", ".join(p.stem for p in builtin_spec_paths())
    raise FileNotFoundError(f"no report {name_or_path!r}: give a spec file or one of {names}")


@contextmanager
def serving_connection(settings: Settings) -> Iterator[tuple[duckdb.DuckDBPyConnection, str]]:
    """A read-only connection to the published serving file and its data version."""
    path = serving_path(settings)
    if path is None:
        raise NothingPublished(
            f"nothing is published in {settings.serving_dir}: run the build first"
        )
    version = (serving_version(settings) or {}).get("version", path.stem)
    con = duckdb.connect(str(path), read_only=True)
    try:
        yield con, version
    finally:
        con.close()


def check_spec_file(path: Path, settings: Settings) -> Spec:
    """Parse a spec and check it against the published marts (raises SpecError)."""
    spec = load_spec(path)
    with serving_connection(settings) as (con, _):
        validate_spec(spec, load_catalog(con))
    return spec


def _manifest(snapshot: Snapshot, created_at: dt.datetime, settings: Settings) -> dict[str, Any]:
    spec = snapshot.spec
    period = snapshot.period
    return {
        "report": spec.name,
        "title": spec.title.get(spec.language),
        "language": spec.language,
        "period": {
            "kind": spec.period,
            "label": period.label if period else f"asof-{snapshot.clock}",
            "start": period.start if period else None,
            "end": period.last_day if period else None,
        },
        "data_clock": snapshot.clock,
        "data_version": snapshot.data_version,
        "serving": serving_version(settings),
        "created_at": created_at.isoformat(),
        "spec": {"file": str(spec.source), "sha256": sha256(spec.source)},
        "filters": {s.section.id: describe_filters(s.section.filters) for s in snapshot.sections},
        "rows": {s.section.id: s.frame.height for s in snapshot.sections},
        "left_out": [s.id for s in snapshot.left_out],
        "figures": [f.as_dict() for f in snapshot.headline()],
        "movers": [
            {**dataclasses.asdict(m), "change": m.change, "sentence": sentence}
            for m, sentence in zip(snapshot.movers, mover_sentences(snapshot), strict=True)
        ],
        "previous_snapshot": snapshot.baseline,
        # The words as the reader got them (the e-mail, and its later retries, print these).
        "period_shown": period_words(snapshot, spec.language),
        "summary": summary(snapshot, spec.language),
        "headline": [
            {k: v for k, v in row.items() if k != "trend"} for row in headline_rows(snapshot)
        ],
    }


def build_snapshot(
    spec: Spec,
    con: duckdb.DuckDBPyConnection,
    catalog: Catalog,
    version: str,
    period_text: str | None,
) -> Snapshot:
    validate_spec(spec, catalog)
    clock = data_clock(con, spec, catalog)
    dated = any(s.date_column for s in spec.sections)
    if dated and clock is None:
        raise EmptyReport(f"report {spec.name!r}: its marts hold no dated rows")
    period: Period | None = (
        parse_period(spec.period, period_text, clock) if clock and dated else None
    )
    return compute_snapshot(con, spec, catalog, period, clock, version)


def archive_snapshot(snapshot: Snapshot, settings: Settings) -> ArchivedSnapshot:
    created_at = utcnow()
    label = snapshot.period.label if snapshot.period else f"asof-{snapshot.clock}"
    snapshot = with_previous_snapshot(snapshot, settings.reports_dir)
    with new_snapshot(settings.reports_dir, snapshot.spec.name, label) as staging:
        render_files(snapshot, staging, created_at)
        return publish_snapshot(staging, _manifest(snapshot, created_at, settings))


def with_previous_snapshot(snapshot: Snapshot, archive_dir: Path) -> Snapshot:
    """Compare the figures with the report's previous archived snapshot (if there is one)."""
    before = previous_snapshot(archive_dir, snapshot.spec.name, snapshot.as_of)
    if before is None:
        return compare_with_snapshot(snapshot, None, None)
    manifest = before.manifest
    baseline = {
        "period": before.period,
        "version": before.version,
        "data_version": manifest.get("data_version"),
        "created_at": manifest.get("created_at"),
        "path": f"{before.report}/{before.period}/v{before.version}",
    }
    return compare_with_snapshot(snapshot, baseline, manifest)


def deliver(
    spec: Spec,
    archived: ArchivedSnapshot,
    settings: Settings,
    to: Sequence[str] = (),
    rows_html: str = "",
) -> list[Outcome]:
    """E-mail (to the spec's recipients, or `to` instead) and/or file drop; never raises."""
    outcomes = []
    recipients = list(to) or list(spec.recipients)
    if recipients:
        try:
            outcomes.append(send_email(archived, recipients, settings.smtp, rows_html))
        except DeliveryFailed as exc:
            outcomes.append(Outcome("email", "failed", settings.smtp.attempts, str(exc)))
    if spec.file_drop:
        outcomes.append(file_drop(archived, settings.outbox_dir))
    return outcomes


def run_report(
    spec: Spec,
    period_text: str | None = None,
    *,
    settings: Settings,
    send: bool = False,
    to: Sequence[str] = (),
    language: str | None = None,
) -> RunResult:
    """Snapshot one report for a period (default: the last complete one on the data clock),
    in its spec's language or, for a one-off copy, in `language`."""
    if language is not None and language != spec.language:
        spec = dataclasses.replace(spec, language=language)
    with serving_connection(settings) as (con, version):
        snapshot = build_snapshot(spec, con, load_catalog(con), version, period_text)
    archived = archive_snapshot(snapshot, settings)
    outcomes = deliver(spec, archived, settings, to) if send else []
    return RunResult(archived, outcomes)


def report_specs(kind: str = "report") -> list[Spec]:
    """The built-in specs of one kind (report or alert)."""
    return [s for s in (load_spec(p) for p in builtin_spec_paths()) if s.kind == kind]


def run_alerts(
    specs: Sequence[Spec],
    settings: Settings,
    day: dt.date | None = None,
    send: bool = True,
) -> list[dict[str, Any]]:
    """Evaluate every alert rule; send each triggered one at most once per day."""
    from pipelines.reports.alerts import alert_message, evaluate, record_and_should_send
    from pipelines.reports.delivery import _send_once

    day = day or utcnow().date()
    results = []
    with serving_connection(settings) as (con, _):
        catalog = load_catalog(con)
        evaluations = [(spec, evaluate(con, spec, catalog, settings.reports_dir)) for spec in specs]
    for spec, evaluation in evaluations:
        fresh = record_and_should_send(evaluation, settings.reports_dir, day)
        status = (
            "not triggered"
            if not evaluation.triggered
            else ("already sent today" if not fresh else "triggered")
        )
        if fresh and send and spec.recipients:
            try:
                _send_once(
                    settings.smtp,
                    alert_message(spec, evaluation, settings.smtp, list(spec.recipients)),
                )
                status = "sent"
            except (OSError, RuntimeError) as exc:
                status = f"send failed: {type(exc).__name__}: {exc}"
        results.append(
            {
                "rule": spec.name,
                "status": status,
                "value": evaluation.value,
                "rows": evaluation.rows.height,
            }
        )
    return results
