from datetime import date, timedelta

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.forecasting import backtest as bt
from pipelines.forecasting import global_model as gm
from pipelines.forecasting.models import candidates

D0 = date(2025, 1, 1)
DAYS = 200


def _y(n: int = 6, seed: int = 3) -> pl.DataFrame:
    rng = np.random.default_rng(seed)
    days = [D0 + timedelta(days=i) for i in range(DAYS)]
    weekly = np.array([1.0, 1.0, 1.0, 1.2, 1.5, 1.8, 0.5])
    frames = [
        pl.DataFrame(
            {
                "unique_id": f"s{i}",
                "ds": days,
                "y": rng.poisson(4 * (i + 1) * weekly[np.arange(DAYS) % 7]).astype(float),
                "model_group": "continuous" if i % 2 else "intermittent",
            }
        )
        for i in range(n)
    ]
    return pl.concat(frames)


def test_global_model_backtests_every_series_and_gives_the_same_forecasts_twice():
    y = _y().select("unique_id", "ds", "y")
    first = gm.global_cross_validate(y, h=14, n_windows=2, step=7)
    again = gm.global_cross_validate(y, h=14, n_windows=2, step=7)
    assert_frame_equal(first, again)
    assert first.get_column("unique_id").n_unique() == 6
    assert first.get_column("model").unique().to_list() == [gm.GLOBAL]
    assert first.get_column("cutoff").n_unique() == 2
    assert first.get_column("forecast").min() >= 0


def test_global_model_is_one_more_candidate_scored_on_both_windows_with_bands():
    y = _y()
    observed = y.select("unique_id", "ds", pl.col("y").alias("actual"))
    names = {g: candidates(g) for g in ("continuous", "intermittent")}
    points = bt.backtest(
        y, observed, names, h=14, n_windows=2, step=7, global_run=gm.global_cross_validate
    )
    points = gm.with_conformal_bounds(points, gm.conformal_widths(bt.window(points, bt.SELECTION)))
    lgbm = points.filter(pl.col("model") == gm.GLOBAL)
    assert set(lgbm.get_column("window")) == set(bt.WINDOWS)
    assert lgbm.get_column("unique_id").n_unique() == 6
    assert lgbm.select(pl.col("lo80") <= pl.col("forecast")).to_series().all()
    assert lgbm.select(pl.col("hi95") >= pl.col("hi80")).to_series().all()
    choice = bt.choose_on_selection(points)
    assert choice.height == 6
    # The weekly pattern scaled per series is what a global model learns well.
    assert gm.GLOBAL in set(choice.get_column("model_best"))


def test_promotion_feature_is_the_business_discount_share_of_each_day():
    sales = pl.DataFrame(
        {
            "date": [D0, D0, D0 + timedelta(days=1)],
            "discount_amount": [10.0, 0.0, 0.0],
            "gross_revenue": [50.0, 50.0, 0.0],
        }
    )
    promo = gm.promotions(sales)
    assert promo.get_column(gm.PROMO).to_list() == pytest.approx([0.1, 0.0])
    assert gm.promotions(sales.select("date")).is_empty()
