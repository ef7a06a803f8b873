"""Every reorder line carries the numbers that produced it, as a struct and as a sentence.

The page and the reports show `why` as is and can unpack `explain` into a table; neither
recomputes anything.
"""

from __future__ import annotations

import polars as pl

EXPLAIN_FIELDS = [
    "demand_class",
    "abc_class",
    "d",
    "sigma_d",
    "lead_time_mean",
    "lead_time_std",
    "lead_time_source",
    "service_level",
    "z",
    "safety_stock",
    "lead_time_demand",
    "review_demand",
    "reorder_point",
    "position",
    "transfer_in",
    "transfer_out",
    "eoq",
    "min_order_qty",
    "pack_size",
    "model_used",
    "model_reason",
    "backtest_wape",
    "backtest_mase",
    "holdout_wape",
    "holdout_mase",
]


def _num(name: str, decimals: int = 1) -> pl.Expr:
    return pl.col(name).round(decimals).cast(pl.String).fill_null("n/a")


def why_expr() -> pl.Expr:
    """One sentence per row, e.g. for a tooltip or a report footnote."""
    return pl.format(
        "d={}/day (sd {}), lead time {}d (sd {}, {}), z={} -> safety stock {}; ROP = {} "
        "lead-time demand + {} = {}; position {} (transfers +{}/-{}); EOQ {}, MOQ {}, "
        "pack {}; model {} (chosen on the selection windows: WAPE {}, MASE {}; on the held-back "
        "window: WAPE {}, MASE {}): {}",
        _num("d", 2),
        _num("sigma_d", 2),
        _num("lead_time_mean"),
        _num("lead_time_std"),
        pl.col("lead_time_source"),
        _num("z", 3),
        _num("safety_stock"),
        _num("lead_time_demand"),
        _num("safety_stock"),
        _num("reorder_point"),
        _num("position"),
        pl.col("transfer_in").cast(pl.String),
        pl.col("transfer_out").cast(pl.String),
        _num("eoq"),
        pl.col("min_order_qty").cast(pl.String),
        pl.col("pack_size").cast(pl.String),
        pl.col("model_used"),
        _num("backtest_wape", 3),
        _num("backtest_mase", 3),
        _num("holdout_wape", 3),
        _num("holdout_mase", 3),
        pl.col("model_reason"),
    )


def with_explanation(reorder: pl.DataFrame) -> pl.DataFrame:
    """Add `explain` (struct of `EXPLAIN_FIELDS`) and `why` (text) to the reorder frame."""
    return reorder.with_columns(pl.struct(EXPLAIN_FIELDS).alias("explain"), why_expr().alias("why"))
