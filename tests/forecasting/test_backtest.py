from datetime import date, timedelta

import polars as pl
import pytest

from pipelines.forecasting import backtest as bt
from pipelines.forecasting.models import candidates
from pipelines.i18n import sentence_in

D0 = date(2025, 3, 1)


def _d(n: int) -> date:
    return D0 + timedelta(days=n)


def _observed(values: list[float | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {"unique_id": "a", "ds": [_d(i) for i in range(len(values))], "actual": values},
        schema_overrides={"actual": pl.Float64},
    )


def _cv(forecast: float = 5.0) -> pl.DataFrame:
    # One window: cutoff day 7, forecasts for days 8, 9, 10.
    return pl.DataFrame(
        {
            "unique_id": "a",
            "ds": [_d(8), _d(9), _d(10)],
            "cutoff": _d(7),
            "model": "M",
            "forecast": forecast,
            "lo80": 4.0,
            "hi80": 6.0,
            "lo95": 3.0,
            "hi95": 9.0,
        }
    )


# days 0..10; the seasonal-naive scale at cutoff day 7 is |y7 - y0| / 1 = |3 - 1| = 2
VALUES = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 3.0, 4.0, 6.0, 8.0]


def test_metrics_on_a_hand_computed_window():
    points = bt.score_points(_cv(), _observed(VALUES))
    row = bt.series_metrics(points).row(0, named=True)
    # actual 4, 6, 8 vs forecast 5: |e| = 1, 1, 3 (sum 5); sum actual 18
    assert row["n_points"] == 3
    assert row["wape"] == pytest.approx(5 / 18)
    assert row["mase"] == pytest.approx((1 / 2 + 1 / 2 + 3 / 2) / 3)  # 0.8333
    assert row["bias"] == pytest.approx((1 - 1 - 3) / 18)  # -0.1667: under-forecast
    assert row["coverage80"] == pytest.approx(2 / 3)  # 4 and 6 inside [4, 6], 8 not
    assert row["coverage95"] == pytest.approx(1.0)  # all inside [3, 9]


def test_censored_days_are_not_scored():
    values = [*VALUES[:9], None, VALUES[10]]  # day 9 was a stockout
    row = bt.series_metrics(bt.score_points(_cv(), _observed(values))).row(0, named=True)
    # left: actual 4, 8 vs 5: |e| = 1, 3; sum actual 12
    assert row["n_points"] == 2
    assert row["wape"] == pytest.approx(4 / 12)


def test_steps_beyond_the_series_horizon_are_dropped():
    horizons = pl.DataFrame({"unique_id": ["a"], "horizon": [2]})
    points = bt.score_points(_cv(), _observed(VALUES), horizons)
    assert points.get_column("step").to_list() == [1, 2]


def _metrics(rows: list[tuple[str, str, float]]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {"unique_id": uid, "model": model, "mase": mase, "mae": mase, "n_points": 10}
            | {m: 0.1 for m in ["wape", "bias", "coverage80", "coverage95"]}
            for uid, model, mase in rows
        ]
    )


def test_candidate_that_loses_to_seasonal_naive_is_replaced_by_it():
    metrics = _metrics(
        [
            ("a", "AutoETS", 1.3),
            ("a", "AutoTheta", 1.2),
            ("a", "SeasonalNaive", 1.0),
            ("b", "AutoETS", 0.8),
            ("b", "AutoTheta", 0.9),
            ("b", "SeasonalNaive", 1.0),
        ]
    )
    choice = {r["unique_id"]: r for r in bt.choose_models(metrics).iter_rows(named=True)}
    assert choice["a"]["model_best"] == "AutoTheta"
    assert choice["a"]["model_used"] == "SeasonalNaive"
    assert "did not beat SeasonalNaive" in choice["a"]["model_reason"]
    assert choice["b"]["model_used"] == "AutoETS"
    assert "beat SeasonalNaive" in choice["b"]["model_reason"]


def test_naive_replaces_the_best_candidate_only_when_at_least_a_tenth_lower():
    # Best candidate's score 1.0: the naive must score 0.9 or less to replace it.
    metrics = _metrics(
        [
            ("noise", "CrostonSBA", 1.0),
            ("noise", "SeasonalNaive", 0.95),
            ("edge", "CrostonSBA", 1.0),
            ("edge", "SeasonalNaive", 0.9),
            ("clear", "CrostonSBA", 1.0),
            ("clear", "SeasonalNaive", 0.85),
        ]
    )
    assert bt.NAIVE_MARGIN == 0.1
    choice = {r["unique_id"]: r for r in bt.choose_models(metrics).iter_rows(named=True)}
    assert choice["noise"]["model_used"] == "CrostonSBA"
    assert choice["noise"]["model_reason"] == (
        "CrostonSBA kept: SeasonalNaive scored 0.95 against its 1.0, less than 10% lower (noise)"
    )
    assert choice["edge"]["model_used"] == "SeasonalNaive"
    assert choice["clear"]["model_used"] == "SeasonalNaive"
    assert "did not beat SeasonalNaive" in choice["clear"]["model_reason"]
    # Each reason is a sentence of the catalogue, so the Chinese page reads it in Chinese.
    for row in choice.values():
        assert sentence_in(row["model_reason"], "zh") != row["model_reason"]


def test_real_backtest_keeps_the_naive_on_a_pure_weekly_pattern():
    # A weekly cycle the seasonal naive repeats exactly; Croston & co. forecast a flat level.
    days = 16 * 7
    y = pl.DataFrame(
        {
            "unique_id": "w",
            "ds": [_d(i) for i in range(days)],
            "y": [0.0, 0.0, 0.0, 0.0, 0.0, 10.0, 20.0] * 16,
            "model_group": "intermittent",
        }
    )
    observed = y.select("unique_id", "ds", pl.col("y").alias("actual"))
    points = bt.backtest(
        y, observed, {"intermittent": candidates("intermittent")}, h=7, n_windows=2, step=7
    )
    choice = bt.choose_on_selection(points).row(0, named=True)
    assert choice["model_used"] == "SeasonalNaive"
    assert choice["wape"] == pytest.approx(0.0)
    assert choice["holdout_wape"] == pytest.approx(0.0)


def test_held_back_window_is_disjoint_from_the_windows_the_choice_was_made_on():
    days = 20 * 7
    h, n_windows, step = 9, 3, 7
    rows = [float((i * 7) % 11) for i in range(days)]
    y = pl.DataFrame(
        {
            "unique_id": "s",
            "ds": [_d(i) for i in range(days)],
            "y": rows,
            "model_group": "continuous",
        }
    )
    observed = y.select("unique_id", "ds", pl.col("y").alias("actual"))
    points = bt.backtest(
        y, observed, {"continuous": candidates("continuous")}, h=h, n_windows=n_windows, step=step
    )
    selection = bt.window(points, bt.SELECTION)
    held = bt.window(points, bt.HELD_BACK)
    last = _d(days - 1)
    # The held-back window is the last h days, one cutoff, every candidate scored on it.
    assert held.get_column("cutoff").unique().to_list() == [last - timedelta(days=h)]
    assert held.get_column("ds").min() == last - timedelta(days=h - 1)
    assert held.get_column("ds").max() == last
    # The choice windows: n cutoffs, step days apart, whose days all end before it starts.
    cutoffs = selection.get_column("cutoff").unique().sort().to_list()
    assert len(cutoffs) == n_windows
    assert [(b - a).days for a, b in zip(cutoffs, cutoffs[1:], strict=False)] == [step] * 2
    assert selection.get_column("ds").max() < held.get_column("ds").min()
    assert set(selection.get_column("ds")).isdisjoint(set(held.get_column("ds")))
    # And the choice is the selection windows' alone: held-back errors cannot change it.
    choice = bt.choose_on_selection(points)
    spoiled = points.with_columns(
        pl.when(pl.col("window") == bt.HELD_BACK)
        .then(pl.col("forecast") + 1000.0)
        .otherwise(pl.col("forecast"))
        .alias("forecast")
    )
    again = bt.choose_on_selection(spoiled)
    assert again.get_column("model_used").to_list() == choice.get_column("model_used").to_list()
    assert again.get_column("wape").to_list() == choice.get_column("wape").to_list()
    assert again.get_column("holdout_wape").item() > choice.get_column("holdout_wape").item()


def test_without_a_held_back_window_the_choice_windows_reach_the_last_day():
    days = 16 * 7
    y = pl.DataFrame(
        {
            "unique_id": "w",
            "ds": [_d(i) for i in range(days)],
            "y": [0.0, 0.0, 0.0, 0.0, 0.0, 10.0, 20.0] * 16,
            "model_group": "intermittent",
        }
    )
    observed = y.select("unique_id", "ds", pl.col("y").alias("actual"))
    points = bt.backtest(
        y,
        observed,
        {"intermittent": candidates("intermittent")},
        h=7,
        n_windows=2,
        step=7,
        held_back=False,
    )
    assert set(points.get_column("window")) == {bt.SELECTION}
    assert points.get_column("ds").max() == _d(days - 1)
    choice = bt.choose_on_selection(points).row(0, named=True)
    assert choice["model_used"] == "SeasonalNaive" and choice["holdout_wape"] is None
