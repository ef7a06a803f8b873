"""`orderlens build`: the whole Dagster graph, in process (what `make run` uses)."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import dagster as dg

from pipelines.settings import Settings


@dataclass(frozen=True)
class BuildOutcome:
    success: bool
    materialized: list[str]
    failed_checks: list[str]
    step_seconds: dict[str, float]
    log: Path
    run_id: str


@dataclass(frozen=True)
class StepProgress:
    """Where a running build is: steps finished of all, what it works on, time so far."""

    done: int
    total: int
    current: str  # the running step, or the asset it last materialized
    elapsed_s: float


class _StepLog:
    """Follows the run's events: one line per step start and end into the build log, and
    the progress handed to `report` (the CLI draws it on a terminal)."""

    def __init__(
        self, total: int, log: IO[str], report: Callable[[StepProgress], None] | None
    ) -> None:
        self.total, self.log, self.report = total, log, report
        self.done, self.current = 0, "starting"
        self.started = time.monotonic()
        self.step_started: dict[str, float] = {}

    def _line(self, text: str) -> None:
        stamp = time.strftime("%H:%M:%S")
        self.log.write(f"[orderlens build {stamp}] {text}\n")
        self.log.flush()

    def __call__(self, entry: object) -> None:
        event = getattr(entry, "dagster_event", None)
        if event is None:
            return
        kind, step = event.event_type_value, event.step_key
        now = time.monotonic()
        if kind == "STEP_START" and step:
            self.step_started[step] = now
            self.current = step
            self._line(f"step {self.done + 1}/{self.total} {step}: started")
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and step:
            self.done += 1
            took = now - self.step_started.get(step, now)
            outcome = "done" if kind == "STEP_SUCCESS" else "FAILED"
            self._line(f"step {self.done}/{self.total} {step}: {outcome} in {took:.1f} s")
        elif kind == "ASSET_MATERIALIZATION" and event.asset_key is not None:
            self.current = f"{step}: {event.asset_key.to_user_string()}"
        else:
            return
        if self.report is not None:
            self.report(StepProgress(self.done, self.total, self.current, now - self.started))


def build_all(
    settings: Settings,
    verbose: bool = False,
    full_refresh: bool = False,
    progress: Callable[[StepProgress], None] | None = None,
) -> BuildOutcome:
    """Materialize every asset (ingest of landed files, dbt build with its tests, publish).

    full_refresh: rebuild the incremental models from scratch and test every row.
    progress: called at every step's start and end and every asset materialized.
    """
    from pipelines.definitions import build_definitions

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # Every asset of the run gets these settings (the `settings` resource), whatever the
    # environment says.
    job = build_definitions(settings).resolve_job_def("build_everything")
    with dg.DagsterInstance.ephemeral() as instance:
        level = "DEBUG" if verbose else "WARNING"
        # dbt's own progress goes to stdout; unless asked for, it goes to the build log.
        log = settings.data_dir / "logs" / "build.log"
        log.parent.mkdir(exist_ok=True)
        run_id = str(uuid.uuid4())
        with log.open("w", encoding="utf-8") as out, _maybe_redirect(out, not verbose):
            instance.add_event_listener(run_id, _StepLog(len(job.graph.nodes), out, progress))
            result = job.execute_in_process(
                instance=instance,
                run_id=run_id,
                raise_on_error=False,
                run_config={
                    "loggers": {"console": {"config": {"log_level": level}}},
                    "ops": {
                        "orderlens_dbt": {
                            "config": {"full_refresh": full_refresh, "debug_log": verbose}
                        }
                    },
                },
            )
        step_seconds = _step_seconds(instance, result.run_id)
    materialized = sorted(
        event.asset_key.to_user_string()
        for event in result.get_asset_materialization_events()
        if event.asset_key is not None
    )
    failed = sorted(
        f"{e.asset_check_evaluation_data.asset_key.to_user_string()}:"
        f"{e.asset_check_evaluation_data.check_name}"
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
        and not e.asset_check_evaluation_data.passed
    )
    return BuildOutcome(
        success=result.success,
        materialized=materialized,
        failed_checks=failed,
        step_seconds=step_seconds,
        log=log,
        run_id=result.run_id,
    )


def _maybe_redirect(target: IO[str], redirect: bool) -> AbstractContextManager[object]:
    return contextlib.redirect_stdout(target) if redirect else contextlib.nullcontext()


def _step_seconds(instance: dg.DagsterInstance, run_id: str) -> dict[str, float]:
    """Wall-clock seconds of each step of the run, from the event log."""
    started: dict[str, float] = {}
    seconds: dict[str, float] = {}
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None or event.step_key is None:
            continue
        if event.event_type_value == "STEP_START":
            started[event.step_key] = entry.timestamp
        elif event.event_type_value in ("STEP_SUCCESS", "STEP_FAILURE"):
            seconds[event.step_key] = entry.timestamp - started.get(event.step_key, entry.timestamp)
    return seconds
