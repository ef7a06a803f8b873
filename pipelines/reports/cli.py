"""`orderlens report ...`: list the reports, run one, check a spec.

The lead adds the group to the main CLI with `main.add_command(report)`; every command gets
the settings `main` read (`click.pass_obj`).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from pipelines.i18n import LANGS
from pipelines.reports.spec import SpecError, builtin_spec_paths, load_spec
from pipelines.settings import Settings

console = Console()
err = Console(stderr=True)


@click.group()
def report() -> None:
    """Scheduled report snapshots: list, run, check."""


@report.command("list")
@click.pass_obj
def list_reports(settings: Settings) -> None:
    """The built-in reports and alerts, their schedules and recipients, and the archive."""
    from pipelines.reports.archive import list_snapshots

    archive = list_snapshots(settings.reports_dir)
    table = Table(
        "name", "kind", "period", "schedule", "recipients", "latest snapshot", title="Reports"
    )
    for path in builtin_spec_paths():
        try:
            spec = load_spec(path)
        except SpecError as exc:
            table.add_row(path.stem, "[red]invalid[/]", "", "", "", str(exc.problems[0]))
            continue
        latest = next((s for s in archive if s.report == spec.name), None)
        shown = f"{latest.period} v{latest.version} ({latest.delivery_status})" if latest else "-"
        table.add_row(
            spec.name,
            spec.kind,
            spec.period,
            spec.schedule or "after build",
            ", ".join(spec.recipients),
            shown,
        )
    console.print(table)


@report.command()
@click.argument("name")
@click.option(
    "--period", default=None, help="last (default), current, previous, 2026-W10, 2026-03 or a date."
)
@click.option(
    "--send", is_flag=True, help="Deliver it (e-mail to the recipients and/or file drop)."
)
@click.option(
    "--to", "to", multiple=True, help="Send to this address instead of the spec's recipients."
)
@click.option(
    "--language",
    type=click.Choice(LANGS),
    default=None,
    help="Write this copy in en or zh instead of the spec's language.",
)
@click.pass_obj
def run(
    settings: Settings,
    name: str,
    period: str | None,
    send: bool,
    to: tuple[str, ...],
    language: str | None,
) -> None:
    """Snapshot report NAME (a built-in name or a spec file) into the archive."""
    from pipelines.reports.runner import find_spec, run_report
    from pipelines.reports.spec import EMAIL

    for address in to:
        if not EMAIL.match(address):
            raise click.BadParameter(f"{address!r} is not an e-mail address", param_hint="--to")
    try:
        spec = load_spec(find_spec(name, settings))
        result = run_report(
            spec, period, settings=settings, send=send or bool(to), to=to, language=language
        )
    except SpecError as exc:
        click.echo(f"the spec is not valid:\n{exc}", err=True)
        sys.exit(2)
    except (FileNotFoundError, ValueError, RuntimeError) as exc:
        err.print(f"[red]{type(exc).__name__}:[/] {exc}")
        sys.exit(1)
    click.echo(f"archived {result.snapshot.path}")
    for outcome in result.outcomes:
        colour = "green" if outcome.status == "delivered" else "red"
        console.print(f"[{colour}]{outcome.channel}: {outcome.status}[/] ({outcome.detail})")
    if send or to:
        # The mail server is meant to be reachable now: catch up on earlier failed e-mails.
        _print_retries(settings)
    if not result.delivered:
        sys.exit(3)


def _print_retries(settings: Settings) -> list[str]:
    from pipelines.reports.retry import retry_pending

    outcomes = retry_pending(settings)
    for outcome in outcomes:
        colour = {"delivered": "green", "waiting": "yellow"}.get(outcome.status, "red")
        console.print(f"[{colour}]retry {outcome.name}: {outcome.status}[/] ({outcome.detail})")
    return [o.status for o in outcomes]


@report.command()
@click.pass_obj
def retry(settings: Settings) -> None:
    """Retry the e-mails of archived snapshots whose delivery failed (after their back-off)."""
    statuses = _print_retries(settings)
    if not statuses:
        console.print("no undelivered e-mail in the archive")
    if any(s != "delivered" for s in statuses):
        sys.exit(3)


@report.command()
@click.argument("spec_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_obj
def check(settings: Settings, spec_file: Path) -> None:
    """Check SPEC_FILE: its shape, and its marts and columns against the published marts."""
    from pipelines.reports.runner import NothingPublished, check_spec_file

    try:
        spec = check_spec_file(spec_file, settings)
    except SpecError as exc:
        err.print(f"[red]{len(exc.problems)} problem(s):[/]")
        for problem in exc.problems:
            click.echo(str(problem), err=True)  # one unwrapped line each: file:line: ...
        sys.exit(2)
    except NothingPublished as exc:
        err.print(f"[yellow]the shape is valid, but {exc}[/]")
        sys.exit(1)
    console.print(
        f"[green]{spec_file}: valid[/] ({spec.kind} {spec.name}, {len(spec.sections)} sections)"
    )
