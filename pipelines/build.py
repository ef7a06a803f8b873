"""`orderlens build`: the whole Dagster graph, in process (what `make run` uses)."""

from __future__ import annotations

import contextlib
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


def build_all(
    settings: Settings, verbose: bool = False, full_refresh: bool = False
) -> BuildOutcome:
    """Materialize every asset (ingest of landed files, dbt build with its tests, publish).

    full_refresh: rebuild the incremental models from scratch and test every row.
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
        with log.open("w", encoding="utf-8") as out, _maybe_redirect(out, not verbose):
            result = job.execute_in_process(
                instance=instance,
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
