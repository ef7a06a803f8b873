"""Every reorder line carries the numbers that produced it, as a struct and as a sentence.

`why` is written in English from the catalogue's template (`pipelines.i18n.SENTENCES`); the
page shows it in the reader's language (`sentence_in`) and can unpack `explain` into a table;
neither recomputes anything.
"""

from __future__ import annotations

import re
import string

import polars as pl

from pipelines.i18n import SENTENCES

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


def sentence(key: str, **values: pl.Expr) -> pl.Expr:
    """The English sentence `key` of `pipelines.i18n.SENTENCES`, its placeholders filled with
    `values` row by row (a page reads it in its language with `sentence_in`)."""
    template = SENTENCES[key][0]
    filled = [values[name] for _, name, _, _ in string.Formatter().parse(template) if name]
    positional = re.sub(r"\{\w+\}", "{}", template)
    return pl.format(positional, *filled)


def why_expr() -> pl.Expr:
    """One sentence per row, e.g. for a tooltip or a report footnote."""
    return sentence(
        "why",
        d=_num("d", 2),
        sigma_d=_num("sigma_d", 2),
        lead_time_mean=_num("lead_time_mean"),
        lead_time_std=_num("lead_time_std"),
        lead_time_source=pl.col("lead_time_source"),
        z=_num("z", 3),
        safety_stock=_num("safety_stock"),
        lead_time_demand=_num("lead_time_demand"),
        reorder_point=_num("reorder_point"),
        position=_num("position"),
        transfer_in=pl.col("transfer_in").cast(pl.String),
        transfer_out=pl.col("transfer_out").cast(pl.String),
        eoq=_num("eoq"),
        min_order_qty=pl.col("min_order_qty").cast(pl.String),
        pack_size=pl.col("pack_size").cast(pl.String),
        model_used=pl.col("model_used"),
        backtest_wape=_num("backtest_wape", 3),
        backtest_mase=_num("backtest_mase", 3),
        holdout_wape=_num("holdout_wape", 3),
        holdout_mase=_num("holdout_mase", 3),
        model_reason=pl.col("model_reason"),
    )


def with_explanation(reorder: pl.DataFrame) -> pl.DataFrame:
    """Add `explain` (struct of `EXPLAIN_FIELDS`) and `why` (text) to the reorder frame."""
    return reorder.with_columns(pl.struct(EXPLAIN_FIELDS).alias("explain"), why_expr().alias("why"))
