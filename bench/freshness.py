"""Freshness benchmark: from a file landing to the dashboards showing its rows.

The simulated business is loaded and built without its last LANDINGS days; then `orderlens
serve` runs (its own process, as in production, the landing sensor every SENSOR_INTERVAL_S
seconds) and each of those days is dropped into `data/landing/` in turn, its contract files
moved in at once. A landing counts as shown once the serving file the dashboards open holds
every one of its files in its ingest ledger and its day in `marts.daily_sales` (the
dashboards open the newest serving file at their next query). The median of the landings is
reported, with the parts of the run Dagster recorded: waiting (sensor tick, run queue and
launch) and the run itself (ingest, incremental build, forecasting, publish, alerts).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from functools import partial
from pathlib import Path
from statistics import median

import duckdb
import polars as pl

from bench.build import split_last_days
from bench.workspace import simulated, work_dir

LANDINGS = 5
SENSOR_INTERVAL_S = 5
SETTLE_S = 1  # a file moved in whole needs no wait for copying to finish
TIMEOUT_S = 1800  # against a service that never publishes, not a target


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _split_days(sim: Path, work: Path) -> tuple[Path, list[Path]]:
    """The business without its last LANDINGS days, and one folder per one of those days."""
    folder = work / "freshness-split"
    days = [folder / f"day{n}" for n in range(1, LANDINGS + 1)]
    if (folder / ".done").exists():
        return folder / "base", days
    shutil.rmtree(folder, ignore_errors=True)
    base, rest = split_last_days(sim, folder, days=LANDINGS)
    for n in range(LANDINGS - 1, 0, -1):  # peel the last day off what remains, n days left
        step = folder / f"peel{n}"
        earlier, last = split_last_days(rest, step, days=1)
        last.rename(days[n])
        rest = earlier
    rest.rename(days[0])
    (folder / ".done").write_text("")
    return base, days


def _last_date(folder: Path) -> str:
    """The newest order date of a drop (its orders files, one per channel)."""
    orders = pl.concat(
        pl.read_parquet(path).select(pl.col("ordered_at").cast(pl.String))
        for path in [*folder.glob("orders.parquet"), *folder.glob("orders__*.parquet")]
    )
    return str(orders.get_column("ordered_at").str.slice(0, 10).max())


def _built_base(base: Path, work: Path, data: Path) -> None:
    """The data dir loaded and built without the landings: built once, then copied."""
    from pipelines.build import build_all
    from pipelines.ingest.api import ingest_paths
    from pipelines.settings import Settings

    kept = work / "freshness-base"
    if not (kept / ".done").exists():
        shutil.rmtree(kept, ignore_errors=True)
        settings = Settings(data_dir=kept, lock_timeout_s=3600)
        ingest_paths([base], settings=settings)
        assert build_all(settings).success, "the base build failed"
        (kept / ".done").write_text("")
    shutil.rmtree(data, ignore_errors=True)
    shutil.copytree(kept, data, ignore=shutil.ignore_patterns(".done", "*.lock", "*.holder"))


def _shown(data: Path, names: list[str], day: str) -> bool:
    """Whether the published serving file holds these files and this sales day."""
    from pipelines.settings import Settings
    from pipelines.warehouse import serving_path

    path = serving_path(Settings(data_dir=data))
    if path is None:
        return False
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            sources = {
                Path(row[0]).name
                for row in con.sql("SELECT source FROM ops.ingest_batches").fetchall()
            }
            newest = con.sql("SELECT max(sales_date) FROM marts.daily_sales").fetchall()[0][0]
    except duckdb.Error:  # replaced by a newer version while opening it
        return False
    return set(names) <= sources and newest is not None and str(newest) >= day


def _run_parts(home: Path) -> list[tuple[float, float]]:
    """(waiting, running) seconds of each landing's run: creation to start, start to end."""
    import dagster as dg

    parts = []
    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = instance.get_run_records(
            dg.RunsFilter(job_name="build_everything", statuses=[dg.DagsterRunStatus.SUCCESS])
        )
        for record in sorted(records, key=lambda r: r.create_timestamp):
            created = record.create_timestamp.timestamp()
            if record.start_time and record.end_time:
                parts.append((record.start_time - created, record.end_time - record.start_time))
    return parts


def _runs_in_progress(home: Path) -> bool:
    import dagster as dg

    busy = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]
    with dg.DagsterInstance.from_config(str(home)) as instance:
        return bool(instance.get_run_records(dg.RunsFilter(statuses=busy)))


def _serve(data: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    repo = Path(__file__).resolve().parents[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERLENS_")}
    env.update(
        ORDERLENS_DATA_DIR=str(data),
        ORDERLENS_LANDING_INTERVAL=str(SENSOR_INTERVAL_S),
        ORDERLENS_LANDING_SETTLE=str(SETTLE_S),
        PYTHONPATH=os.pathsep.join(filter(None, [str(repo), env.get("PYTHONPATH")])),
    )
    dashboard, dagster = _free_port(), _free_port()
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "pipelines", "serve"]
            + ["--dashboard-port", str(dashboard), "--dagster-port", str(dagster)],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return process, f"http://127.0.0.1:{dagster}/server_info"


def _wait_until(ready, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.5)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def main(scale: str) -> dict[str, float | int | str]:
    from pipelines.settings import Settings

    sim, _ = simulated(scale)
    work = work_dir(scale)
    base, days = _split_days(sim, work)
    data = work / "freshness"
    _built_base(base, work, data)
    settings = Settings(data_dir=data, lock_timeout_s=3600)

    process, dagster = _serve(data, work / "freshness-serve.log")
    seconds = []
    try:
        _wait_until(lambda: _answers(dagster), "the service answers")
        for folder in days:
            names = sorted(p.name for p in folder.iterdir())
            day = _last_date(folder)
            incoming = data / "incoming"
            shutil.copytree(folder, incoming)
            settings.landing_dir.mkdir(exist_ok=True)
            landed = time.perf_counter()
            for name in names:  # each file appears whole and new, as a finished upload
                os.utime(incoming / name)
                (incoming / name).rename(settings.landing_dir / name)
            _wait_until(partial(_shown, data, names, day), f"landing of {day} shown")
            seconds.append(time.perf_counter() - landed)
            incoming.rmdir()
        # The last run's steps after publish (alerts) finish before the service stops.
        _wait_until(lambda: not _runs_in_progress(settings.dagster_home), "runs finished")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
    parts = _run_parts(settings.dagster_home)[-LANDINGS:]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        lines = int(con.sql("SELECT count(*) FROM raw.order_lines").fetchall()[0][0])
    return {
        "order_lines": lines,
        "landings": len(seconds),
        "sensor_interval_s": SENSOR_INTERVAL_S,
        "settle_s": SETTLE_S,
        "landing_to_shown_s": round(median(seconds), 1),
        "landing_to_shown_runs": " / ".join(f"{s:.0f}" for s in seconds),
        "waiting_s": round(median(w for w, _ in parts), 1) if parts else "not recorded",
        "run_s": round(median(r for _, r in parts), 1) if parts else "not recorded",
    }
