"""Complete daily demand series per (sku, warehouse_id), with stockout days censored.

A day on which the shelf was empty shows what was sold, not what was wanted: treating its
sales as demand teaches every model that demand drops when stock runs out. Such days keep
`demand` null (`is_censored` true) so metrics and classification skip them, and carry an
imputed `demand_filled` for the models that cannot take gaps.

Imputation (documented, deliberately simple): the mean of the same weekday over the last
`IMPUTE_WEEKS` in-stock occurrences before the censored day; where the series has no earlier
in-stock day of that weekday, the mean of all its in-stock days; where it has none at all, 0.

An export cut mid-day (a real export often is: written at noon, or by a nightly job that runs
before the shop closes) makes its last day look like a collapse of demand. By the data's own
clock (`last_complete_day`): when the last day's last order came earlier in the day than the
last order of every one of the `CLOCK_DAYS` order days before it, that day is incomplete,
and its demand is censored like a stockout day: unknown, not low.
"""

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

SERIES = ["sku", "warehouse_id"]
IMPUTE_WEEKS = 4
CLOCK_DAYS = 28  # order days before the last one whose closing times judge it

Frame = pl.DataFrame | pl.LazyFrame


def daily_demand(
    sales: Frame,
    stock: Frame | None,
    end: date,
    start: date | None = None,
    impute_weeks: int = IMPUTE_WEEKS,
    complete_through: date | None = None,
) -> pl.DataFrame:
    """One row per series and day, from the series' first activity (or `start`) to `end`.

    sales: `sku`, `warehouse_id`, `date` (Date), `units` (numeric); several rows per day
        are summed; rows after `end` are ignored.
    stock: `sku`, `warehouse_id`, `date`, `is_stockout` (Boolean); a day with no row was in
        stock. May be None.

    complete_through: the last day whose sales are complete (`last_complete_day`); the days
        after it are censored (their sales count in `units`, their demand is unknown).

    Returns `sku`, `warehouse_id`, `date`, `units` (sales, 0 on days without any),
    `is_censored`, `demand` (Float64, null when censored) and `demand_filled` (never null).
    """
    incomplete = pl.lit(False)
    if complete_through is not None:
        incomplete = pl.col("date") > complete_through
    daily = _daily_units(sales, end)
    flags = _stockout_days(stock, end)
    spans = _series_spans(daily, flags, end, start)
    grid = spans.select(
        *SERIES, pl.date_ranges("first_date", "last_date", "1d").alias("date")
    ).explode("date")
    observed = (
        grid.join(daily, on=[*SERIES, "date"], how="left")
        .join(flags, on=[*SERIES, "date"], how="left")
        .select(
            *SERIES,
            "date",
            pl.col("units").fill_null(0.0),
            (pl.col("is_stockout").fill_null(False) | incomplete).alias("is_censored"),
        )
        .with_columns(
            pl.when(pl.col("is_censored"))
            .then(None)
            .otherwise(pl.col("units"))
            .cast(pl.Float64)
            .alias("demand")
        )
    )
    return impute_censored(observed, impute_weeks).sort([*SERIES, "date"]).collect()


def last_complete_day(order_times: Frame, clock_days: int = CLOCK_DAYS) -> date | None:
    """The last day whose orders are all in the data, by the data's own clock.

    order_times: `date` (the order's day in the business's time zone) and `at` (its time on
    the business's wall clock, so a change to summer time moves no closing hour). The last
    day is complete unless its last order came earlier in the day than the last order of each
    of the `clock_days` order days before it: then the export was cut during that day, and the
    day before it is the last complete one. With fewer than `clock_days` earlier order days
    there is nothing to judge by and the last day counts as complete. Returns None without
    orders.
    """
    closing = (
        order_times.lazy()
        .group_by("date")
        .agg(pl.col("at").max().cast(pl.Datetime("us")).alias("last_at"))
        .select(
            "date", (pl.col("last_at") - pl.col("date").cast(pl.Datetime("us"))).alias("closing")
        )
        .sort("date")
        .collect()
    )
    if closing.is_empty():
        return None
    last: date = closing.get_column("date")[-1]
    before = closing.head(-1).tail(clock_days)
    if before.height < clock_days:
        return last
    earliest = before.get_column("closing").min()
    if closing.get_column("closing")[-1] < earliest:  # type: ignore[operator]
        return last - timedelta(days=1)
    return last


def impute_censored(observed: pl.LazyFrame, impute_weeks: int = IMPUTE_WEEKS) -> pl.LazyFrame:
    """Add `demand_filled`: `demand`, or for censored days the same-weekday mean (see top)."""
    by_weekday = [*SERIES, "weekday"]
    with_weekday = observed.with_columns(pl.col("date").dt.weekday().alias("weekday"))
    # Rolling mean over the in-stock days only, so censored days never feed the estimate.
    weekday_means = (
        with_weekday.filter(pl.col("demand").is_not_null())
        .sort([*by_weekday, "date"])
        .select(
            *SERIES,
            "date",
            pl.col("demand")
            .rolling_mean(impute_weeks, min_samples=1)
            .over(by_weekday)
            .alias("weekday_mean"),
        )
    )
    return (
        with_weekday.join(weekday_means, on=[*SERIES, "date"], how="left")
        .sort([*SERIES, "date"])
        .with_columns(
            pl.col("weekday_mean").forward_fill().over(by_weekday),
            pl.col("demand").mean().over(SERIES).alias("series_mean"),
        )
        .with_columns(
            pl.coalesce("demand", "weekday_mean", "series_mean", pl.lit(0.0)).alias("demand_filled")
        )
        .drop("weekday", "weekday_mean", "series_mean")
    )


def _daily_units(sales: Frame, end: date) -> pl.LazyFrame:
    return (
        sales.lazy()
        .filter(pl.col("date") <= end)
        .group_by([*SERIES, "date"])
        .agg(pl.col("units").cast(pl.Float64).sum())
    )


def _stockout_days(stock: Frame | None, end: date) -> pl.LazyFrame:
    if stock is None:
        schema = {"sku": pl.String, "warehouse_id": pl.String, "date": pl.Date}
        return pl.LazyFrame(schema={**schema, "is_stockout": pl.Boolean})
    return (
        stock.lazy()
        .filter(pl.col("date") <= end)
        .group_by([*SERIES, "date"])
        .agg(pl.col("is_stockout").any())
    )


def _series_spans(
    daily: pl.LazyFrame, flags: pl.LazyFrame, end: date, start: date | None
) -> pl.LazyFrame:
    # A series starts at its first sale or stock record: days before a product existed
    # are not zero demand.
    seen = pl.concat([daily.select(*SERIES, "date"), flags.select(*SERIES, "date")])
    first = pl.col("date").min()
    if start is not None:
        first = pl.max_horizontal(first, pl.lit(start))
    return seen.group_by(SERIES).agg(first.alias("first_date"), pl.lit(end).alias("last_date"))
