"""The composition root's jobs: what a landed drop runs, and what follows it."""

from __future__ import annotations

import shutil
from dataclasses import replace

import dagster as dg
import duckdb
import pytest

from pipelines.definitions import AFTER_LANDING_JOB, LANDING_JOB, build_definitions
from pipelines.ingest.simulate import simulate
from pipelines.resources import SettingsResource
from pipelines.settings import Settings
from pipelines.warehouse import serving_path

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("build")]

FORECAST = dg.AssetKey(["marts", "replenishment_reorder"])
ALERTS = dg.AssetKey(["reports", "alerts"])
FIRST_SNAPSHOTS = dg.AssetKey(["reports", "first_snapshots"])


def test_the_daily_build_forecasts_and_evaluates_alerts_and_a_landing_build_does_neither(
    settings: Settings,
) -> None:
    defs = build_definitions(settings)
    everything = defs.resolve_job_def("build_everything").asset_layer.executable_asset_keys
    landing = defs.resolve_job_def(LANDING_JOB).asset_layer.executable_asset_keys
    after = defs.resolve_job_def(AFTER_LANDING_JOB).asset_layer.executable_asset_keys

    forecasts = {key for key in everything if key.path[-1].startswith("replenishment_")}
    assert FORECAST in forecasts and ALERTS in everything
    # Everything the daily build makes but the plan, the alerts and the first snapshots.
    assert landing == everything - forecasts - {ALERTS, FIRST_SNAPSHOTS}
    assert {dg.AssetKey(["raw", "orders"]), dg.AssetKey(["serving", "published"])} <= landing
    assert {dg.AssetKey(["marts", "daily_sales"]), dg.AssetKey(["marts", "customer_rfm"])} <= (
        landing
    )
    assert after == {ALERTS, FIRST_SNAPSHOTS}
    sensor = defs.resolve_sensor_def("landing_sensor")
    assert sensor.job_name == LANDING_JOB


def test_a_landed_drop_is_ingested_built_and_published_and_alerts_follow_in_their_own_run(
    settings: Settings,
) -> None:
    sim = simulate(orders=600, days=60, seed=7, out=settings.data_dir / "sim")
    settings.landing_dir.mkdir(parents=True)
    for path in sim.files:
        shutil.copy(path, settings.landing_dir / path.name)
    own = replace(settings, landing_settle_s=0)
    defs = build_definitions(own)
    resources = {"settings": SettingsResource.from_settings(own)}

    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(instance=instance, resources=resources)
        (request,) = list(defs.resolve_sensor_def("landing_sensor")(context))
        result = defs.resolve_job_def(LANDING_JOB).execute_in_process(
            run_config=request.run_config, instance=instance
        )
        assert result.success
        materialized = {event.asset_key for event in result.get_asset_materialization_events()}
        assert {dg.AssetKey(["marts", "daily_sales"]), dg.AssetKey(["serving", "published"])} <= (
            materialized
        )
        assert FORECAST not in materialized and ALERTS not in materialized
        # dbt's tests ran as the run's asset checks.
        checks = result.get_asset_check_evaluations()
        assert len(checks) > 100 and all(check.passed for check in checks)

        # Its success asks for the alerts' run, once.
        follow = defs.resolve_sensor_def("after_landing_sensor")
        assert follow.job_name == AFTER_LANDING_JOB
        status = dg.build_run_status_sensor_context(
            sensor_name="after_landing_sensor",
            dagster_instance=instance,
            dagster_run=result.dagster_run,
            dagster_event=result.get_run_success_event(),
        )
        (after,) = [follow(status)]
        assert isinstance(after, dg.RunRequest) and after.run_key == result.run_id

    with duckdb.connect(str(serving_path(own)), read_only=True) as con:
        units = con.sql("SELECT sum(units) FROM marts.daily_sales").fetchall()[0][0]
    with duckdb.connect(str(own.warehouse_path), read_only=True) as con:
        lines = con.sql("SELECT sum(quantity) FROM raw.order_lines").fetchall()[0][0]
    assert units > 0 and lines >= units
