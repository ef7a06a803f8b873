"""The whole Dagster graph, materialized in process on a small simulated business."""

from __future__ import annotations

import shutil

import dagster as dg
import duckdb
import pytest

from pipelines.assets.ingest import landing_sensor
from pipelines.build import build_all
from pipelines.ingest.simulate import simulate
from pipelines.settings import Settings
from pipelines.warehouse import serving_path

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("build")]


def test_files_landed_are_ingested_built_forecast_and_published(settings: Settings) -> None:
    sim = simulate(orders=1_500, days=120, seed=3, out=settings.data_dir / "sim")
    settings.landing_dir.mkdir(parents=True)
    for path in sim.files:
        shutil.copy(path, settings.landing_dir / path.name)

    # The sensor asks for one ingest run per landed file.
    with dg.instance_for_test() as instance:
        requests = list(landing_sensor(dg.build_sensor_context(instance=instance)))
    assert len(requests) == len(sim.files)

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

    with duckdb.connect(str(serving_path(settings)), read_only=True) as con:
        lines = con.sql("SELECT count(*) FROM raw.order_lines").fetchall()[0][0]
        revenue = con.sql("SELECT sum(units) FROM marts.daily_sales").fetchall()[0][0]
        plan = con.sql("SELECT count(*) FROM marts.replenishment_reorder").fetchall()[0][0]
    assert lines == sim.rows["order_lines"]
    assert revenue > 0 and plan > 0

    # Running it again is harmless: nothing new lands, the same figures are published.
    again = build_all(settings)
    assert again.success
    with duckdb.connect(str(serving_path(settings)), read_only=True) as con:
        assert con.sql("SELECT sum(units) FROM marts.daily_sales").fetchall()[0][0] == revenue
