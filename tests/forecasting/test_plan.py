from datetime import date, datetime, time, timedelta
from typing import Any

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipelines.assets.forecasting import replan_history_days
from pipelines.forecasting import Fit, PlanParams, plan, planner
from tests.forecasting.synthetic import synthetic_business


@pytest.fixture(scope="module")
def inputs() -> dict[str, Any]:
    business = synthetic_business(n_skus=10, days=400, seed=11)  # 20 series
    as_of = business["as_of"]
    # One product launched three weeks ago: too short to backtest.
    new = pl.DataFrame(
        {
            "sku": "NEW",
            "warehouse_id": "WH1",
            "date": [as_of - timedelta(days=d) for d in range(21)],
            "units": 3,
        }
    )
    products = pl.concat(
        [
            business["products"],
            business["products"].head(1).with_columns(sku=pl.lit("NEW")),
        ]
    )
    return {
        "sales": pl.concat([business["sales"], new], how="vertical_relaxed"),
        "stock_flags": business["stock_flags"],
        "positions": business["positions"],
        "products": products,
        "po_lines": business["po_lines"],
        "as_of": as_of,
        "suppliers": business["suppliers"],
        "params": PlanParams(review_period_days=7, n_windows=3),
    }


@pytest.fixture(scope="module")
def result(inputs) -> dict[str, pl.DataFrame]:
    return plan(**inputs)


def test_plan_returns_every_frame(result):
    assert set(result) == {"forecasts", "backtest", "reorder", "transfers", "accuracy"}
    assert result["backtest"].height == 21
    assert result["reorder"].height == 21


def test_forecasts_cover_every_series_with_ordered_nonnegative_bounds(result):
    fc = result["forecasts"]
    assert fc.select("sku", "warehouse_id").unique().height == 21
    assert fc.group_by("sku", "warehouse_id").len().get_column("len").n_unique() == 1
    assert fc.select(pl.min_horizontal("forecast", "lo95", "lo80")).min().item() >= 0
    tol = 1e-9
    ordered = (
        (pl.col("lo95") <= pl.col("lo80") + tol)
        & (pl.col("lo80") <= pl.col("hi80") + tol)
        & (pl.col("hi80") <= pl.col("hi95") + tol)
    )
    assert fc.select(ordered.all()).item()
    assert fc.null_count().sum_horizontal().item() == 0


def test_every_series_says_which_model_and_why(result):
    bt = result["backtest"]
    assert bt.get_column("model_used").null_count() == 0
    assert bt.get_column("model_reason").null_count() == 0
    new = bt.filter(pl.col("sku") == "NEW").row(0, named=True)
    assert new["model_used"] == "HistoricMean" and not new["is_backtested"]
    fallen_back = bt.filter(
        (pl.col("model_used") == "SeasonalNaive") & (pl.col("model_best") != "SeasonalNaive")
    )
    assert fallen_back.get_column("model_reason").str.contains("did not beat").all()


def test_plan_is_at_least_as_accurate_as_the_naive_in_backtest(result):
    overall = result["accuracy"].filter(
        (pl.col("demand_class") == "all") & (pl.col("window") == "selection")
    )
    mase = dict(zip(overall["scope"], overall["mase"], strict=True))
    assert mase["plan"] <= mase["naive"]


def test_reorder_lines_follow_the_policy(result):
    reorder = result["reorder"]
    products = reorder.select(
        "order_qty",
        "needs_order",
        "position",
        "reorder_point",
        pl.col("explain").struct.field("pack_size"),
        pl.col("explain").struct.field("min_order_qty"),
    )
    assert products.select(
        (pl.col("needs_order") == (pl.col("position") <= pl.col("reorder_point"))).all()
    ).item()
    due = products.filter("needs_order")
    assert due.height > 0
    assert (due["order_qty"] % due["pack_size"] == 0).all()
    assert (due["order_qty"] >= due["min_order_qty"]).all()
    assert reorder.get_column("why").null_count() == 0
    # lines to order come first
    assert reorder.get_column("needs_order").to_list() == sorted(
        reorder.get_column("needs_order").to_list(), reverse=True
    )


def test_transfers_only_move_stock_between_different_warehouses(result):
    moves = result["transfers"]
    assert (moves["from_warehouse_id"] != moves["to_warehouse_id"]).all()
    assert (moves["quantity"] > 0).all()


def test_plan_takes_abc_classes_from_the_marts_and_never_derives_them():
    business = synthetic_business(n_skus=2, days=120, seed=3)
    with pytest.raises(ValueError, match="abc_class"):
        plan(
            business["sales"],
            business["stock_flags"],
            business["positions"],
            business["products"].drop("abc_class"),
            business["po_lines"],
            business["as_of"],
        )


def _fit(result: dict[str, pl.DataFrame]) -> Fit:
    return Fit(result["backtest"], result["forecasts"], result["accuracy"])


def test_forecasts_reach_past_the_horizon_until_the_next_refit(inputs, result):
    last = result["forecasts"].get_column("date").max()
    assert last is not None
    # The longest horizon is ceil(lead time) + 7 review days; 6 more cover the re-plans.
    assert (last - inputs["as_of"]).days >= 7 + 6
    assert result["backtest"].get_column("fitted_as_of").unique().to_list() == [inputs["as_of"]]


@pytest.mark.parametrize(("days_later", "reused"), [(0, True), (6, True), (7, False), (-1, False)])
def test_a_fit_is_reused_only_within_its_review_period(result, days_later, reused):
    fit = _fit(result)
    assert fit.as_of is not None
    assert fit.reusable(fit.as_of + timedelta(days=days_later), 7) is reused


def test_a_replan_within_the_review_period_keeps_the_models_and_moves_the_stock(
    inputs, result, monkeypatch
):
    def no_refit(*args: object, **kwargs: object) -> None:
        raise AssertionError("a re-plan within the review period must not refit")

    monkeypatch.setattr(planner.bt, "backtest", no_refit)
    monkeypatch.setattr(planner, "forecast", no_refit)
    as_of: date = inputs["as_of"] + timedelta(days=2)
    emptied = inputs["positions"].with_columns(on_hand=pl.lit(0), on_order=pl.lit(0))
    replan = plan(**(inputs | {"as_of": as_of, "positions": emptied}), fit=_fit(result))

    kept = replan["backtest"].join(result["backtest"], on=["sku", "warehouse_id"], suffix="_fit")
    assert (kept["model_used"] == kept["model_used_fit"]).all()
    assert (kept["fitted_as_of"] == inputs["as_of"]).all()
    assert replan["accuracy"].equals(result["accuracy"])
    # Model forecasts are the fit's, for the days still ahead.
    modelled = replan["forecasts"].filter(~pl.col("model").is_in(planner.FALLBACK_MODELS))
    assert modelled.height > 0 and modelled.get_column("date").min() > as_of
    same = modelled.join(result["forecasts"], on=["sku", "warehouse_id", "date"], suffix="_fit")
    assert same.height == modelled.height
    assert (same["forecast"] == same["forecast_fit"]).all()
    # The policy is today's: with nothing on hand or on order, every selling series orders.
    selling = replan["reorder"].filter(pl.col("demand_class") != "no_demand")
    assert selling.get_column("needs_order").all()
    assert replan["reorder"].height == result["reorder"].height


def test_a_series_the_fit_did_not_know_is_planned_on_its_recent_mean(inputs, result):
    as_of: date = inputs["as_of"] + timedelta(days=1)
    fresh = pl.DataFrame({"sku": "FRESH", "warehouse_id": "WH1", "date": [as_of], "units": 5})
    products = pl.concat(
        [inputs["products"], inputs["products"].head(1).with_columns(sku=pl.lit("FRESH"))]
    )
    replan = plan(
        **(
            inputs
            | {
                "as_of": as_of,
                "sales": pl.concat([inputs["sales"], fresh], how="vertical_relaxed"),
                "products": products,
            }
        ),
        fit=_fit(result),
    )
    row = replan["backtest"].filter(pl.col("sku") == "FRESH").row(0, named=True)
    assert row["model_used"] == "HistoricMean" and not row["is_backtested"]
    assert replan["forecasts"].filter(pl.col("sku") == "FRESH").get_column("forecast").min() == 5


def test_a_replan_on_the_recent_history_alone_plans_the_same(inputs, result):
    as_of: date = inputs["as_of"] + timedelta(days=3)
    since = as_of - timedelta(days=replan_history_days())
    recent = inputs | {
        "as_of": as_of,
        "sales": inputs["sales"].filter(pl.col("date") >= since),
        "stock_flags": inputs["stock_flags"].filter(pl.col("date") >= since),
    }
    whole = plan(**(inputs | {"as_of": as_of}), fit=_fit(result))
    short = plan(**recent, fit=_fit(result))
    for name in ("reorder", "backtest", "forecasts", "transfers"):
        # Equal up to the order floating-point sums are added in.
        assert_frame_equal(short[name], whole[name], check_exact=False, rel_tol=1e-9)


def test_replans_of_replans_stay_covered_until_the_next_refit(inputs, result):
    first = plan(**(inputs | {"as_of": inputs["as_of"] + timedelta(days=2)}), fit=_fit(result))
    as_of: date = inputs["as_of"] + timedelta(days=6)
    last = plan(**(inputs | {"as_of": as_of}), fit=_fit(first))
    direct = plan(**(inputs | {"as_of": as_of}), fit=_fit(result))
    assert_frame_equal(last["reorder"], direct["reorder"], check_exact=False, rel_tol=1e-9)
    assert last["backtest"].get_column("fitted_as_of").unique().to_list() == [inputs["as_of"]]


def test_a_last_day_the_export_cut_short_is_planned_as_censored_demand(inputs):
    # Orders until 18:00 every day; on the last day the export stops at 11:00.
    as_of = inputs["as_of"]
    days = pl.date_range(as_of - timedelta(days=60), as_of, eager=True)
    order_times = pl.DataFrame(
        {
            "date": days,
            "at": [
                datetime.combine(day, time(11, 0) if day == as_of else time(18, 0)) for day in days
            ],
        }
    )
    small = {**inputs, "sales": inputs["sales"].filter(pl.col("sku").is_in(["SKU000", "SKU001"]))}
    cut = plan(**small, order_times=order_times)
    # The same as a stockout of every series on that day: its demand is unknown, not low.
    all_out = (
        small["sales"]
        .filter(pl.col("date") == as_of)
        .select("sku", "warehouse_id", "date", pl.lit(True).alias("is_stockout"))
    )
    flags = pl.concat([small["stock_flags"].filter(pl.col("date") < as_of), all_out])
    censored = plan(**(small | {"stock_flags": flags}))
    for frame in ("forecasts", "backtest", "reorder"):
        assert_frame_equal(cut[frame], censored[frame])
    assert not cut["forecasts"].equals(plan(**small)["forecasts"])
