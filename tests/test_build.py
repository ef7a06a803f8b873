"""The whole Dagster graph, materialized in process on a small simulated business."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from click.testing import CliRunner

from pipelines.assets.forecasting import run_forecasting
from pipelines.assets.ingest import build_landing_sensor
from pipelines.build import build_all
from pipelines.cli import main
from pipelines.ingest.simulate import simulate
from pipelines.reports.archive import list_snapshots
from pipelines.resources import SettingsResource
from pipelines.settings import Settings
from pipelines.transform.dbt import dbt_run_dir
from pipelines.warehouse import serving_path

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("build")]


def dbt_log_events(run_id: str) -> list[dict[str, str]]:
    """The events of a build's dbt.log (each one's level, name, message)."""
    lines = (dbt_run_dir(run_id) / "dbt.log").read_text(encoding="utf-8").splitlines()
    return [json.loads(line)["info"] for line in lines if line.startswith("{")]


def test_every_dbt_test_is_an_asset_check() -> None:
    """dagster-dbt logs a test it cannot attach to one asset as an observation (with a
    warning on every build) instead of a check result; every data test must attach."""
    from pipelines.transform.dbt import build_dbt_assets, dbt_project, ensure_manifest

    project = dbt_project()
    manifest = json.loads(ensure_manifest(project, Settings()).read_text(encoding="utf-8"))
    tests = {
        unique_id
        for unique_id, node in manifest["nodes"].items()
        if node["resource_type"] == "test"
    }
    checks = {
        spec.metadata["dagster_dbt/unique_id"] for spec in build_dbt_assets(project).check_specs
    }
    assert len(tests) > 100
    assert checks == tests


def test_build_all_builds_the_data_dir_it_is_given_whatever_the_environment_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setenv("ORDERLENS_DATA_DIR", str(elsewhere))
    given = Settings(data_dir=tmp_path / "given", lock_timeout_s=30)
    sim = simulate(orders=300, days=60, seed=5, out=tmp_path / "sim")
    given.landing_dir.mkdir(parents=True)
    for path in sim.files:
        shutil.copy(path, given.landing_dir / path.name)

    outcome = build_all(given)

    assert outcome.success, outcome
    assert outcome.log == given.data_dir / "logs" / "build.log"
    published = serving_path(given)
    assert published is not None
    with duckdb.connect(str(given.warehouse_path), read_only=True) as con:
        lines = con.sql("SELECT count(*) FROM raw.order_lines").fetchall()[0][0]
    with duckdb.connect(str(published), read_only=True) as con:
        sold = con.sql("SELECT count(*) FROM marts.daily_sales").fetchall()[0][0]
    assert lines == sim.rows["order_lines"] and sold > 0
    assert not elsewhere.exists()


def test_files_landed_are_ingested_built_forecast_and_published(settings: Settings) -> None:
    sim = simulate(orders=1_500, days=120, seed=3, out=settings.data_dir / "sim")
    settings.landing_dir.mkdir(parents=True)
    for path in sim.files:
        shutil.copy(path, settings.landing_dir / path.name)

    # The sensor asks for one build of the files landed together.
    sensor = build_landing_sensor(dg.define_asset_job("build_everything"), interval_s=30)
    with dg.instance_for_test() as instance:
        resources = {
            "settings": SettingsResource.from_settings(replace(settings, landing_settle_s=0))
        }
        context = dg.build_sensor_context(instance=instance, resources=resources)
        requests = list(sensor(context))
    assert len(requests) == 1
    config = requests[0].run_config["ops"]["raw_tables"]["config"]
    assert sorted(Path(p).name for p in config["paths"]) == sorted(p.name for p in sim.files)

    outcome = build_all(settings)
    assert outcome.success, outcome
    assert outcome.failed_checks == []
    materialized = set(outcome.materialized)
    assert {"raw/orders", "marts/daily_sales", "marts/order_stage_durations"} <= materialized
    assert {"marts/replenishment_reorder", "serving/published", "reports/alerts"} <= materialized
    # Landed files were moved out once loaded.
    assert sorted(p.name for p in (settings.landing_dir / "processed").iterdir()) == sorted(
        p.name for p in sim.files
    )

    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        lines = con.sql("SELECT count(*) FROM raw.order_lines").fetchall()[0][0]
    with duckdb.connect(str(serving_path(settings)), read_only=True) as con:
        revenue = con.sql("SELECT sum(units) FROM marts.daily_sales").fetchall()[0][0]
        plan = con.sql("SELECT count(*) FROM marts.replenishment_reorder").fetchall()[0][0]
        published = con.sql("SELECT DISTINCT schema_name FROM duckdb_tables() ORDER BY 1")
        assert published.fetchall() == [("marts",), ("ops",)]  # readers' schemas only
    assert lines == sim.rows["order_lines"]
    assert revenue > 0 and plan > 0

    # The build's log has one line per step: where it is, how long each step took.
    log = outcome.log.read_text(encoding="utf-8")
    steps = [line for line in log.splitlines() if line.startswith("[orderlens build ")]
    assert any("step 1/" in line and "raw_tables: started" in line for line in steps)
    assert any("serving__published: done in" in line for line in steps)
    # Its first build gave every built-in report a snapshot (archived, not sent).
    assert {s.report for s in list_snapshots(settings.reports_dir)} >= {
        "weekly_sales",
        "monthly_sales",
        "weekly_inventory",
        "weekly_efficiency",
        "monthly_customers",
    }

    # dbt's own log keeps node results, not every SQL statement, unless asked for (verbose).
    levels = {event["level"] for event in dbt_log_events(outcome.run_id)}
    assert "info" in levels and "debug" not in levels

    # Running it again is harmless: nothing new lands, the same figures are published.
    again = build_all(settings, verbose=True)
    assert again.success
    events = dbt_log_events(again.run_id)
    assert "debug" in {event["level"] for event in events}
    # It starts from the first build's parse state (same warehouse): no whole parse again.
    assert "UnableToPartialParse" not in {event["name"] for event in events}
    with duckdb.connect(str(serving_path(settings)), read_only=True) as con:
        assert con.sql("SELECT sum(units) FROM marts.daily_sales").fetchall()[0][0] == revenue

    # The models are refitted weekly; every build in between re-plans on the stored fit.
    def fitted_as_of() -> object:
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
            return con.sql("select max(fitted_as_of) from marts.replenishment_backtest").fetchall()[
                0
            ][0]

    def fit_made_days_ago(days: int) -> None:
        with duckdb.connect(str(settings.warehouse_path)) as con:
            con.execute(
                "update marts.replenishment_backtest set fitted_as_of = fitted_as_of - $days",
                {"days": days},
            )

    as_of = fitted_as_of()
    fit_made_days_ago(6)
    run = run_forecasting(settings)
    assert run.as_of == as_of and run.fitted_as_of == as_of - timedelta(days=6)
    assert fitted_as_of() == as_of - timedelta(days=6)
    fit_made_days_ago(1)  # now 7 days old: a review period has passed
    assert run_forecasting(settings).fitted_as_of == as_of
    fit_made_days_ago(2)
    result = CliRunner().invoke(main, ["forecast", "--refit"])
    assert result.exit_code == 0, result.output
    # The table's title wraps at the table's width, wherever its words fall.
    assert f"models fitted as of {as_of}" in " ".join(result.output.split())
    assert fitted_as_of() == as_of

    # A full refresh rebuilds the incremental marts from scratch to the same figures, tests
    # every row and starts the build state again: every row of every incremental mart
    # absorbed the newest batch.
    refreshed = build_all(settings, full_refresh=True)
    assert refreshed.success and refreshed.failed_checks == []
    with duckdb.connect(str(serving_path(settings)), read_only=True) as con:
        assert con.sql("SELECT sum(units) FROM marts.daily_sales").fetchall()[0][0] == revenue
        newest = con.sql("SELECT max(batch_id) FROM ops.ingest_batches").fetchall()[0][0]
        incremental = [
            table
            for (table,) in con.sql(
                "SELECT table_name FROM duckdb_columns() WHERE schema_name = 'marts' "
                "AND column_name = 'absorbed_batch_id' ORDER BY table_name"
            ).fetchall()
        ]
        absorbed = {
            table: con.table(f"marts.{table}").unique("absorbed_batch_id").fetchall()
            for table in incremental
        }
    assert "daily_sales" in absorbed
    assert absorbed == {table: [(newest,)] for table in incremental}
