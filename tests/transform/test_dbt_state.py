"""What one dbt build leaves for the next: its parse state, and only the latest run folders."""

from __future__ import annotations

import os
from pathlib import Path

from pipelines.transform.dbt import KEPT_RUN_DIRS, keep_parse_state


def test_a_build_hands_on_its_parse_state_and_the_oldest_run_folders_go(tmp_path: Path) -> None:
    target = tmp_path / "target"
    (target / "partial_parse.msgpack").parent.mkdir()
    (target / "partial_parse.msgpack").write_bytes(b"made with another warehouse")
    runs = []
    for age in range(KEPT_RUN_DIRS + 3, 0, -1):  # oldest first
        run = target / f"orderlens_dbt-run{age:02d}"
        run.mkdir()
        os.utime(run, (1_000_000 - age, 1_000_000 - age))
        runs.append(run)
    latest = runs[-1]
    (latest / "partial_parse.msgpack").write_bytes(b"made by the latest build")

    keep_parse_state(latest, target=target)

    assert (target / "partial_parse.msgpack").read_bytes() == b"made by the latest build"
    assert sorted(target.glob("orderlens_dbt-*")) == sorted(runs[3:])
    assert not list(target.glob(".partial_parse-*"))


def test_a_build_that_failed_before_parsing_leaves_the_state_alone(tmp_path: Path) -> None:
    target = tmp_path / "target"
    run = target / "orderlens_dbt-failed"
    run.mkdir(parents=True)
    (target / "partial_parse.msgpack").write_bytes(b"earlier state")

    keep_parse_state(run, target=target)

    assert (target / "partial_parse.msgpack").read_bytes() == b"earlier state"
    assert run.exists()
