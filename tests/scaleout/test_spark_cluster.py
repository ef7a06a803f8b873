"""`orderlens spark start|stop|status` runs a two-worker standalone cluster on 127.0.0.1, and
`orderlens build --engine spark` builds a tiny business on it (real processes throughout)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.settings import Settings
from pipelines.transform.spark import cluster_status, stop_cluster
from pipelines.warehouse import serving_path

# A Spark build pays a JVM's start and 0.5-2 s per dbt node: minutes each, more on a busy
# machine than the suite's default timeout allows. One test group with tests/test_build.py: a Spark
# build hands on its parse state (another target) in dbt_project/target, which a DuckDB build
# test running beside it would then fail to reuse.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("build"), pytest.mark.timeout(3600)]

REPO = Path(__file__).resolve().parents[2]


def orderlens(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ORDERLENS_")},
        "ORDERLENS_DATA_DIR": str(data_dir),
        "PYTHONPATH": str(REPO),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-m", "pipelines", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
    )


def test_a_tiny_business_builds_on_the_local_two_worker_cluster(tmp_path: Path) -> None:
    data = tmp_path / "data"
    settings = Settings(data_dir=data)
    started = orderlens(data, "spark", "start")
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        cluster = cluster_status(settings)
        assert cluster is not None and cluster.up
        assert set(cluster.running) == {"master", "worker 1", "worker 2"}
        assert cluster.master_url.startswith("spark://127.0.0.1:")
        status = orderlens(data, "spark", "status")
        assert status.returncode == 0 and cluster.master_url in status.stdout
        # The logs and pids are in the data directory.
        assert list((data / "spark" / "logs").glob("*Worker-2*"))

        simulated = orderlens(data, "simulate", "--orders", "80", "--days", "20")
        assert simulated.returncode == 0, simulated.stderr
        ingested = orderlens(data, "ingest", str(data / "simulated"))
        assert ingested.returncode == 0, ingested.stderr
        built = orderlens(
            data, "build", "--engine", "spark", ORDERLENS_SPARK_MASTER=cluster.master_url
        )
        assert built.returncode == 0, built.stdout + built.stderr
        # The driver registered with the cluster: the master's log names the application.
        master_log = next((data / "spark" / "logs").glob("*Master-1*")).read_text()
        assert "Registering app orderlens-dbt" in master_log
        served = serving_path(settings)
        assert served is not None
        with duckdb.connect(str(served), read_only=True) as con:
            [(days,)] = con.sql("SELECT count(*) FROM marts.daily_sales").fetchall()
        assert days > 0
    finally:
        stopped = orderlens(data, "spark", "stop")
        stop_cluster(settings)  # whatever the command left, so no daemon outlives the test
    assert stopped.returncode == 0 and "stopped" in stopped.stdout
    after = cluster_status(settings)
    assert after is not None and not any(after.running.values())
    assert orderlens(data, "spark", "status").returncode == 1


def test_an_unknown_engine_is_a_clear_error(tmp_path: Path) -> None:
    by_option = orderlens(tmp_path / "data", "build", "--engine", "bigquery")
    assert by_option.returncode == 2
    assert "'bigquery' is not one of 'duckdb', 'spark'" in by_option.stderr
    by_setting = orderlens(tmp_path / "data", "build", ORDERLENS_ENGINE="bigquery")
    assert by_setting.returncode == 1
    assert "ORDERLENS_ENGINE is 'bigquery': OrderLens builds on duckdb or spark" in (
        by_setting.stderr
    )
