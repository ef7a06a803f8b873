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


_SCORES = ("backtest_wape", "backtest_mase", "holdout_wape", "holdout_mase")
# Rounded for reading (n/a when missing), and shown as they are.
_ROUNDED = (
    "d",
    "sigma_d",
    "lead_time_mean",
    "lead_time_std",
    "z",
    "safety_stock",
    "lead_time_demand",
    "reorder_point",
    "position",
    "eoq",
    *_SCORES,
)
_AS_IS = (
    "lead_time_source",
    "transfer_in",
    "transfer_out",
    "min_order_qty",
    "pack_size",
    "model_used",
    "model_reason",
)


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
    numbers = {"d": 2, "sigma_d": 2, "z": 3} | dict.fromkeys(_SCORES, 3)
    return sentence(
        "why",
        **{name: _num(name, numbers.get(name, 1)) for name in _ROUNDED},
        **{name: pl.col(name).cast(pl.String) for name in _AS_IS},
    )


def with_explanation(reorder: pl.DataFrame) -> pl.DataFrame:
    """Add `explain` (struct of `EXPLAIN_FIELDS`) and `why` (text) to the reorder frame."""
    return reorder.with_columns(pl.struct(EXPLAIN_FIELDS).alias("explain"), why_expr().alias("why"))
