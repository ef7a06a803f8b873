"""Forecasting benchmark: the platform, bare statsforecast and Prophet on the same series.

    python -m bench --only forecasting --scale 1m          (the harness: `main(scale)`)
    .venv/bin/python -m bench.bench_forecasting [--series 1000] [--prophet 50]

Data: N synthetic series of two years of daily demand, a quarter each smooth, erratic,
intermittent and lumpy by construction (the classifier decides), two warehouses per SKU,
2% of days out of stock. One process, `n_jobs=1`, as the Dagster asset runs it. The scale
is recorded, not used: the series count is fixed (forecasting cost does not grow with the
order-line count, only with the number of series).

(a) platform: `plan()` end to end, with its backtest and forecast phases timed inside.
(b) statsforecast alone: the same model objects, written out here, on the same series (the
    plan's own gap-free daily `y`, prepared beforehand and not timed), the same groups,
    horizon and cutoffs; `cross_validation` per model group, then `forecast` with each
    series' chosen model. `overhead_x` = plan total / bare total. `bare_vs_plan_max_diff`
    checks that the bare forecasts are the plan's.
(c) Prophet (optional, `prophet==1.5.0`, which bundles its compiled Stan model): fitted at
    each backtest cutoff on a seeded sample of the series, scored with the platform's
    metrics on the same points as the plan's chosen models and the seasonal naive.
"""

from __future__ import annotations

import argparse
import logging
import platform
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from typing import Any

import numpy as np
import polars as pl
from statsforecast import StatsForecast
from statsforecast.models import (
    ADIDA,
    IMAPA,
    TSB,
    AutoETS,
    AutoTheta,
    CrostonSBA,
    SeasonalNaive,
)
from statsforecast.utils import ConformalIntervals

from pipelines.forecasting import PlanParams
from pipelines.forecasting import backtest as bt
from pipelines.forecasting import planner as plan_module
from pipelines.forecasting.demand import daily_demand
from pipelines.forecasting.models import to_long

END = date(2025, 6, 30)
WEEKLY = np.array([1.0, 1.0, 1.0, 1.1, 1.3, 1.5, 0.7])
SERIES = 1000
DAYS = 730
SEED = 1
PROPHET_SERIES = 50
PROPHET_SAMPLES = 500  # predictive draws per fit, for the 80% and 95% bands
LEVELS = [80, 95]
# Like for like with the bare statsforecast run below: the same models on the same cutoffs, so
# neither the global model nor the held-back window (the `retail` suite measures those).
PARAMS = PlanParams(global_model=False, held_back=False)
GROUP_OF_CLASS = {
    "smooth": "continuous",
    "erratic": "continuous",
    "intermittent": "intermittent",
    "lumpy": "intermittent",
}


def business(n_series: int, days: int, seed: int) -> dict[str, Any]:
    """Frames for `plan()`: n_series / 2 SKUs in two warehouses."""
    rng = np.random.default_rng(seed)
    n_skus = max(n_series // 2, 1)
    dates = pl.date_range(END - timedelta(days=days - 1), END, eager=True)
    weekday = dates.dt.weekday().to_numpy() - 1
    pattern = np.repeat(np.arange(2 * n_skus) // 2 % 4, days).reshape(-1, days)
    shape = (2 * n_skus, days)
    smooth = rng.poisson(8 * WEEKLY[weekday], shape)
    erratic = rng.poisson(3, shape) * rng.choice([1, 1, 1, 5], shape) + 1
    intermittent = np.where(rng.random(shape) < 0.25, rng.poisson(4, shape) + 1, 0)
    lumpy = np.where(
        rng.random(shape) < 0.2, rng.poisson(2, shape) * rng.choice([1, 8], shape) + 1, 0
    )
    units = np.choose(pattern, [smooth, erratic, intermittent, lumpy])
    out = rng.random(shape) < 0.02
    skus = np.repeat([f"SKU{i:05d}" for i in range(n_skus)], 2)
    warehouses = np.tile(["WH1", "WH2"], n_skus)
    long = pl.DataFrame(
        {
            "sku": np.repeat(skus, days),
            "warehouse_id": np.repeat(warehouses, days),
            "date": pl.Series(np.tile(dates.to_numpy(), 2 * n_skus)),
            "units": np.where(out, 0, units).ravel(),
            "is_stockout": out.ravel(),
        }
    )
    sku_ids = [f"SKU{i:05d}" for i in range(n_skus)]
    return {
        "sales": long.filter(pl.col("units") > 0).drop("is_stockout"),
        "stock_flags": long.filter("is_stockout").drop("units"),
        "positions": pl.DataFrame(
            {
                "sku": skus,
                "warehouse_id": warehouses,
                "on_hand": rng.integers(0, 150, 2 * n_skus),
                "on_order": 0,
                "committed": 0,
            }
        ),
        "products": pl.DataFrame(
            {
                "sku": sku_ids,
                "supplier_id": [f"SUP{i % 5}" for i in range(n_skus)],
                "unit_cost": rng.uniform(2, 50, n_skus),
                "list_price": rng.uniform(60, 120, n_skus),
                "abc_class": ["ABC"[min(i % 5, 2)] for i in range(n_skus)],
                "pack_size": rng.choice([1, 6, 12], n_skus),
                "min_order_qty": rng.choice([1, 24, 50], n_skus),
            }
        ),
        "po_lines": pl.DataFrame(
            {
                "supplier_id": [f"SUP{k % 5}" for k in range(100)],
                "ordered_date": [END - timedelta(days=7 * k + 20) for k in range(100)],
            }
        ).with_columns(
            (pl.col("ordered_date") + pl.duration(days=pl.Series(rng.integers(5, 15, 100)))).alias(
                "received_date"
            )
        ),
        "as_of": END,
    }


# --- (a) the platform ------------------------------------------------------------------------


@contextmanager
def phase_clock(clock: dict[str, float]) -> Iterator[None]:
    """Time the two statsforecast phases inside plan() by wrapping what it calls."""
    originals = {"backtest": plan_module.bt.backtest, "forecast": plan_module.forecast}

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                clock[name] += time.perf_counter() - started

        return wrapper

    plan_module.bt.backtest = timed("backtest", originals["backtest"])
    plan_module.forecast = timed("forecast", originals["forecast"])
    try:
        yield
    finally:
        plan_module.bt.backtest = originals["backtest"]
        plan_module.forecast = originals["forecast"]


def run_platform(data: dict[str, Any]) -> tuple[dict[str, pl.DataFrame], dict[str, float]]:
    clock: dict[str, float] = defaultdict(float)
    with phase_clock(clock):
        started = time.perf_counter()
        result = plan_module.plan(
            data["sales"],
            data["stock_flags"],
            data["positions"],
            data["products"],
            data["po_lines"],
            data["as_of"],
            params=PARAMS,
        )
        clock["total"] = time.perf_counter() - started
    return result, dict(clock)


# --- (b) statsforecast alone -------------------------------------------------------------------


def bare_model(name: str, h: int) -> Any:
    """The plan's model configurations, written out without the platform's code."""
    conformal = ConformalIntervals(h=h, n_windows=5)
    factories: dict[str, Callable[[], Any]] = {
        "AutoETS": lambda: AutoETS(season_length=7, model="ANA", alias="AutoETS"),
        "AutoTheta": lambda: AutoTheta(season_length=7, model="STM", alias="AutoTheta"),
        "CrostonSBA": lambda: CrostonSBA(alias="CrostonSBA", prediction_intervals=conformal),
        "TSB": lambda: TSB(alpha_d=0.1, alpha_p=0.1, alias="TSB", prediction_intervals=conformal),
        "ADIDA": lambda: ADIDA(alias="ADIDA", prediction_intervals=conformal),
        "IMAPA": lambda: IMAPA(alias="IMAPA", prediction_intervals=conformal),
        "SeasonalNaive": lambda: SeasonalNaive(season_length=7, alias="SeasonalNaive"),
    }
    return factories[name]()


GROUP_MODELS = {
    "continuous": ["AutoETS", "AutoTheta", "SeasonalNaive"],
    "intermittent": ["CrostonSBA", "TSB", "ADIDA", "IMAPA", "SeasonalNaive"],
}


def series_table(result: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Per backtested series: `unique_id`, `group`, `model_used`, own `horizon` (untimed)."""
    lead = result["reorder"].select(
        "sku", "warehouse_id", pl.col("explain").struct.field("lead_time_mean")
    )
    return (
        result["backtest"]
        .filter("is_backtested")
        .join(lead, on=["sku", "warehouse_id"])
        .select(
            pl.format("{}/{}", "sku", "warehouse_id").alias("unique_id"),
            "sku",
            "warehouse_id",
            pl.col("demand_class").replace_strict(GROUP_OF_CLASS).alias("group"),
            "model_used",
            # As plan() sets it: the lead time rounded up plus the review period.
            (pl.col("lead_time_mean").ceil().cast(pl.Int64) + PARAMS.review_period_days).alias(
                "horizon"
            ),
        )
    )


def daily_y(data: dict[str, Any], series: pl.DataFrame) -> pl.DataFrame:
    """The plan's own model input (`y`, censored days imputed) and `actual`, untimed."""
    demand = daily_demand(data["sales"], data["stock_flags"], end=data["as_of"])
    return demand.join(
        series.select("sku", "warehouse_id", "unique_id"), on=["sku", "warehouse_id"]
    ).select(
        "unique_id",
        pl.col("date").alias("ds"),
        pl.col("demand_filled").alias("y"),
        pl.col("demand").alias("actual"),
    )


def run_bare(
    y: pl.DataFrame, series: pl.DataFrame, h: int
) -> tuple[pl.DataFrame, pl.DataFrame, dict[str, float]]:
    """Cross-validation per group and forecasts per chosen model, statsforecast only."""
    clock: dict[str, float] = {}
    runs = []
    started = time.perf_counter()
    for group, names in GROUP_MODELS.items():
        ids = series.filter(pl.col("group") == group).get_column("unique_id").implode()
        frame = y.filter(pl.col("unique_id").is_in(ids)).select("unique_id", "ds", "y")
        if frame.is_empty():
            continue
        sf = StatsForecast(models=[bare_model(n, h) for n in names], freq="1d", n_jobs=1)
        wide = sf.cross_validation(
            df=frame,
            h=h,
            n_windows=PARAMS.n_windows,
            step_size=PARAMS.review_period_days,
            level=LEVELS,
            refit=group != "continuous",  # as the plan: ETS/Theta/naive are rolled forward
        )
        runs.append((wide, names))
    clock["cv"] = time.perf_counter() - started
    started = time.perf_counter()
    forecasts = []
    for name in series.get_column("model_used").unique().sort():
        ids = series.filter(pl.col("model_used") == name).get_column("unique_id").implode()
        frame = y.filter(pl.col("unique_id").is_in(ids)).select("unique_id", "ds", "y")
        sf = StatsForecast(models=[bare_model(name, h)], freq="1d", n_jobs=1)
        forecasts.append((sf.forecast(df=frame, h=h, level=LEVELS), name))
    clock["forecast"] = time.perf_counter() - started
    clock["total"] = clock["cv"] + clock["forecast"]
    # Reshaping for the comparison below is not part of the timed work.
    cv = pl.concat(
        [to_long(pl.DataFrame(w), ["unique_id", "ds", "cutoff", "y"], n) for w, n in runs]
    )
    fc = pl.concat([to_long(pl.DataFrame(w), ["unique_id", "ds"], [n]) for w, n in forecasts])
    return cv, fc, clock


def max_forecast_diff(
    bare: pl.DataFrame, result: dict[str, pl.DataFrame], series: pl.DataFrame
) -> float:
    """Largest |bare - plan| forecast over every series and day: 0 means the same models."""
    plan_fc = result["forecasts"].join(
        series.select("sku", "warehouse_id", "unique_id"), on=["sku", "warehouse_id"]
    )
    joined = bare.join(plan_fc.rename({"date": "ds"}), on=["unique_id", "ds"], suffix="_plan")
    return float(joined.select((pl.col("forecast") - pl.col("forecast_plan")).abs().max()).item())


# --- (c) Prophet on a sample ---------------------------------------------------------------


def prophet_cv(y: pl.DataFrame, cutoffs: list[date], h: int, seed: int) -> pl.DataFrame:
    """Prophet refitted at every cutoff of every series: the backtest rows of `to_long`."""
    from prophet import Prophet  # optional: only this suite needs it

    # cmdstanpy re-arms its INFO handler on first use: disable the loggers outright.
    for name in ("prophet", "cmdstanpy"):
        logging.getLogger(name).disabled = True
    np.random.seed(seed)  # Prophet draws its predictive samples from numpy's global state
    rows = []
    history = y.with_columns(pl.col("ds").cast(pl.Datetime("us")))
    for (uid,), frame in history.partition_by("unique_id", as_dict=True).items():
        for cutoff in cutoffs:
            train = frame.filter(pl.col("ds").dt.date() <= cutoff).select("ds", "y").to_pandas()
            model = Prophet(uncertainty_samples=PROPHET_SAMPLES).fit(train)
            future = model.make_future_dataframe(periods=h, include_history=False)
            mean = model.predict(future)["yhat"].to_numpy()
            draws = model.predictive_samples(future)["yhat"]
            lo95, lo80, hi80, hi95 = np.quantile(draws, [0.025, 0.1, 0.9, 0.975], axis=1)
            rows.append(
                pl.DataFrame(
                    {
                        "unique_id": uid,
                        "ds": pl.Series(future["ds"].to_numpy()).cast(pl.Date),
                        "cutoff": cutoff,
                        "model": "Prophet",
                        # Negative demand does not exist: clipped as the platform clips.
                        "forecast": np.clip(mean, 0, None),
                        "lo80": np.clip(lo80, 0, None),
                        "hi80": np.clip(hi80, 0, None),
                        "lo95": np.clip(lo95, 0, None),
                        "hi95": np.clip(hi95, 0, None),
                    }
                )
            )
    return pl.concat(rows)


def compare_prophet(
    y: pl.DataFrame, series: pl.DataFrame, cv: pl.DataFrame, h: int, n: int, seed: int
) -> dict[str, Any]:
    """Prophet vs the plan's chosen models vs the naive: same series, cutoffs and points."""
    try:
        import prophet
    except ImportError:
        return {"prophet": "not installed (pip install prophet==1.5.0)"}
    sample = series.sample(n=min(n, series.height), seed=seed)
    ids = sample.get_column("unique_id").implode()
    cutoffs = sorted(cv.get_column("cutoff").unique().to_list())
    started = time.perf_counter()
    fitted = prophet_cv(y.filter(pl.col("unique_id").is_in(ids)), cutoffs, h, seed)
    seconds = time.perf_counter() - started
    chosen = cv.join(sample.select("unique_id", "model_used"), on="unique_id").filter(
        (pl.col("model") == pl.col("model_used")) | (pl.col("model") == "SeasonalNaive")
    )
    scopes = pl.concat(
        [
            chosen.filter(pl.col("model") == pl.col("model_used")).with_columns(
                scope=pl.lit("plan")
            ),
            chosen.filter(pl.col("model") == "SeasonalNaive").with_columns(scope=pl.lit("naive")),
            fitted.with_columns(scope=pl.lit("prophet")),
        ],
        how="diagonal_relaxed",
    )
    observed = y.select("unique_id", "ds", "actual")
    points = bt.score_points(scopes, observed, sample.select("unique_id", "horizon", "group"))
    by_group = pl.concat([points, points.with_columns(group=pl.lit("all"))])
    scores = by_group.group_by("group", "scope").agg(bt.metric_exprs()).sort("group", "scope")
    figures: dict[str, Any] = {
        "prophet_version": prophet.__version__,
        "prophet_series": sample.height,
        "prophet_fits": sample.height * len(cutoffs),
        "prophet_s": round(seconds, 1),
        "prophet_s_per_series": round(seconds / sample.height, 3),
        "prophet_sample_classes": _counts(sample, "group"),
    }
    for row in scores.iter_rows(named=True):
        prefix = f"sample_{row['group']}_{row['scope']}"
        figures |= {f"{prefix}_{m}": round(row[m], 4) for m in bt.METRICS}
        figures[f"{prefix}_n_points"] = row["n_points"]
    return figures


# --- the suite -----------------------------------------------------------------------------


def _counts(frame: pl.DataFrame, column: str) -> str:
    counts = frame.group_by(column).len().sort(column)
    return ", ".join(f"{value} {k}" for value, k in counts.iter_rows())


def main(
    scale: str = "fixed",
    series: int = SERIES,
    days: int = DAYS,
    prophet_series: int = PROPHET_SERIES,
    seed: int = SEED,
) -> dict[str, Any]:
    """Timings of (a) plan(), (b) bare statsforecast, (c) Prophet, and their accuracy."""
    data = business(series, days, seed)
    result, plan_clock = run_platform(data)
    table = series_table(result)
    y = daily_y(data, table)
    h = int(result["forecasts"].group_by("sku", "warehouse_id").len().get_column("len").max())
    cv, bare_fc, bare_clock = run_bare(y, table, h)
    n = result["backtest"].height
    per_1000 = 1000 / n
    overall = result["accuracy"].filter(pl.col("demand_class") == "all")
    figures: dict[str, Any] = {
        "scale": scale,
        "series": n,
        "days": days,
        "horizon_days": h,
        "classes": _counts(result["backtest"], "demand_class"),
        "models_used": _counts(result["backtest"], "model_used"),
        "plan_total_s": round(plan_clock["total"], 2),
        "plan_backtest_s": round(plan_clock["backtest"], 2),
        "plan_forecast_s": round(plan_clock["forecast"], 2),
        "plan_s_per_1000_series": round(plan_clock["total"] * per_1000, 2),
        "bare_cv_s": round(bare_clock["cv"], 2),
        "bare_forecast_s": round(bare_clock["forecast"], 2),
        "bare_total_s": round(bare_clock["total"], 2),
        "overhead_x": round(plan_clock["total"] / bare_clock["total"], 3),
        "phases_overhead_x": round(
            (plan_clock["backtest"] + plan_clock["forecast"]) / bare_clock["total"], 3
        ),
        "bare_vs_plan_max_diff": max_forecast_diff(bare_fc, result, table),
    }
    for row in overall.iter_rows(named=True):
        figures |= {f"all_{row['scope']}_{m}": round(row[m], 4) for m in bt.METRICS}
    if prophet_series > 0:
        figures |= compare_prophet(y, table, cv, h, prophet_series, seed)
        figures["platform_s_per_series"] = round(plan_clock["total"] / n, 3)
    return figures


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--series", type=int, default=SERIES)
    parser.add_argument("--days", type=int, default=DAYS)
    parser.add_argument("--prophet", type=int, default=PROPHET_SERIES, help="0: skip Prophet")
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args()
    figures = main("cli", args.series, args.days, args.prophet, args.seed)
    print(f"forecasting benchmark, {platform.machine()}, Python {platform.python_version()}")
    for key, value in figures.items():
        print(f"  {key:>28}: {value}")


if __name__ == "__main__":
    cli()
