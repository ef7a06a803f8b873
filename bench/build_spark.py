"""Build benchmark on Spark beside DuckDB: `python -m bench --engine spark --scale 1m`.

The build suite's business (the same split: everything but the last day, then that day) is
built on each engine in one run: a full build after the base's ingest, then the day's ingest
and a daily update, each through `build_all` (dbt build with its tests, forecasting, publish).
DuckDB builds in process as the build suite does; Spark builds on the local two-worker cluster
(`orderlens spark start`: a master and two workers of one core each on 127.0.0.1), with the
export to the lake and the collect of the marts inside the dbt step. One pair per engine: a
Spark build of 1M lines takes minutes, and the JVM's start (15-20 s per dbt invocation) is part
of every Spark build. The clusters' and builds' work stays in `bench/work/<scale>/spark/`.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import time
from pathlib import Path

from bench.build import _cpu_seconds, _ingest_base, split_business


def _timed(settings: object) -> tuple[float, float, float]:
    from pipelines.build import build_all

    os.sync()
    cpu = _cpu_seconds()
    started = time.perf_counter()
    outcome = build_all(settings)  # type: ignore[arg-type]
    total = time.perf_counter() - started
    assert outcome.success, outcome
    return total, outcome.step_seconds.get("orderlens_dbt", float("nan")), _cpu_seconds() - cpu


def _engine_pair(engine: str, split: Path, data: Path, snapshot: Path) -> dict[str, float]:
    from pipelines.ingest.api import ingest_paths
    from pipelines.settings import get_settings
    from pipelines.transform.spark import start_cluster, stop_cluster

    os.environ["ORDERLENS_DATA_DIR"] = str(data)
    _ingest_base(split / "base", data, snapshot)
    settings = dataclasses.replace(get_settings(), engine=engine)
    if engine == "spark":
        cluster = start_cluster(settings)
        settings = dataclasses.replace(settings, spark_master=cluster.master_url)
    try:
        full = _timed(settings)
        ingest_paths([split / "day"], settings=settings)
        daily = _timed(settings)
    finally:
        if engine == "spark":
            stop_cluster(settings)
    return {
        f"{engine}_full_s": round(full[0], 1),
        f"{engine}_full_dbt_s": round(full[1], 1),
        f"{engine}_full_cpu_s": round(full[2], 1),
        f"{engine}_daily_s": round(daily[0], 1),
        f"{engine}_daily_dbt_s": round(daily[1], 1),
        f"{engine}_daily_cpu_s": round(daily[2], 1),
    }


def main(scale: str) -> dict[str, float | int | str]:
    import json

    work, split = split_business(scale)
    figures: dict[str, float | int | str] = {}
    for engine in ("duckdb", "spark"):
        data = work / "spark" / engine
        shutil.rmtree(data, ignore_errors=True)
        figures |= _engine_pair(engine, split, data, work / "ingested")
    facts = json.loads((work / "ingested" / "facts.json").read_text())
    figures["order_lines"] = facts["order_lines"]
    figures["spark_vs_duckdb_full"] = round(
        float(figures["spark_full_s"]) / float(figures["duckdb_full_s"]), 1
    )
    figures["spark_vs_duckdb_daily"] = round(
        float(figures["spark_daily_s"]) / float(figures["duckdb_daily_s"]), 1
    )
    return figures
