"""The one Dagster composition root: ingest -> transform (dbt) -> forecasting -> publish -> reports.

Jobs: `build_everything` (the daily build, `orderlens build`), `landing_build` (a landed drop:
ingest, the incremental dbt build, publish), `after_landing` (alerts and first snapshots once a
landing build has succeeded) and `ingest_landing` (ingest alone).

Loaded lazily (`@dg.definitions`), so importing this module parses nothing and connects to
nothing; the dbt manifest is prepared when the definitions are first built. `defs()` is an
edge: it reads the settings from the environment; `build_definitions` takes them as given
and hands them to every asset as the `settings` resource.
"""

from __future__ import annotations

import dagster as dg
from dagster_dbt import DbtCliResource

from pipelines.assets.forecasting import build_forecasting_asset
from pipelines.assets.ingest import (
    build_after_landing_sensor,
    build_landing_sensor,
    ingest_job,
    raw_tables,
)
from pipelines.assets.publish import SERVING_KEY, build_publish_asset
from pipelines.assets.reports import ALERTS_KEY, FIRST_SNAPSHOTS_KEY, build_report_definitions
from pipelines.resources import SettingsResource
from pipelines.settings import Settings, get_settings
from pipelines.transform.dbt import (
    build_dbt_assets,
    dbt_executable,
    dbt_project,
    ensure_manifest,
)

WRITES_TAG = "orderlens/writes"
LANDING_JOB = "landing_build"
AFTER_LANDING_JOB = "after_landing"


def build_definitions(settings: Settings) -> dg.Definitions:
    project = dbt_project()
    ensure_manifest(project, settings)
    dbt = build_dbt_assets(project)
    marts = {key.path[-1]: key for key in dbt.keys if key.path[0] == "marts"}
    forecasting = build_forecasting_asset(marts)
    published = build_publish_asset([*dbt.keys, *forecasting.keys])
    report_assets, report_schedules = build_report_definitions([SERVING_KEY], settings)
    # The daily build refreshes everything, evaluates the alerts and gives a new archive its
    # first snapshots; each report snapshot runs on its own schedule (its spec's cron). Builds
    # write the warehouse: the instance runs one at a time (the `orderlens/writes` tag's limit
    # in pipelines/dagster.yaml).
    everything = dg.define_asset_job(
        "build_everything",
        selection=dg.AssetSelection.all() - dg.AssetSelection.groups("reports")
        | dg.AssetSelection.assets(ALERTS_KEY, FIRST_SNAPSHOTS_KEY),
        tags={WRITES_TAG: "warehouse"},
        # One process for the whole run: the steps run one after another anyway (the
        # `warehouse` pool), and a process per step costs seconds of imports each, which a
        # landed file would wait for.
        executor_def=dg.in_process_executor,
    )
    # A landed drop: ingest, the incremental dbt build (with its tests) and publish, nothing
    # else before its rows are shown. The plan is refreshed by the daily build (its refit
    # weekly); alerts and first snapshots follow in a run of their own.
    landing = dg.define_asset_job(
        LANDING_JOB,
        selection=dg.AssetSelection.groups("ingest") | dg.AssetSelection.assets(dbt, SERVING_KEY),
        tags={WRITES_TAG: "warehouse"},
        executor_def=dg.in_process_executor,
    )
    after_landing = dg.define_asset_job(
        AFTER_LANDING_JOB,
        selection=dg.AssetSelection.assets(ALERTS_KEY, FIRST_SNAPSHOTS_KEY),
        executor_def=dg.in_process_executor,
    )
    return dg.Definitions(
        assets=[raw_tables, dbt, forecasting, published, *report_assets],
        jobs=[ingest_job, everything, landing, after_landing],
        schedules=[
            dg.ScheduleDefinition(
                name="daily_build",
                job=everything,
                cron_schedule="0 5 * * *",
                default_status=dg.DefaultScheduleStatus.RUNNING,
            ),
            *report_schedules,
        ],
        sensors=[
            build_landing_sensor(landing, settings.landing_interval_s),
            build_after_landing_sensor(landing, after_landing, settings.landing_interval_s),
        ],
        resources={
            "dbt": DbtCliResource(project_dir=project, dbt_executable=dbt_executable()),
            "settings": SettingsResource.from_settings(settings),
        },
    )


@dg.definitions
def defs() -> dg.Definitions:
    return build_definitions(get_settings())
