"""Demand classes by Syntetos-Boylan: average demand interval (ADI) and CV2 of sizes.

ADI = in-stock days / days with non-zero demand; CV2 = (std / mean)^2 of the non-zero
demands (sample std). Censored (stockout) days are left out of both: they say nothing about
whether there was demand. Cut-offs from Syntetos, Boylan and Croston (2005):

    ADI < 1.32, CV2 < 0.49   smooth        ADI >= 1.32, CV2 < 0.49   intermittent
    ADI < 1.32, CV2 >= 0.49  erratic       ADI >= 1.32, CV2 >= 0.49  lumpy

`no_demand`: no non-zero demand at all; `too_short`: fewer than `min_days` in-stock days or
fewer than two non-zero demands (no CV2 can be measured).
"""

from __future__ import annotations

import polars as pl

from pipelines.forecasting.demand import SERIES

ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49
MIN_DAYS = 28

DEMAND_CLASSES = ["smooth", "erratic", "intermittent", "lumpy", "no_demand", "too_short"]


def classify_demand(
    demand: pl.DataFrame | pl.LazyFrame,
    min_days: int = MIN_DAYS,
    adi_cutoff: float = ADI_CUTOFF,
    cv2_cutoff: float = CV2_CUTOFF,
) -> pl.DataFrame:
    """One row per series: `n_days`, `n_observed`, `n_nonzero`, `adi`, `cv2`, `demand_class`.

    demand: the output of `daily_demand` (`sku`, `warehouse_id`, `date`, `demand`).
    """
    nonzero = pl.col("demand").filter(pl.col("demand") > 0)
    stats = (
        demand.lazy()
        .group_by(SERIES)
        .agg(
            pl.len().alias("n_days"),
            pl.col("demand").count().alias("n_observed"),
            (pl.col("demand") > 0).sum().alias("n_nonzero"),
            nonzero.mean().alias("nonzero_mean"),
            nonzero.std().alias("nonzero_std"),
        )
        .with_columns(
            (pl.col("n_observed") / pl.col("n_nonzero")).alias("adi"),
            (pl.col("nonzero_std") / pl.col("nonzero_mean")).pow(2).alias("cv2"),
        )
    )
    return (
        stats.with_columns(
            _class_expr(min_days, adi_cutoff, cv2_cutoff).alias("demand_class"),
            # Only meaningful where there were non-zero demands.
            pl.when(pl.col("n_nonzero") > 0).then(pl.col("adi")).alias("adi"),
        )
        .drop("nonzero_mean", "nonzero_std")
        .sort(SERIES)
        .collect()
    )


def _class_expr(min_days: int, adi_cutoff: float, cv2_cutoff: float) -> pl.Expr:
    frequent = pl.col("adi") < adi_cutoff
    steady = pl.col("cv2") < cv2_cutoff
    return (
        pl.when(pl.col("n_nonzero") == 0)
        .then(pl.lit("no_demand"))
        .when((pl.col("n_observed") < min_days) | (pl.col("n_nonzero") < 2))
        .then(pl.lit("too_short"))
        .when(frequent & steady)
        .then(pl.lit("smooth"))
        .when(frequent)
        .then(pl.lit("erratic"))
        .when(steady)
        .then(pl.lit("intermittent"))
        .otherwise(pl.lit("lumpy"))
    )
