"""Build benchmark: the full build after ingest, and a daily update on top of it.

The simulated business is ingested without its last day; `build_all` (dbt build with its
tests, forecasting, publish) is timed; then the last day's rows (orders, lines, events,
movements, shipments, ... of that day) are ingested and the build timed again. The dbt part
is also reported alone (incremental models touch only the new days).

The two are timed in RUNS alternating pairs, each full build from the same ingested state and
each daily build from the same state after the day's ingest: this machine's speed drifts by a
quarter over minutes, so each daily build is set against the full build just before it and
the median of the pairs' ratios is reported, beside the median of each. The last pair's
seconds per step and per dbt node, for finding what to speed up, are written beside the work
data (`work/<scale>/profile-full.json`, `profile-daily.json`), not with the results. Both
builds run in one Python process whose imports are done before either is timed (a fresh
`orderlens build` process adds the same import time, `import_s`, to either), each after
`os.sync()`. Each build's CPU time (this process and dbt's) is reported beside its
wall-clock time. The full build starts from an empty serving folder (a first deployment); the
daily build finds three versions there, as every day's does, and its publish deletes the
oldest.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import time
from datetime import date, timedelta
from pathlib import Path
from statistics import median

import polars as pl

from bench.workspace import simulated, work_dir

RUNS = 3

# The time column that dates a row of each table (tables without one are master data).
DATED = {
    "orders": "ordered_at",
    "order_events": "event_at",
    "stock_movements": "moved_at",
    "stock_counts": "counted_at",
    "shipments": "shipped_at",
    "shipment_events": "event_at",
    "returns": "returned_at",
    "service_tickets": "opened_at",
    "purchase_orders": "ordered_date",
}


def split_last_days(sim: Path, target: Path, days: int = 1) -> tuple[Path, Path]:
    """Write the business without its last `days` days to target/base, those to target/day.

    A row belongs to the day its table's time column names; order lines and purchase order
    lines go with their header. File by file (a 10-million-line business does not fit in
    memory as text all at once).
    """
    from pipelines.ingest.readers import read_file, table_for_path

    def load(path: Path) -> pl.DataFrame:
        return read_file(path).drop("_source_row").with_columns(pl.all().cast(pl.String))

    files = [(p, table_for_path(p)) for p in sorted(sim.iterdir()) if table_for_path(p)]
    last = max(
        load(p).get_column("ordered_at").str.slice(0, 10).max() for p, t in files if t == "orders"
    )
    day = (date.fromisoformat(last) - timedelta(days=days - 1)).isoformat()
    new_keys: dict[str, set[str]] = {"orders": set(), "purchase_orders": set()}
    for path, table in files:
        if table in new_keys:
            key = "order_id" if table == "orders" else "po_id"
            frame = load(path)
            stamp = frame.get_column(DATED[table]).str.slice(0, 10)
            new_keys[table] |= set(frame.filter(stamp >= day).get_column(key).to_list())
    base, daily = target / "base", target / "day"
    for folder in (base, daily):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    for path, table in files:
        frame = load(path)
        if table in DATED:
            mask = frame.get_column(DATED[table]).str.slice(0, 10) >= day
        elif table == "order_lines":
            mask = frame.get_column("order_id").is_in(list(new_keys["orders"]))
        elif table == "purchase_order_lines":
            mask = frame.get_column("po_id").is_in(list(new_keys["purchase_orders"]))
        else:
            frame.write_parquet(base / f"{path.name.split('.')[0]}.parquet")
            continue
        name = f"{path.name.split('.')[0]}.parquet"
        frame.filter(~mask).write_parquet(base / name)
        frame.filter(mask).write_parquet(daily / name)
        del frame
    return base, daily


def _cpu_seconds() -> float:
    """CPU time (user + system) of this process and of its finished children (dbt)."""
    own, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _timed_build(profile: Path) -> tuple[float, float, float]:
    """Seconds of the whole build, of its dbt step and of CPU; the details go to `profile`.

    CPU time drifts less than wall-clock time on a shared machine: a build that waits for
    the hypervisor takes longer but does not use more CPU.
    """
    from pipelines.build import build_all
    from pipelines.settings import get_settings

    # Start from a quiet disk: the files written just before (ingest, the previous build's
    # serving copy) are flushed first, as they would be by the next day's run. Otherwise the
    # serving copy of the daily build competes with the writeback of the full build's.
    os.sync()
    cpu = _cpu_seconds()
    started = time.perf_counter()
    outcome = build_all(get_settings())
    total = time.perf_counter() - started
    cpu = _cpu_seconds() - cpu
    assert outcome.success, outcome
    _save_profile(profile, outcome.step_seconds, outcome.run_id)
    return total, outcome.step_seconds.get("orderlens_dbt", float("nan")), cpu


def _save_profile(profile_path: Path, steps: dict[str, float], run_id: str) -> None:
    """Seconds per Dagster step and per dbt node (the build's dbt run results)."""
    from pipelines.transform.dbt import dbt_run_dir

    results = dbt_run_dir(run_id) / "run_results.json"
    nodes = json.loads(results.read_text())["results"] if results.exists() else []
    profile = {
        "steps": {k: round(v, 1) for k, v in sorted(steps.items(), key=lambda kv: -kv[1])},
        "dbt_tests_s": round(
            sum(n["execution_time"] for n in nodes if n["unique_id"].startswith("test.")), 1
        ),
        "dbt_nodes": {
            n["unique_id"]: round(n["execution_time"], 2)
            for n in sorted(nodes, key=lambda n: -n["execution_time"])
        },
    }
    profile_path.write_text(json.dumps(profile, indent=2))


def _ingest_base(base: Path, data: Path, snapshot: Path) -> tuple[float, int]:
    """Ingest the base into a fresh data dir; re-use the snapshot of an earlier bench run.

    The snapshot (the warehouse right after the base ingest, with the seconds and lines it
    took) saves minutes at 10M; delete bench/work/<scale>/ingested to measure ingest anew.
    """
    from pipelines.ingest.api import ingest_paths
    from pipelines.settings import get_settings

    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    facts = snapshot / "facts.json"
    if facts.exists():
        shutil.copyfile(snapshot / "warehouse.duckdb", data / "warehouse.duckdb")
        known = json.loads(facts.read_text())
        return known["ingest_s"], known["order_lines"]
    started = time.perf_counter()
    ingested = ingest_paths([base], settings=get_settings())
    seconds = time.perf_counter() - started
    lines = sum(r.rows_loaded for r in ingested if Path(r.source).name.startswith("order_lines"))
    snapshot.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(data / "warehouse.duckdb", snapshot / "warehouse.duckdb")
    facts.write_text(json.dumps({"ingest_s": seconds, "order_lines": lines}))
    return seconds, lines


def _seed_old_versions(count: int = 2) -> None:
    """Put `count` older serving versions beside the one the full build published.

    A daily build in steady state finds three versions (publish keeps three) and deletes the
    oldest while it copies the new one; freeing gigabytes takes the kernel most of a second.
    Without these the bench would time a first deployment's publish.
    """
    from pipelines.settings import get_settings
    from pipelines.warehouse import serving_path

    current = serving_path(get_settings())
    assert current is not None, "the full build published nothing"
    for n in range(count):
        # Version names are timestamps: these sort before every real one.
        shutil.copyfile(current, current.with_name(f"00000000T00000000000{n}Z.duckdb"))


def split_business(scale: str) -> tuple[Path, Path]:
    """The scale's work folder and its simulated business split into the base and the last day."""
    sim, _ = simulated(scale)
    work = work_dir(scale)
    split = work / "split"
    if not (split / "day").exists():
        split_last_days(sim, split)
    return work, split


def main(scale: str) -> dict[str, float | int | str]:
    from pipelines.ingest.api import ingest_paths
    from pipelines.settings import get_settings

    work, split = split_business(scale)
    data = work / "data"
    os.environ["ORDERLENS_DATA_DIR"] = str(data)
    ingest_s, lines = _ingest_base(split / "base", data, work / "ingested")
    started = time.perf_counter()
    import pipelines.definitions  # noqa: F401  (the graph's code: Dagster, dbt glue, forecasting)

    import_s = time.perf_counter() - started
    preday = work / "preday.duckdb"
    fulls, dailies = [], []
    for run in range(RUNS):
        if run:
            _ingest_base(split / "base", data, work / "ingested")  # the same ingested state
        fulls.append(_timed_build(work / "profile-full.json"))
        _seed_old_versions()
        if run:
            shutil.copyfile(preday, data / "warehouse.duckdb")
        else:
            started = time.perf_counter()
            day = ingest_paths([split / "day"], settings=get_settings())
            day_ingest_s = time.perf_counter() - started
            shutil.copyfile(data / "warehouse.duckdb", preday)
        dailies.append(_timed_build(work / "profile-daily.json"))
    preday.unlink()

    def runs(values: list[float]) -> str:
        return " ".join(f"{v:.1f}" for v in values)

    # Each pair's daily / full ratio of wall-clock, dbt and CPU seconds.
    ratios = [
        [d / f for f, d in zip(full, daily, strict=True)]
        for full, daily in zip(fulls, dailies, strict=True)
    ]

    def ratio(part: int) -> float:
        return round(median(r[part] for r in ratios), 3)

    full_s, full_dbt_s, full_cpu_s = (median(f[i] for f in fulls) for i in range(3))
    update_s, update_dbt_s, update_cpu_s = (median(d[i] for d in dailies) for i in range(3))
    return {
        "order_lines": lines,
        "ingest_all_s": round(ingest_s, 1),
        "import_s": round(import_s, 1),
        "full_build_s": round(full_s, 1),
        "full_build_runs_s": runs([f[0] for f in fulls]),
        "full_build_dbt_s": round(full_dbt_s, 1),
        "daily_rows": sum(r.rows_in for r in day),
        "daily_ingest_s": round(day_ingest_s, 1),
        "daily_build_s": round(update_s, 1),
        "daily_build_runs_s": runs([d[0] for d in dailies]),
        "daily_build_dbt_s": round(update_dbt_s, 1),
        "daily_vs_full": ratio(0),
        "daily_vs_full_runs": " ".join(f"{r[0]:.3f}" for r in ratios),
        "daily_vs_full_dbt": ratio(1),
        "full_build_cpu_s": round(full_cpu_s, 1),
        "daily_build_cpu_s": round(update_cpu_s, 1),
        "daily_vs_full_cpu": ratio(2),
        "data_dir": str(data),
    }
