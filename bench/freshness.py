"""Freshness benchmark: from a file landing to the dashboards showing its rows.

The simulated business is loaded and built without its last LANDINGS days; then `orderlens
serve` runs (its own process, as in production, the landing sensor every SENSOR_INTERVAL_S
seconds) and each of those days is dropped into `data/landing/` in turn, its contract files
moved in at once. A landing counts as shown once the serving file the dashboards open holds
every one of its files in its ingest ledger and its day in `marts.daily_sales` (the
dashboards open the newest serving file at their next query). The median of the landings is
reported, with the median of each phase, timed from Dagster's run records: sensor (landing
to the run created by the sensor's tick), plan (its planned events written and the run
queued), queue (to the run taken off the queue), launch (to its process started), ingest,
dbt (the incremental build), publish (to the serving file written), page (to the check above
seeing it). Every landing's phases and the load average as it started are written beside the
work data (`work/<scale>/freshness-phases.json`).
"""

from __future__ import annotations

import json
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


# The phases of a landing, in order, each ending at its own moment: the run created by the
# sensor's tick, its planned events written and the run queued, taken off the queue, its
# process started, then the run's steps (matched by the op names' endings: ingest, the dbt
# build, publish), then the page's next look.
PHASES = ("sensor", "plan", "queue", "launch", "ingest", "dbt", "publish", "page")
STEPS = {"ingest": "raw_tables", "dbt": "orderlens_dbt", "publish": "published"}


def _landing_runs(home: Path) -> list[dict[str, float]]:
    """The moments (epoch seconds) of each landing run, oldest first: created, enqueued,
    dequeued, started, each step's success (by STEPS), ended."""
    import dagster as dg

    run_moments = {
        dg.DagsterEventType.RUN_ENQUEUED: "enqueued",
        dg.DagsterEventType.RUN_STARTING: "dequeued",  # the daemon took it off the queue
        dg.DagsterEventType.RUN_START: "started",
        dg.DagsterEventType.RUN_SUCCESS: "ended",
    }
    moments = []
    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = instance.get_run_records(
            dg.RunsFilter(
                tags={"dagster/sensor_name": "landing_sensor"},
                statuses=[dg.DagsterRunStatus.SUCCESS],
            )
        )
        for record in sorted(records, key=lambda r: r.create_timestamp):
            run = {"created": record.create_timestamp.timestamp()}
            for entry in instance.all_logs(record.dagster_run.run_id):
                event = entry.dagster_event
                if event is None:
                    continue
                kind = event.event_type
                if kind in run_moments:
                    run[run_moments[kind]] = entry.timestamp
                elif kind == dg.DagsterEventType.STEP_SUCCESS and event.step_key:
                    for phase, op in STEPS.items():
                        if event.step_key.endswith(op):
                            run[phase] = entry.timestamp
            moments.append(run)
    return moments


def _phases(landed: float, shown: float, run: dict[str, float]) -> dict[str, float]:
    """Seconds of each phase of one landing (a run launched straight away, with no queue,
    has a queue phase of 0)."""
    enqueued = run.get("enqueued", run["created"])
    ends = [
        run["created"],
        enqueued,
        run.get("dequeued", enqueued),
        run["started"],
        run["ingest"],
        run["dbt"],
        run["publish"],
        shown,
    ]
    starts = [landed, *ends[:-1]]
    return {name: end - start for name, start, end in zip(PHASES, starts, ends, strict=True)}


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
    landings = []  # (landed, shown) wall-clock moments, to set beside Dagster's records
    loads = []  # the load average as each landing starts: the machine is shared
    try:
        _wait_until(lambda: _answers(dagster), "the service answers")
        for folder in days:
            names = sorted(p.name for p in folder.iterdir())
            day = _last_date(folder)
            incoming = data / "incoming"
            shutil.copytree(folder, incoming)
            settings.landing_dir.mkdir(exist_ok=True)
            loads.append(os.getloadavg()[0])
            landed = time.time()
            for name in names:  # each file appears whole and new, as a finished upload
                os.utime(incoming / name)
                (incoming / name).rename(settings.landing_dir / name)
            _wait_until(partial(_shown, data, names, day), f"landing of {day} shown")
            landings.append((landed, time.time()))
            incoming.rmdir()
        # The last run's steps after publish finish before the service stops.
        _wait_until(lambda: not _runs_in_progress(settings.dagster_home), "runs finished")
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)
    seconds = [shown - landed for landed, shown in landings]
    runs = _landing_runs(settings.dagster_home)[-len(landings) :]
    phases = [
        _phases(landed, shown, run) for (landed, shown), run in zip(landings, runs, strict=True)
    ]
    (work / "freshness-phases.json").write_text(
        json.dumps(
            [
                {"load": load, "landed": landed, "shown": shown, **run, **parts}
                for load, (landed, shown), run, parts in zip(
                    loads, landings, runs, phases, strict=True
                )
            ],
            indent=2,
        )
        + "\n"
    )
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        lines = int(con.sql("SELECT count(*) FROM raw.order_lines").fetchall()[0][0])
    return {
        "order_lines": lines,
        "landings": len(seconds),
        "sensor_interval_s": SENSOR_INTERVAL_S,
        "settle_s": SETTLE_S,
        "landing_to_shown_s": round(median(seconds), 1),
        "landing_to_shown_runs": " / ".join(f"{s:.0f}" for s in seconds),
        "phases_s": ", ".join(f"{name} {median(p[name] for p in phases):.1f}" for name in PHASES),
        "run_s": round(median(run["ended"] - run["started"] for run in runs), 1),
        "load_during": " / ".join(f"{load:.1f}" for load in loads),
    }
