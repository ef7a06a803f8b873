"""Walking a daily forecast: demand over a (fractional) number of days, projected stockout.

Day k of the forecast (k = 1 the day after `as_of`) counts fully while k <= days and by the
fraction left for the day that holds the end: 2.5 days = day 1 + day 2 + half of day 3.
The projected stockout date is the first forecast day on which cumulative demand exceeds
the stock position (position <= 0 runs out on the first day with any demand); null when the
forecast horizon ends first.
"""

from __future__ import annotations

import polars as pl

from pipelines.forecasting.demand import SERIES


def _day_weight(days: pl.Expr) -> pl.Expr:
    step = pl.col("step").cast(pl.Float64)
    return (days - (step - 1.0)).clip(0.0, 1.0)


def with_steps(forecasts: pl.DataFrame) -> pl.DataFrame:
    """Add `step` (1, 2, ... per series in date order) to `sku`, `warehouse_id`, `date`, ..."""
    return forecasts.sort([*SERIES, "date"]).with_columns(
        pl.int_range(1, pl.len() + 1).over(SERIES).alias("step")
    )


def demand_over(forecasts: pl.DataFrame, spans: pl.DataFrame) -> pl.DataFrame:
    """Forecast demand over the lead time and over the review period that follows it.

    forecasts: `sku`, `warehouse_id`, `date`, `forecast`.
    spans: `sku`, `warehouse_id`, `lead_time_mean`, `review_days`.
    Returns `sku`, `warehouse_id`, `lead_time_demand`, `review_demand`, `forecast_days`.
    """
    lead = pl.col("lead_time_mean")
    until_review_end = lead + pl.col("review_days")
    return (
        with_steps(forecasts)
        .join(spans, on=SERIES, how="inner")
        .group_by(SERIES)
        .agg(
            (pl.col("forecast") * _day_weight(lead)).sum().alias("lead_time_demand"),
            (pl.col("forecast") * (_day_weight(until_review_end) - _day_weight(lead)))
            .sum()
            .alias("review_demand"),
            pl.len().alias("forecast_days"),
        )
    )


def projected_stockout(forecasts: pl.DataFrame, positions: pl.DataFrame) -> pl.DataFrame:
    """`sku`, `warehouse_id`, `stockout_date` (null if none within the forecast).

    positions: `sku`, `warehouse_id`, `position`.
    """
    # Inside the aggregation each group is one series, already in date order.
    runs_out = pl.col("forecast").cum_sum() > pl.col("position")
    return (
        forecasts.sort([*SERIES, "date"])
        .join(positions.select(*SERIES, "position"), on=SERIES, how="inner")
        .group_by(SERIES)
        .agg(pl.col("date").filter(runs_out).min().alias("stockout_date"))
    )
