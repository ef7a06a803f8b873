"""Supplier lead times measured from past purchase orders, with documented fallbacks.

A lead time is `received_date - ordered_date` in days, over received lines. With at least
`min_receipts` receipts the measured mean and standard deviation are used. With fewer, the
nominal lead time the supplier quotes is used as the mean and `default_cv` times it as the
standard deviation (a quote says nothing about spread, and zero would claim certainty); with
no quote either, the few receipts' mean (same spread rule); with nothing at all,
`default_days`.
"""

from __future__ import annotations

import polars as pl

MIN_RECEIPTS = 5
DEFAULT_LEAD_TIME_DAYS = 14.0
DEFAULT_LEAD_TIME_CV = 0.25

Frame = pl.DataFrame | pl.LazyFrame


def lead_time_stats(
    po_lines: Frame,
    nominal: Frame | None = None,
    by: str = "supplier_id",
    min_receipts: int = MIN_RECEIPTS,
    default_cv: float = DEFAULT_LEAD_TIME_CV,
) -> pl.DataFrame:
    """One row per `by` key: `receipts`, `lead_time_mean`, `lead_time_std`, `lead_time_source`.

    po_lines: `<by>`, `ordered_date` (Date), `received_date` (Date, null while open).
    nominal: `<by>`, `lead_time_days` (nullable): the quoted lead times, e.g. `suppliers`.
    `lead_time_source` is `measured`, `nominal` or `few_receipts`. Keys found in neither
    frame get no row: callers fill them with `default_lead_time(...)`.
    """
    measured = (
        po_lines.lazy()
        .filter(pl.col("received_date").is_not_null())
        .with_columns(
            (pl.col("received_date") - pl.col("ordered_date"))
            .dt.total_days()
            .cast(pl.Float64)
            .alias("days")
        )
        .group_by(by)
        .agg(
            pl.len().alias("receipts"),
            pl.col("days").mean().alias("measured_mean"),
            pl.col("days").std().alias("measured_std"),
        )
    )
    quoted = (
        nominal.lazy().select(by, pl.col("lead_time_days").cast(pl.Float64))
        if nominal is not None
        else pl.LazyFrame(schema={by: pl.String, "lead_time_days": pl.Float64})
    )
    enough = pl.col("receipts").fill_null(0) >= min_receipts
    has_quote = pl.col("lead_time_days").is_not_null()
    mean = (
        pl.when(enough)
        .then(pl.col("measured_mean"))
        .when(has_quote)
        .then(pl.col("lead_time_days"))
        .otherwise(pl.col("measured_mean"))
    )
    return (
        measured.join(quoted, on=by, how="full", coalesce=True)
        .filter(pl.col("measured_mean").is_not_null() | has_quote)
        .select(
            by,
            pl.col("receipts").fill_null(0),
            mean.alias("lead_time_mean"),
            pl.when(enough)
            .then(pl.col("measured_std").fill_null(0.0))
            .otherwise(mean * default_cv)
            .alias("lead_time_std"),
            pl.when(enough)
            .then(pl.lit("measured"))
            .when(has_quote)
            .then(pl.lit("nominal"))
            .otherwise(pl.lit("few_receipts"))
            .alias("lead_time_source"),
        )
        .sort(by)
        .collect()
    )


def default_lead_time(
    days: float = DEFAULT_LEAD_TIME_DAYS, cv: float = DEFAULT_LEAD_TIME_CV
) -> dict[str, float | str]:
    """Column values for a key with no purchase history and no quote."""
    return {
        "lead_time_mean": days,
        "lead_time_std": days * cv,
        "lead_time_source": "default",
    }
