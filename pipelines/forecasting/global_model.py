"""A global model: one LightGBM regressor over all series at once (mlforecast).

The M5 competition was won by gradient-boosted trees trained across all series rather than by
one local model per series: a global model learns weekly shapes, promotion lifts and how
demand follows its recent level from every series together, which helps most where one series
alone says little. It is one more candidate for every backtested series; the choice keeps it
only where it beats the others and the seasonal naive on the selection windows.

Features (per series and day):
- lags of demand 1, 2, 3, 7, 14, 21 and 28 days, and rolling means over the last 7 and 28 days
  and over the same weekday of the last 4 weeks (forecasts are recursive: each day's forecast
  feeds the next day's lags);
- calendar: day of the week, day of the month, month;
- promotion: `promo`, the share of the business's revenue given as discount that day (all
  series together, from `daily_sales`). A backtest knows the promotions of the days it
  forecasts, as a planner knows the promotion calendar; the marts hold no calendar of future
  promotions, so forecasts of the days ahead assume the average of the last 28 days.

Objective Tweedie (zeros and spikes, as in M5); fixed seed, one thread and LightGBM's
deterministic mode: the same data always gives the same forecasts. Intervals are split
conformal from the model's own backtest errors (`with_conformal_bounds`): mlforecast's own
conformal intervals would cost two more fits per training, and with a dynamic feature they
cannot be rolled forward over backtest windows.
"""

from __future__ import annotations

from datetime import timedelta

import lightgbm as lgb
import polars as pl
from mlforecast import MLForecast
from mlforecast.lag_transforms import RollingMean, SeasonalRollingMean

from pipelines.forecasting.models import BOUNDS, LEVELS, SEASON

GLOBAL = "LightGBM"
PROMO = "promo"
LAGS = [1, 2, 3, 7, 14, 21, 28]
CALENDAR = ["weekday", "day", "month"]
PROMO_RECENT_DAYS = 28
TRAIN_DAYS = 364  # days of history the model trains on (per backtest cutoff: before it)
SEED = 0
LGB_PARAMS: dict[str, object] = {
    "objective": "tweedie",
    "n_estimators": 100,
    "learning_rate": 0.1,
    "num_leaves": 31,
    "min_child_samples": 20,
    "subsample": 1.0,
    "colsample_bytree": 0.9,
    "random_state": SEED,
    "n_jobs": 1,
    "deterministic": True,
    "force_row_wise": True,
    "verbosity": -1,
}


def promotions(sales: pl.DataFrame | pl.LazyFrame) -> pl.DataFrame:
    """`ds`, `promo`: the business's discount share per day (0 without discounts or data).

    sales: `date` and optionally `discount_amount`, `gross_revenue` (from daily_sales).
    """
    sales = sales.lazy()
    names = sales.collect_schema().names()
    if not {"discount_amount", "gross_revenue"} <= set(names):
        return pl.DataFrame(schema={"ds": pl.Date, PROMO: pl.Float64})
    return (
        sales.group_by(pl.col("date").alias("ds"))
        .agg(
            pl.col("discount_amount").cast(pl.Float64).sum().alias("discount"),
            pl.col("gross_revenue").cast(pl.Float64).sum().alias("gross"),
        )
        .select(
            "ds",
            pl.when(pl.col("gross") > 0)
            .then(pl.col("discount") / pl.col("gross"))
            .otherwise(0.0)
            .alias(PROMO),
        )
        .sort("ds")
        .collect()
    )


def _with_promo(y: pl.DataFrame, promo: pl.DataFrame | None) -> pl.DataFrame:
    # The last TRAIN_DAYS days only: a year holds every weekday and month's pattern once,
    # and training costs grow with the rows.
    recent = pl.col("ds") > pl.col("ds").max() - pl.duration(days=TRAIN_DAYS)
    # Sorted by series and day: mlforecast checks the order, and sorts unsorted frames slowly.
    frame = (
        y.filter(recent)
        .select("unique_id", "ds", pl.col("y").cast(pl.Float64))
        .sort("unique_id", "ds")
    )
    if promo is None or promo.is_empty():
        return frame.with_columns(pl.lit(0.0).alias(PROMO))
    return (
        frame.join(promo, on="ds", how="left")
        .with_columns(pl.col(PROMO).fill_null(0.0))
        .sort("unique_id", "ds")
    )


def _mlforecast() -> MLForecast:
    return MLForecast(
        models={GLOBAL: lgb.LGBMRegressor(**LGB_PARAMS)},
        freq="1d",
        lags=LAGS,
        lag_transforms={
            1: [RollingMean(window_size=7), RollingMean(window_size=28)],
            7: [SeasonalRollingMean(season_length=SEASON, window_size=4)],
        },
        date_features=CALENDAR,
        num_threads=1,
    )


def global_cross_validate(
    y: pl.DataFrame, h: int, n_windows: int, step: int, promo: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Rolling-origin forecasts of the global model, long form like `models.cross_validate`.

    Trained once at the first cutoff and rolled forward over the later windows (refit=False),
    as the local ETS and Theta are: one fit per backtest, not one per window. The bounds are
    left empty here: `with_conformal_bounds` sets them from the backtest's own errors.
    """
    frame = _with_promo(y, promo)
    wide = _mlforecast().cross_validation(
        df=frame, n_windows=n_windows, h=h, step_size=step, refit=False, static_features=[]
    )
    return _long(pl.DataFrame(wide), ["unique_id", "ds", "cutoff"])


def global_forecast(
    y: pl.DataFrame, ids: list[str], h: int, promo: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Train on every series of `y`, forecast `h` days for the series `ids` (no bounds yet)."""
    frame = _with_promo(y, promo)
    fcst = _mlforecast().fit(frame, static_features=[])
    last = frame.get_column("ds").max()
    recent = frame.filter(pl.col("ds") > last - timedelta(days=PROMO_RECENT_DAYS))  # type: ignore[operator]
    level = recent.get_column(PROMO).mean() or 0.0
    future = fcst.make_future_dataframe(h=h).with_columns(pl.lit(level).alias(PROMO))
    wide = fcst.predict(h=h, X_df=future, ids=ids)
    return _long(pl.DataFrame(wide), ["unique_id", "ds"])


def _long(wide: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    return wide.select(
        *keys,
        pl.lit(GLOBAL).alias("model"),
        pl.col(GLOBAL).clip(lower_bound=0.0).alias("forecast"),
        *[pl.lit(None, dtype=pl.Float64).alias(b) for b in BOUNDS],
    )


def conformal_widths(points: pl.DataFrame) -> pl.DataFrame:
    """Per series: the 80% and 95% quantiles of the global model's absolute backtest errors.

    points: scored backtest points (`unique_id`, `model`, `actual`, `forecast`, ...); only
    the global model's in-stock points count. Returns `unique_id`, `q80`, `q95`.
    """
    errors = points.filter((pl.col("model") == GLOBAL) & pl.col("actual").is_not_null())
    return errors.group_by("unique_id").agg(
        (pl.col("actual") - pl.col("forecast"))
        .abs()
        .quantile(level / 100, interpolation="higher")
        .alias(f"q{level}")
        for level in LEVELS
    )


def with_conformal_bounds(frame: pl.DataFrame, widths: pl.DataFrame) -> pl.DataFrame:
    """Set the global model's bounds to its forecast -/+ the series' error quantile (>= 0).

    Split conformal: the widths come from backtest errors on days before those forecast (the
    selection windows for the held-back window and the forecasts ahead). The selection
    windows' own bands are calibrated on themselves, so their coverage flatters, like every
    selection-window figure.
    """
    if frame.is_empty() or widths.is_empty():
        return frame
    joined = frame.join(widths, on="unique_id", how="left")
    is_global = pl.col("model") == GLOBAL
    bounds = []
    for level in LEVELS:
        width = pl.col(f"q{level}").fill_null(0.0)
        bounds += [
            pl.when(is_global)
            .then((pl.col("forecast") - width).clip(lower_bound=0.0))
            .otherwise(pl.col(f"lo{level}"))
            .alias(f"lo{level}"),
            pl.when(is_global)
            .then(pl.col("forecast") + width)
            .otherwise(pl.col(f"hi{level}"))
            .alias(f"hi{level}"),
        ]
    return joined.with_columns(bounds).drop("q80", "q95")
