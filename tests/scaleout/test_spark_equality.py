"""The same dbt project built on Spark equals the DuckDB build, mart by mart.

The fixture business (every figure known) and a small simulated one are built on both
engines; every mart must hold the same rows and values after casting to its contract's types
(floats to 1e-9 relative). The simulated one is built on Spark the way `orderlens build
--engine spark` builds it (Dagster, export to the lake, dbt build on Spark, collect, publish):
a daily update with its last days after a first build; then a full rebuild of the same data
(`dbt run --full-refresh` on Spark), which the daily update must equal.

The Spark tests share one test group (with the DuckDB build tests), so one worker runs them
one after another.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import duckdb
import pytest

from pipelines.build import build_all
from pipelines.ingest.api import ingest_paths
from pipelines.settings import Settings
from pipelines.transform.dbt import DBT_DIR, dbt_target, dbt_vars
from pipelines.transform.lake import collect_marts, export_raw
from pipelines.warehouse import serving_path
from tests.fixtures.business import load_business_raw
from tests.fixtures.engines import contracts, mart_differences
from tests.fixtures.incremental import BUILD_STATE_COLUMNS, settings_for
from tests.fixtures.warehouse import build_fixture_warehouse, run_dbt

# A Spark build pays a JVM's start and 0.5-2 s per dbt node: minutes each, more on a busy
# machine than the suite's default timeout allows. One test group with tests/test_build.py: a Spark
# build hands on its parse state (another target) in dbt_project/target, which a DuckDB build
# test running beside it would then fail to reuse.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("build"), pytest.mark.timeout(3600)]


def on_spark(settings: Settings) -> Settings:
    return dataclasses.replace(settings, engine="spark", spark_master="local[2]")


def spark_dbt_run(settings: Settings, work: Path, *args: str) -> None:
    """Export the raw tables to the lake, `dbt run` on Spark, collect the marts.

    `dbt run`, not `build`: the data tests run on Spark in the builds through Dagster below,
    and each costs a Spark job."""
    export_raw(settings, full="--full-refresh" in args)
    result = run_dbt(
        settings.warehouse_path, work, "run", *args, *dbt_vars(settings), *dbt_target(settings)
    )
    assert result.returncode == 0, result.stdout[-4000:]
    collect_marts(settings, work / "target" / "manifest.json")


@pytest.fixture(scope="module")
def fixture_business(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("fixture-business")
    duck = settings_for(root / "duckdb")
    build_fixture_warehouse(duck)
    spark = on_spark(settings_for(root / "spark"))
    spark.data_dir.mkdir(parents=True)
    load_business_raw(spark.warehouse_path)
    spark_dbt_run(spark, root / "work")
    return duck.warehouse_path, spark.warehouse_path, root / "work" / "target" / "manifest.json"


def test_every_mart_of_the_fixture_business_is_equal_on_spark_and_duckdb(fixture_business):
    duck, spark, manifest = fixture_business
    marts = contracts(manifest)
    assert len(marts) > 20
    assert mart_differences(duck, spark, marts) == {}


def test_the_spark_build_writes_its_marts_as_parquet_in_the_lake(fixture_business):
    _, spark, manifest = fixture_business
    lake = spark.parent / "lake"
    for mart in contracts(manifest):
        assert list((lake / "spark-warehouse" / "marts.db" / mart.name).rglob("*.parquet")), mart
    # Spark's metastore lives in the lake, not in the working directory.
    assert (lake / "metastore_db").is_dir()
    assert not (DBT_DIR / "metastore_db").exists()
    assert not (DBT_DIR / "spark-warehouse").exists()


def test_collected_marts_follow_their_contracts_not_null_and_types(fixture_business):
    _, spark, manifest = fixture_business
    daily_sales = next(m for m in contracts(manifest) if m.name == "daily_sales")
    with duckdb.connect(str(spark), read_only=True) as con:
        columns = con.execute(
            "SELECT column_name, data_type, is_nullable FROM information_schema.columns "
            "WHERE table_schema = 'marts' AND table_name = 'daily_sales' ORDER BY ordinal_position"
        ).fetchall()
    assert [c[0] for c in columns] == [c for c, _, _ in daily_sales.columns]
    kinds = {c: t for c, t, _ in daily_sales.columns}
    assert {c: t for c, t, _ in columns} == {
        c: duckdb.sql(f"SELECT typeof(CAST(NULL AS {kinds[c]}))").fetchall()[0][0] for c in kinds
    }
    not_null = {c for c, _, nn in daily_sales.columns if nn}
    assert not_null
    assert {c for c, _, nullable in columns if nullable == "NO"} == not_null


# --- a simulated business, built the way `orderlens build --engine spark` builds it ---------


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    from bench.build import split_last_days
    from pipelines.ingest.simulate import simulate

    root = tmp_path_factory.mktemp("simulated")
    simulate(orders=600, days=45, seed=11, out=root / "sim")
    base, last_days = split_last_days(root / "sim", root / "split", days=2)

    duck = settings_for(root / "duckdb")
    ingest_paths([base], settings=duck)
    ingest_paths([last_days], settings=duck)
    on_duckdb = build_all(duck)
    assert on_duckdb.success, on_duckdb.log.read_text(encoding="utf-8")[-4000:]

    spark = on_spark(settings_for(root / "spark"))
    ingest_paths([base], settings=spark)
    # The first build by dbt alone (its data tests cost a Spark job each: the daily update
    # below runs them, and tests/scaleout/test_spark_cluster.py builds from empty through
    # Dagster); the daily update then goes the way `orderlens build --engine spark` goes.
    spark_dbt_run(spark, root / "work-spark-first")
    ingest_paths([last_days], settings=spark)
    daily = build_all(spark)
    assert daily.success, daily.log.read_text(encoding="utf-8")[-4000:]
    daily_copy = root / "spark-daily.duckdb"
    shutil.copyfile(spark.warehouse_path, daily_copy)
    served = serving_path(spark)
    spark_dbt_run(spark, root / "work-spark-full", "--full-refresh")
    # The same Dagster assets, another dbt target.
    assert daily.materialized == on_duckdb.materialized
    assert daily.failed_checks == []
    return {
        "duckdb": duck.warehouse_path,
        "spark_daily": daily_copy,
        "spark_full": spark.warehouse_path,
        "served": served,
        "manifest": root / "work-spark-full" / "target" / "manifest.json",
    }


def test_every_mart_of_a_simulated_business_is_equal_on_spark_and_duckdb(simulated):
    marts = contracts(simulated["manifest"])
    # Every value but the build state: the rows the daily update did not rewrite record the
    # first build's batch, DuckDB's one build the last.
    differences = mart_differences(
        simulated["duckdb"], simulated["spark_daily"], marts, skip=BUILD_STATE_COLUMNS
    )
    assert differences == {}
    # The full rebuild on Spark equals DuckDB's full build, build state included.
    assert mart_differences(simulated["duckdb"], simulated["spark_full"], marts) == {}


def test_a_daily_update_on_spark_equals_a_full_build_on_spark(simulated):
    marts = contracts(simulated["manifest"])
    assert (
        mart_differences(
            simulated["spark_daily"], simulated["spark_full"], marts, skip=BUILD_STATE_COLUMNS
        )
        == {}
    )


def test_a_spark_build_publishes_the_marts_and_the_ledger_for_the_dashboard(simulated):
    served = simulated["served"]
    assert served is not None
    with duckdb.connect(str(served), read_only=True) as con:
        schemas = {
            s
            for (s,) in con.sql(
                "SELECT DISTINCT table_schema FROM information_schema.tables"
            ).fetchall()
        }
        sales = con.sql("SELECT count(*), sum(gross_revenue) FROM marts.daily_sales").fetchall()
    assert schemas == {"marts", "ops"}
    assert sales[0][0] > 0
