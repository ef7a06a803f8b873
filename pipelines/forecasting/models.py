"""Which statsforecast models a demand class gets, and running them on many series at once.

- smooth / erratic: AutoETS fixed to the form A,N,A (additive error and weekly season, no
  trend) and AutoTheta fixed to the standard theta method (STM); AutoARIMA only on request.
  Measured here on two-year daily series, backtest of 3 windows (rolled forward) + forecast,
  per series: ETS ANA 42 + 44 ms (ZNZ 109 + 131, the full search more), Theta STM 25 + 23 ms
  (automatic choice 236 + 173), with the same backtest MAE on the benchmark data; AutoARIMA
  about 3 s.
- intermittent / lumpy: CrostonSBA, TSB (alpha_d = alpha_p = 0.1), ADIDA, IMAPA. They give no
  prediction intervals of their own, so theirs are conformal: statsforecast's
  `ConformalIntervals` backtests each model on `CONFORMAL_WINDOWS` windows of the horizon
  inside the training data and takes quantiles of the absolute errors.
- SeasonalNaive(7) for every series: the floor each candidate must beat in the backtest.

Every call fits all the series of a group in one `StatsForecast(..., n_jobs=1)` (the lead
runs assets in parallel; one process per core is enough). Forecasts and bounds are clipped
at zero: negative demand does not exist.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import polars as pl
from statsforecast import StatsForecast
from statsforecast.models import (
    ADIDA,
    IMAPA,
    TSB,
    AutoARIMA,
    AutoETS,
    AutoTheta,
    CrostonSBA,
    SeasonalNaive,
)
from statsforecast.utils import ConformalIntervals

SEASON = 7
LEVELS = (80, 95)
# 5 windows: with 2, intermittent 80% intervals covered about 60% of backtest days here;
# with 5 about 75%, at no measurable cost (these models fit in under a millisecond).
CONFORMAL_WINDOWS = 5
NAIVE = "SeasonalNaive"
BOUNDS = [f"{side}{level}" for level in LEVELS for side in ("lo", "hi")]


def _conformal(h: int) -> ConformalIntervals:
    return ConformalIntervals(h=h, n_windows=CONFORMAL_WINDOWS)


# name -> factory(h); the names are the `model` values in every output frame.
MODEL_FACTORIES: dict[str, Callable[[int], Any]] = {
    "AutoETS": lambda h: AutoETS(season_length=SEASON, model="ANA", alias="AutoETS"),
    "AutoTheta": lambda h: AutoTheta(season_length=SEASON, model="STM", alias="AutoTheta"),
    "AutoARIMA": lambda h: AutoARIMA(season_length=SEASON, alias="AutoARIMA"),
    "CrostonSBA": lambda h: CrostonSBA(alias="CrostonSBA", prediction_intervals=_conformal(h)),
    "TSB": lambda h: TSB(alpha_d=0.1, alpha_p=0.1, alias="TSB", prediction_intervals=_conformal(h)),
    "ADIDA": lambda h: ADIDA(alias="ADIDA", prediction_intervals=_conformal(h)),
    "IMAPA": lambda h: IMAPA(alias="IMAPA", prediction_intervals=_conformal(h)),
    NAIVE: lambda h: SeasonalNaive(season_length=SEASON, alias=NAIVE),
}

CONTINUOUS = ["AutoETS", "AutoTheta"]
INTERMITTENT = ["CrostonSBA", "TSB", "ADIDA", "IMAPA"]
# Models whose fitted parameters can be rolled forward over backtest windows without refit.
_FORWARDABLE = {"AutoETS", "AutoTheta", "AutoARIMA", NAIVE}

GROUP_OF_CLASS = {
    "smooth": "continuous",
    "erratic": "continuous",
    "intermittent": "intermittent",
    "lumpy": "intermittent",
}


def candidates(group: str, include_arima: bool = False) -> list[str]:
    """Candidate model names for a model group (`continuous` or `intermittent`), naive last."""
    names = list(CONTINUOUS) + (["AutoARIMA"] if include_arima else [])
    if group == "intermittent":
        names = list(INTERMITTENT)
    return [*names, NAIVE]


def min_history(h: int) -> int:
    """Fewest days a series needs for its models to fit (conformal windows + a season)."""
    return (CONFORMAL_WINDOWS + 1) * h + 2 * SEASON


def cross_validate(
    y: pl.DataFrame, names: Sequence[str], h: int, n_windows: int, step: int
) -> pl.DataFrame:
    """Rolling-origin forecasts of each model: `unique_id`, `ds`, `cutoff`, `y`, `model`, ...

    y: `unique_id`, `ds` (Date), `y` (Float64, no gaps, no nulls).
    Groups whose models can all be rolled forward are fitted once at the first cutoff
    (refit=False: several times faster for ETS/Theta); the intermittent models are cheap
    and need the refit (they cannot be rolled forward).
    """
    refit = not set(names) <= _FORWARDABLE
    sf = _statsforecast(names, h)
    wide = sf.cross_validation(
        df=y, h=h, n_windows=n_windows, step_size=step, level=list(LEVELS), refit=refit
    )
    return to_long(pl.DataFrame(wide), ["unique_id", "ds", "cutoff", "y"], names)


def forecast(y: pl.DataFrame, name: str, h: int) -> pl.DataFrame:
    """Forecast `h` days after each series' last day with one model: long form (see to_long)."""
    wide = _statsforecast([name], h).forecast(df=y, h=h, level=list(LEVELS))
    return to_long(pl.DataFrame(wide), ["unique_id", "ds"], [name])


def to_long(wide: pl.DataFrame, keys: list[str], names: Sequence[str]) -> pl.DataFrame:
    """statsforecast's one-column-per-model frame -> one row per model with fixed columns."""
    parts = [
        wide.select(
            *keys,
            pl.lit(name).alias("model"),
            pl.col(name).clip(lower_bound=0.0).alias("forecast"),
            *[
                pl.col(f"{name}-{side}-{level}").clip(lower_bound=0.0).alias(f"{side}{level}")
                for level in LEVELS
                for side in ("lo", "hi")
            ],
        )
        for name in names
    ]
    return pl.concat(parts)


def _statsforecast(names: Sequence[str], h: int) -> StatsForecast:
    models = [MODEL_FACTORIES[name](h) for name in names]
    return StatsForecast(models=models, freq="1d", n_jobs=1)
