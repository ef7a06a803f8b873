"""Crash safety: an ingest killed with SIGKILL at any moment leaves the warehouse either as it
was before the batch or as it is after it, and a re-run ends identical to an uninterrupted run."""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.api import ingest_paths
from pipelines.ingest.contract import TABLES
from pipelines.ingest.simulate import simulate
from pipelines.settings import Settings, get_settings

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("crash")]

VOLATILE = {"started_at", "finished_at", "resolved_at"}


def fingerprint(warehouse: Path) -> dict[str, tuple[int, int]]:
    """Row count and an order-independent content hash of every raw and ops table."""
    out = {}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = [f"raw.{t}" for t in TABLES] + [
            "ops.ingest_batches",
            "ops.ingest_batch_tables",
            "ops.quarantine",
        ]
        for name in names:
            frame = con.sql(f"SELECT * FROM {name}").pl()  # noqa: S608 (fixed names)
            frame = frame.drop([c for c in frame.columns if c in VOLATILE])
            out[name] = (frame.height, int(frame.hash_rows(seed=1).sum()) if frame.height else 0)
    return out


def _ingest_command(paths: list[Path], data_dir: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ORDERLENS_DATA_DIR": str(data_dir)}
    return subprocess.Popen(
        [sys.executable, "-m", "pipelines", "ingest", *map(str, paths)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _settings_for(data_dir: Path) -> Settings:
    os.environ["ORDERLENS_DATA_DIR"] = str(data_dir)
    return get_settings()


@pytest.fixture(scope="module")
def business(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path], Path]:
    """A warehouse holding the parents, and the big child files (the batches to kill)."""
    root = tmp_path_factory.mktemp("crash")
    sim = simulate(orders=40_000, days=200, seed=5, out=root / "sim")
    children = {"order_lines", "order_events", "stock_movements"}
    parents = [f for f in sim.files if f.name.split("__")[0].split(".")[0] not in children]
    kids = [f for f in sim.files if f.name.split("__")[0].split(".")[0] in children]
    base = root / "base"
    old = os.environ.get("ORDERLENS_DATA_DIR")
    try:
        ingest_paths(parents, settings=_settings_for(base))
    finally:
        if old is None:
            os.environ.pop("ORDERLENS_DATA_DIR", None)
        else:
            os.environ["ORDERLENS_DATA_DIR"] = old
    return base, kids, root


def test_a_killed_ingest_leaves_before_or_after_and_a_rerun_matches(
    business: tuple[Path, list[Path], Path],
) -> None:
    base, kids, root = business
    batch = [max(kids, key=lambda f: f.stat().st_size)]  # one big file: one transaction

    reference = root / "reference"
    shutil.copytree(base, reference)
    started = time.monotonic()
    assert _ingest_command(batch, reference).wait(timeout=300) == 0
    duration = time.monotonic() - started
    before = fingerprint(base / "warehouse.duckdb")
    after = fingerprint(reference / "warehouse.duckdb")
    assert before != after

    rng = random.Random(42)
    outcomes = []
    for attempt in range(8):
        work = root / f"kill-{attempt}"
        shutil.copytree(base, work)
        process = _ingest_command(batch, work)
        time.sleep(rng.uniform(0.05, duration * 0.95))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
        state = fingerprint(work / "warehouse.duckdb")
        assert state in (before, after), f"kill {attempt}: a half-written state"
        outcomes.append("after" if state == after else "before")
        # Re-running the same command converges on the uninterrupted result.
        assert _ingest_command(batch, work).wait(timeout=300) == 0
        rerun = fingerprint(work / "warehouse.duckdb")
        if outcomes[-1] == "before":
            assert rerun == after
        else:  # the batch had committed: the re-run is a recorded no-op
            assert {k: v for k, v in rerun.items() if not k.startswith("ops.ingest_batch")} == {
                k: v for k, v in after.items() if not k.startswith("ops.ingest_batch")
            }
        shutil.rmtree(work)
    assert "before" in outcomes  # the kills did land inside the batch
