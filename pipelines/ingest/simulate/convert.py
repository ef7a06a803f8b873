"""Conversions from the simulation's numpy arrays to the contract's column types."""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.ingest.contract import MONEY, TIMESTAMP


def ts(seconds: np.ndarray | pl.Series) -> pl.Series:
    """UTC epoch seconds (NaN = null) as the contract's naive-UTC timestamp."""
    s = seconds if isinstance(seconds, pl.Series) else pl.Series(seconds)
    return pl.from_epoch(s.fill_nan(None).cast(pl.Int64), time_unit="s").cast(TIMESTAMP)


def ts_expr(column: str) -> pl.Expr:
    return pl.from_epoch(pl.col(column).fill_nan(None).cast(pl.Int64), time_unit="s").cast(
        TIMESTAMP
    )


def money(values: np.ndarray) -> pl.Series:
    return pl.Series(values).round(2).cast(MONEY)


def pad(values: np.ndarray, width: int) -> pl.Series:
    return pl.Series(values).cast(pl.String).str.zfill(width)


def text(values: np.ndarray) -> pl.Series:
    """An object array of str/None as a String series (polars keeps leading-None arrays Object)."""
    return pl.Series(np.asarray(values, dtype=object).tolist(), dtype=pl.String)


def frame_of(columns: dict[str, object], **kwargs: object) -> pl.DataFrame:
    """`pl.DataFrame(columns)` with object arrays read as text."""
    return pl.DataFrame(
        {
            k: text(v) if isinstance(v, np.ndarray) and v.dtype == object else v
            for k, v in columns.items()
        },
        **kwargs,  # type: ignore[arg-type]
    )
