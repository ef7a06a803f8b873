"""Spark on this machine: whether a Spark build can run, and a local standalone cluster.

`orderlens spark start` starts a standalone master and two workers on 127.0.0.1 with the
daemon script inside the pyspark wheel (`sbin/spark-daemon.sh`, what Spark's own
`start-master.sh` and `start-worker.sh` call); their logs, pid files and work folders live in
`<data dir>/spark/`, and `cluster.json` there records the master's URL for `status` and for
the user's `ORDERLENS_SPARK_MASTER`.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from pipelines.settings import Settings, child_environment

MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"
HOST = "127.0.0.1"
WORKERS = 2


class SparkUnavailable(RuntimeError):
    """Spark cannot run here: the message says what to install."""


def spark_home() -> Path:
    """pyspark's own folder: its jars, `bin/spark-class` and `sbin/spark-daemon.sh`."""
    spec = importlib.util.find_spec("pyspark")
    if spec is None or spec.origin is None:
        raise SparkUnavailable(
            "the spark extra is not installed: pip install 'orderlens[spark]' "
            "(or `make test`, which installs it)"
        )
    return Path(spec.origin).parent


def check_spark() -> None:
    """Raise SparkUnavailable unless pyspark, dbt-spark and a Java runtime are installed."""
    spark_home()
    if importlib.util.find_spec("dbt.adapters.spark") is None:
        raise SparkUnavailable("dbt-spark is not installed: pip install 'orderlens[spark]'")
    if not shutil.which("java"):
        raise SparkUnavailable(
            "Spark needs a Java runtime (17 or newer): apt-get install default-jre-headless"
        )


@dataclass(frozen=True)
class Cluster:
    master_url: str
    web_ui: str
    running: dict[str, bool]  # daemon -> alive

    @property
    def up(self) -> bool:
        return bool(self.running) and all(self.running.values())


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _environment(settings: Settings) -> dict[str, str]:
    folder = settings.spark_dir
    return {
        **child_environment(settings),
        "SPARK_HOME": str(spark_home()),
        "SPARK_LOG_DIR": str(folder / "logs"),
        "SPARK_PID_DIR": str(folder / "pids"),
        "SPARK_WORKER_DIR": str(folder / "work"),
        "SPARK_IDENT_STRING": "orderlens",
        "SPARK_LOCAL_IP": HOST,
        "SPARK_MASTER_HOST": HOST,
        # No REST submission server (a fixed port, 6066): builds connect as drivers.
        "SPARK_MASTER_OPTS": "-Dspark.master.rest.enabled=false",
        # Leave the machine to the driver and the operating system: one core each.
        "SPARK_WORKER_CORES": "1",
        "SPARK_WORKER_MEMORY": "1g",
    }


def _daemon(settings: Settings, action: str, cls: str, instance: int, *args: str) -> None:
    script = spark_home() / "sbin" / "spark-daemon.sh"
    subprocess.run(
        ["bash", str(script), action, cls, str(instance), *args],
        env=_environment(settings),
        check=True,
        capture_output=True,
        text=True,
    )


def _pid_file(settings: Settings, cls: str, instance: int) -> Path:
    # spark-daemon.sh's own naming: spark-<ident>-<class>-<instance>.pid
    return settings.spark_dir / "pids" / f"spark-orderlens-{cls}-{instance}.pid"


def _alive(pid_file: Path) -> bool:
    try:
        pid = int(pid_file.read_text(encoding="utf-8").strip())
    except (FileNotFoundError, ValueError):
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _daemons() -> list[tuple[str, str, int]]:
    return [("master", MASTER_CLASS, 1)] + [
        (f"worker {i}", WORKER_CLASS, i) for i in range(1, WORKERS + 1)
    ]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1)
        return probe.connect_ex((HOST, port)) == 0


def cluster_status(settings: Settings) -> Cluster | None:
    """The local cluster's master URL and which of its daemons run (None: never started)."""
    record = settings.spark_dir / "cluster.json"
    if not record.exists():
        return None
    info = json.loads(record.read_text(encoding="utf-8"))
    running = {
        name: _alive(_pid_file(settings, cls, instance)) for name, cls, instance in _daemons()
    }
    return Cluster(info["master_url"], info["web_ui"], running)


def start_cluster(
    settings: Settings, port: int | None = None, webui_port: int | None = None
) -> Cluster:
    """Start the master and the two workers (free ports unless given); wait until the master
    listens. Starting a running cluster changes nothing."""
    check_spark()
    current = cluster_status(settings)
    if current is not None and current.up:
        return current
    stop_cluster(settings)  # what is left of a half-started one
    port = port or _free_port()
    webui_port = webui_port or _free_port()
    settings.spark_dir.mkdir(parents=True, exist_ok=True)
    master_url = f"spark://{HOST}:{port}"
    _daemon(
        settings,
        "start",
        MASTER_CLASS,
        1,
        "--host",
        HOST,
        "--port",
        str(port),
        "--webui-port",
        str(webui_port),
    )
    deadline = time.monotonic() + 60
    while not _listening(port):
        if time.monotonic() > deadline:
            raise SparkUnavailable(
                f"the Spark master did not listen on {master_url} within 60 s: see "
                f"{settings.spark_dir / 'logs'}"
            )
        time.sleep(0.5)
    for instance in range(1, WORKERS + 1):
        _daemon(
            settings,
            "start",
            WORKER_CLASS,
            instance,
            "--host",
            HOST,
            "--webui-port",
            "0",
            master_url,
        )
    record = {"master_url": master_url, "web_ui": f"http://{HOST}:{webui_port}"}
    (settings.spark_dir / "cluster.json").write_text(json.dumps(record), encoding="utf-8")
    while alive_workers(record["web_ui"]) < WORKERS:
        if time.monotonic() > deadline + 60:
            raise SparkUnavailable(
                f"the Spark workers did not register with {master_url}: see "
                f"{settings.spark_dir / 'logs'}"
            )
        time.sleep(0.5)
    status = cluster_status(settings)
    assert status is not None
    return status


def alive_workers(web_ui: str) -> int:
    """Workers registered with the master, from its web UI's JSON (0 while it does not answer)."""
    try:
        with urllib.request.urlopen(f"{web_ui}/json/", timeout=2) as answer:
            return int(json.load(answer).get("aliveworkers", 0))
    except (OSError, ValueError):
        return 0


def stop_cluster(settings: Settings) -> bool:
    """Stop the workers and the master; True when any of them was running."""
    if not (settings.spark_dir / "pids").exists():
        return False
    was_running = False
    for _, cls, instance in reversed(_daemons()):
        if _alive(_pid_file(settings, cls, instance)):
            was_running = True
            _daemon(settings, "stop", cls, instance)
    return was_running
