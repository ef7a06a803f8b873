"""The policy simulation on the default simulated business (`make run`: 20,000 orders over
730 days, seed 7), simulated, ingested and built by dbt for real, then replayed over 26 weeks.

On the series whose demand is not classed intermittent or lumpy (smooth, erratic and the
histories too short to classify: 179 of 2,000 here), the plan's policy at a 95% target should
deliver a cycle service level within 3 points of 95%; the fill rate is reported beside it.
What actually happened is replayed too, wherever the stock history covers the weeks.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import polars as pl
import pytest

from pipelines.assets.forecasting import plan_from_warehouse, simulate_from_warehouse
from pipelines.ingest.api import ingest_paths
from pipelines.ingest.simulate import simulate
from pipelines.settings import Settings
from tests.fixtures.warehouse import dbt_build

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("policy_simulation")]

ORDERS, DAYS, SEED, WEEKS = 20_000, 730, 7, 26


@pytest.fixture(scope="module")
def simulated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[pl.DataFrame]:
    root = tmp_path_factory.mktemp("policy_simulation")
    settings = Settings(data_dir=root / "data")
    settings.data_dir.mkdir(parents=True)
    simulate(orders=ORDERS, days=DAYS, seed=SEED, out=root / "sim")
    ingest_paths([root / "sim"], settings=settings)
    built = dbt_build(settings, root / "dbt")
    assert built.returncode == 0, built.stdout[-4000:]
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        run = plan_from_warehouse(con, refit=True)
        assert run.as_of is not None
        yield simulate_from_warehouse(con, run.as_of, run.inputs, WEEKS)


def _pooled(metrics: pl.DataFrame, policy: str, scope: str, target: float | None) -> dict:
    rows = metrics.filter(
        (pl.col("policy") == policy)
        & (pl.col("scope") == scope)
        & (
            pl.col("service_target").is_null()
            if target is None
            else (pl.col("service_target") - target).abs() < 1e-9
        )
    )
    assert rows.height == 1
    return rows.row(0, named=True)


def test_the_95_target_delivers_95_cycle_service_on_the_non_intermittent_skus(simulated):
    row = _pooled(simulated, "plan_policy", "not_intermittent", 0.95)
    print(  # shown with -s: the figures beside the check
        f"\nnon-intermittent series {row['n_series']}: cycle service level "
        f"{row['cycle_service_level']:.3f} over {row['cycles']} cycles, fill rate "
        f"{row['fill_rate']:.3f}"
    )
    assert row["cycles"] > 0
    assert abs(row["cycle_service_level"] - 0.95) <= 0.03
    assert 0 < row["fill_rate"] <= 1


def test_higher_targets_hold_more_stock_and_serve_more(simulated):
    plans = [_pooled(simulated, "plan_policy", "all", t) for t in (0.90, 0.95, 0.98)]
    stock = [p["avg_stock_value"] for p in plans]
    service = [p["cycle_service_level"] for p in plans]
    assert stock == sorted(stock)
    assert service == sorted(service)


def test_every_policy_and_target_has_pooled_rows_and_what_happened_is_replayed(simulated):
    pooled = simulated.filter(pl.col("scope") == "all")
    assert set(pooled["policy"]) == {"plan_policy", "min_max", "actual"}
    assert pooled.filter(pl.col("policy") != "actual").height == 6
    actual = _pooled(simulated, "actual", "all", None)
    assert actual["n_series"] > 0 and actual["demand_units"] > 0
