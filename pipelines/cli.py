"""The `orderlens` command line (also `python -m pipelines`).

An edge: `main` reads the settings from the environment once and hands them to every command
(`click.pass_obj`) and to the child processes it starts.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import click
from rich.console import Console
from rich.measure import Measurement
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from pipelines.settings import ENGINES, Settings, SettingsError, child_environment, get_settings

console = Console()
err = Console(stderr=True)
ROOT = Path(__file__).resolve().parents[1]  # the repository: dashboards/, workspace.yaml


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.pass_context
def main(ctx: click.Context) -> None:
    """OrderLens: order-management analytics.

    The data directory is ./data unless ORDERLENS_DATA_DIR says otherwise.
    """
    try:
        # A setting that cannot be used stops every command, named.
        ctx.obj = get_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@click.option("--orders", default=20_000, show_default=True, help="Number of orders to simulate.")
@click.option("--days", default=730, show_default=True, help="Days of history, ending on --end.")
@click.option("--seed", default=7, show_default=True, help="Random seed: same seed, same files.")
@click.option(
    "--end",
    default="2026-10-31",
    show_default=True,
    help="Last simulated day (the data's own clock).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder [default: <data dir>/simulated].",
)
@click.pass_obj
def simulate(
    settings: Settings, orders: int, days: int, seed: int, end: str, out: Path | None
) -> None:
    """Write a simulated business as channel export files (CSV, JSON lines, Parquet)."""
    from datetime import date

    from pipelines.ingest.simulate import simulate as run

    out = out or settings.simulated_dir
    with console.status(f"simulating {orders:,} orders over {days} days ..."):
        summary = run(
            orders=orders, days=days, seed=seed, out=out, end_date=date.fromisoformat(end)
        )
    table = Table("table", "rows", title=f"Simulated business in {out}")
    for name, rows in summary.rows.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)


def _results_table(results: list) -> Table:  # list[BatchResult]
    table = Table(
        "batch",
        "source",
        "status",
        "rows in",
        "loaded",
        "quarantined",
        "duplicate",
        "excluded",
        "released",
        title="Ingest summary",
    )
    table.columns[1].no_wrap = True  # a file name is shown whole (see _print_results)
    for r in results:
        style = {"rejected": "red", "partial": "yellow"}.get(r.status, "")
        table.add_row(
            str(r.batch_id),
            _source_names(r.source),
            f"[{style}]{r.status}[/]" if style else r.status,
            f"{r.rows_in:,}",
            f"{r.rows_loaded:,}",
            f"{r.rows_quarantined:,}",
            f"{r.rows_duplicate:,}",
            f"{r.rows_excluded:,}",
            f"{r.rows_released:,}",
        )
    return table


def _source_names(source: str) -> str:
    """The file names of a batch's source (an export of several files names each)."""
    return ", ".join(Path(part).name for part in source.split(", "))


def _print_results(results: list) -> None:  # list[BatchResult]
    """The ingest summary with every file name whole: at its natural width in a pipe (where
    lines are not cut), as a table on a terminal wide enough, else one block per batch."""
    table = _results_table(results)
    # Its natural width, unbounded by the console's.
    needed = Measurement.get(console, console.options.update_width(10_000), table).maximum
    if not console.is_terminal:
        Console(width=max(needed, console.width)).print(table)
        return
    if needed <= console.width:
        console.print(table)
        return
    console.print("[bold]Ingest summary[/]")
    for r in results:
        console.print(f"batch {r.batch_id}  {r.status}  {_source_names(r.source)}", soft_wrap=True)
        console.print(
            f"  {r.rows_in:,} in: {r.rows_loaded:,} loaded, {r.rows_quarantined:,} quarantined, "
            f"{r.rows_duplicate:,} duplicate, {r.rows_excluded:,} excluded, "
            f"{r.rows_released:,} released"
        )


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="YAML mapping of a foreign export onto the canonical tables.",
)
@click.pass_obj
def ingest(settings: Settings, paths: tuple[Path, ...], mapping: Path | None) -> None:
    """Load export files or folders into the warehouse, one transaction per file.

    With a mapping of several files (one export), the files given load as ONE batch.

    Folder files load parents before children. Rows that fail the data contract go to the
    quarantine; re-loading a file already loaded changes nothing. Exit status 1 when a file
    was rejected.
    """
    from pipelines.ingest.api import ingest_paths
    from pipelines.warehouse import WarehouseBusy

    columns = [
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("ingest", total=None)

        def progress(what: str, done: int, total: int) -> None:
            bar.update(task, description=f"ingest {what}", completed=done, total=total)

        try:
            results = ingest_paths(
                list(paths), mapping=mapping, settings=settings, progress=progress
            )
        except WarehouseBusy as exc:
            err.print(f"[red]error:[/] {exc}")
            sys.exit(2)
    _print_results(results)
    rejected = [r for r in results if r.status == "rejected"]
    for r in rejected:
        err.print(f"[red]rejected[/] {r.message}")
    quarantined = sum(r.rows_quarantined for r in results)
    if quarantined:
        err.print(f"{quarantined:,} row(s) quarantined: see `orderlens quarantine list`.")
    if rejected:
        sys.exit(1)


@main.command()
@click.option("--limit", default=20, show_default=True, help="Newest batches to show.")
@click.option(
    "--batch",
    "batch_id",
    type=int,
    help="Show this batch's per-table ledger: the table rows it built and their fates.",
)
@click.pass_obj
def status(settings: Settings, limit: int, batch_id: int | None) -> None:
    """Show the ingest ledger: every batch with where its source rows went."""
    from pipelines.ingest.ledger import ledger

    if batch_id is not None:
        _batch_tables(batch_id, settings)
        return
    rows = ledger(limit=limit, settings=settings)
    if rows.is_empty():
        console.print(
            "The ledger is empty: nothing has been ingested into this data directory yet."
        )
        return
    table = Table(
        "batch",
        "source",
        "status",
        "in",
        "loaded",
        "quarantined",
        "duplicate",
        "excluded",
        "released",
        "finished (UTC)",
        title=f"Ingest ledger ({settings.warehouse_path})",
    )
    notes = []
    for row in rows.iter_rows(named=True):
        table.add_row(
            str(row["batch_id"]),
            Path(row["source"]).name,
            row["status"],
            f"{row['rows_in']:,}",
            f"{row['rows_loaded']:,}",
            f"{row['rows_quarantined']:,}",
            f"{row['rows_duplicate']:,}",
            f"{row['rows_excluded']:,}",
            f"{row['rows_released']:,}",
            row["finished_at_utc"],
        )
        if row["message"]:
            notes.append(f"batch {row['batch_id']}: {row['message']}")
    console.print(table)
    for note in notes:
        console.print(note, soft_wrap=True)


def _batch_tables(batch_id: int, settings: Settings) -> None:
    from pipelines.ingest.ledger import batch_tables

    rows = batch_tables(batch_id, settings=settings)
    if rows.is_empty():
        console.print(f"Batch {batch_id} built no table rows (or there is no such batch).")
        return
    table = Table(*rows.columns, title=f"Batch {batch_id}: table rows built and their fates")
    for row in rows.iter_rows():
        table.add_row(*[f"{v:,}" if isinstance(v, int) else str(v) for v in row])
    console.print(table)


@main.group()
def quarantine() -> None:
    """Inspect and release rows held back by the ingest."""


@quarantine.command("list")
@click.option("--batch", "batch_id", type=int, help="Only rows of this batch.")
@click.option("--table", "table_name", help="Only rows of this canonical table.")
@click.option(
    "--status",
    type=click.Choice(["held", "waiting", "excluded", "released", "superseded", "all"]),
    default="all",
    show_default=True,
    help="held: failed a check; waiting: parent not yet loaded; excluded: left out by a "
    "mapping's rule (not a quarantine); superseded: its batch was replaced by a corrected "
    "mapping's load of the same file.",
)
@click.option("--limit", default=50, show_default=True)
@click.pass_obj
def quarantine_list(
    settings: Settings, batch_id: int | None, table_name: str | None, status: str, limit: int
) -> None:
    """List quarantined rows with the file, row, field and reason."""
    from pipelines.ingest.ledger import quarantine_rows

    rows = quarantine_rows(
        batch_id=batch_id, table_name=table_name, status=status, limit=limit, settings=settings
    )
    if rows.is_empty():
        console.print("No quarantined rows match.")
        return
    table = Table(*rows.columns, title="Quarantine")
    for row in rows.iter_rows():
        table.add_row(*["" if v is None else str(v) for v in row])
    console.print(table)


@quarantine.command("show")
@click.argument("quarantine_id", type=int)
@click.pass_obj
def quarantine_show(settings: Settings, quarantine_id: int) -> None:
    """Show one quarantined row: its original values and every failure."""
    from pipelines.ingest.ledger import quarantine_row

    row = quarantine_row(quarantine_id, settings=settings)
    if row is None:
        err.print(f"no quarantined row {quarantine_id}")
        sys.exit(1)
    for key in ("record", "errors"):
        row[key] = json.loads(row[key]) if row[key] else row[key]
    console.print_json(json.dumps(row, default=str, ensure_ascii=False))


@quarantine.command("release")
@click.argument("ids", nargs=-1, type=int)
@click.option("--batch", "batch_id", type=int, help="Release every held row of this batch.")
@click.pass_obj
def quarantine_release(settings: Settings, ids: tuple[int, ...], batch_id: int | None) -> None:
    """Retry quarantined rows now (rows waiting for a parent are retried automatically)."""
    from pipelines.ingest.api import release

    if not ids and batch_id is None:
        raise click.UsageError("give quarantine ids or --batch N")
    result = release(list(ids) or None, batch_id=batch_id, settings=settings)
    _print_results([result])
    console.print(result.message)


@main.command()
@click.option(
    "--verbose",
    is_flag=True,
    help="Show every Dagster and dbt log line; dbt's log file keeps every SQL statement.",
)
@click.option(
    "--full-refresh",
    is_flag=True,
    help="Rebuild the incremental models from scratch and test every row (after a change of "
    "a model's logic): resets the build state, int_changes and each absorbed_batch_id.",
)
@click.option(
    "--engine",
    type=click.Choice(ENGINES),
    default=None,
    help="Build the dbt project on this engine [default: ORDERLENS_ENGINE, else duckdb]; "
    "spark: see docs/scale-out.md.",
)
@click.pass_obj
def build(settings: Settings, verbose: bool, full_refresh: bool, engine: str | None) -> None:
    """Run the whole graph in process: ingest landed files, dbt build (with tests), publish."""
    from pipelines.build import StepProgress, build_all

    if engine is not None:
        settings = dataclasses.replace(settings, engine=engine)
    if settings.engine == "spark":
        from pipelines.transform.spark import SparkUnavailable, check_spark

        try:
            check_spark()
        except SparkUnavailable as exc:
            raise click.ClickException(str(exc)) from exc
    columns = [
        TextColumn("build"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("steps"),
        TimeElapsedColumn(),
        TextColumn("{task.description}"),
    ]
    # On a terminal: steps done of all, the elapsed time and the current step or asset
    # (the log file has one line per step either way).
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task("starting", total=None)

        def progress(step: StepProgress) -> None:
            bar.update(task, description=step.current, completed=step.done, total=step.total)

        outcome = build_all(settings, verbose=verbose, full_refresh=full_refresh, progress=progress)
    console.print(f"materialized {len(outcome.materialized)} asset(s)")
    for check in outcome.failed_checks:
        err.print(f"[yellow]failed check[/] {check}")
    if not outcome.success:
        failed = [step for step, _ in outcome.step_seconds.items()]
        err.print(f"[red]the build failed[/] (steps run: {', '.join(failed)})")
        if not verbose:
            lines = outcome.log.read_text(encoding="utf-8").splitlines()[-25:]
            err.print("\n".join(lines), markup=False, highlight=False)
            err.print(f"the whole log: {outcome.log}")
        sys.exit(1)
    console.print(f"published; dbt's log of this build: {outcome.log}")


def _serve(command: list[str], settings: Settings) -> None:
    """Run a server as a child process with these settings (its environment) until Ctrl-C."""
    import subprocess

    try:
        sys.exit(subprocess.call(command, env=child_environment(settings), cwd=ROOT))
    except KeyboardInterrupt:
        sys.exit(0)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8501, show_default=True, type=int)
@click.pass_obj
def dashboard(settings: Settings, host: str, port: int) -> None:
    """Serve the dashboards (read-only, on the published serving file) until Ctrl-C."""
    from pipelines.serve import streamlit_command

    console.print(f"OrderLens dashboard: [bold]http://{host}:{port}[/]  (Ctrl-C to stop)")
    # The app reads its settings at its entry, from the environment built here.
    _serve(streamlit_command(host, port), settings)


@main.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    help="Address both servers listen on; any other than 127.0.0.1 exposes pages that have "
    "no login (put a reverse proxy with authentication in front: docs/operations.md).",
)
@click.option("--dashboard-port", default=8501, show_default=True, type=int)
@click.option("--dagster-port", default=3000, show_default=True, type=int)
@click.pass_obj
def serve(settings: Settings, host: str, dashboard_port: int, dagster_port: int) -> None:
    """Run OrderLens as a service until SIGTERM or Ctrl-C: the Dagster daemon (schedules, the
    landing sensor), the Dagster UI and the dashboards, each restarted if it dies."""
    from pipelines.serve import Supervisor, components, is_exposed, prepare_instance
    from pipelines.transform.dbt import dbt_project, ensure_manifest

    if is_exposed(host):
        err.print(
            f"[yellow]warning:[/] listening on {host}: the dashboards and the Dagster UI have "
            "no login; anyone who can reach this address can read every page and start runs. "
            "Put a reverse proxy with authentication in front (docs/operations.md)."
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    home = prepare_instance(settings)
    # Parsed once here, so the daemon's and the webserver's code servers do not both parse.
    ensure_manifest(dbt_project(), settings)
    parts = components(host, dashboard_port, dagster_port)
    for part in parts:
        if part.url:
            console.print(f"{part.name}: [bold]{part.url}[/]")
    console.print(
        f"logs in {settings.logs_dir}/ (Ctrl-C or SIGTERM stops everything)", soft_wrap=True
    )
    supervisor = Supervisor(
        parts,
        env={**child_environment(settings), "DAGSTER_HOME": str(home)},
        logs_dir=settings.logs_dir,
        say=lambda line: console.print(line, highlight=False, soft_wrap=True),
    )
    sys.exit(supervisor.run())


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=3000, show_default=True, type=int)
@click.pass_obj
def dev(settings: Settings, host: str, port: int) -> None:
    """The Dagster UI and daemon with the whole asset graph (`make dev`) until Ctrl-C."""
    # Its code servers build the definitions from the environment built here
    # (`workspace.yaml` at the repository root names `pipelines.definitions`).
    dagster = str(Path(sys.executable).with_name("dagster"))
    _serve([dagster, "dev", "-h", host, "-p", str(port)], settings)


@main.command()
@click.option(
    "--refit",
    is_flag=True,
    help="Choose and fit the models again now (otherwise weekly, a review period after the last).",
)
@click.pass_obj
def forecast(settings: Settings, refit: bool) -> None:
    """Forecast demand, backtest it and write the reorder and transfer plans, then publish."""
    from pipelines.assets.forecasting import run_forecasting
    from pipelines.warehouse import publish, writer_lock

    with console.status("forecasting and backtesting every SKU and warehouse ..."):
        as_of, fitted_as_of, rows = run_forecasting(settings, refit=refit)
    if as_of is None:
        err.print("no sales in the marts yet: run `orderlens build` first")
        sys.exit(1)
    with writer_lock(settings, purpose="publish"):
        path = publish(settings)
    title = f"Replenishment plan as of {as_of} (models fitted as of {fitted_as_of})"
    table = Table("table", "rows", title=title)
    for name, n in rows.items():
        table.add_row(f"marts.{name}", f"{n:,}")
    console.print(table)
    console.print(f"published {path.name}")


@main.group()
def spark() -> None:
    """A local Spark cluster (a master and two workers on 127.0.0.1) for Spark builds."""


@spark.command("start")
@click.option("--port", type=int, default=None, help="The master's port [default: a free one].")
@click.pass_obj
def spark_start(settings: Settings, port: int | None) -> None:
    """Start the master and two workers (logs and pids in <data dir>/spark)."""
    from pipelines.transform.spark import SparkUnavailable, start_cluster

    try:
        with console.status("starting a Spark master and two workers ..."):
            cluster = start_cluster(settings, port=port)
    except SparkUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    console.print(f"Spark master {cluster.master_url} (web UI {cluster.web_ui})")
    console.print(
        f"build on it: ORDERLENS_SPARK_MASTER={cluster.master_url} orderlens build --engine spark",
        soft_wrap=True,
    )


@spark.command("stop")
@click.pass_obj
def spark_stop(settings: Settings) -> None:
    """Stop the local cluster's workers and master."""
    from pipelines.transform.spark import stop_cluster

    stopped = stop_cluster(settings)
    console.print("stopped the local Spark cluster" if stopped else "no local Spark cluster runs")


@spark.command("status")
@click.pass_obj
def spark_status(settings: Settings) -> None:
    """Show whether the local cluster runs, and its master's URL. Exit status 1 when it does not."""
    from pipelines.transform.spark import cluster_status

    cluster = cluster_status(settings)
    if cluster is None:
        console.print("no local Spark cluster was started here: `orderlens spark start`")
        sys.exit(1)
    for name, alive in cluster.running.items():
        console.print(f"{name}: {'running' if alive else 'stopped'}")
    console.print(f"master {cluster.master_url} (web UI {cluster.web_ui})")
    if not cluster.up:
        sys.exit(1)


def _add_report_commands() -> None:
    from pipelines.reports.cli import report

    main.add_command(report)


_add_report_commands()


if __name__ == "__main__":  # pragma: no cover
    main()
