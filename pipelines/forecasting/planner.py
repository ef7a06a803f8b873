"""`plan()`: from sales, stock and purchase history to forecasts, reorder list and transfers.

Steps: daily demand with stockouts censored -> demand classes -> lead times -> per-series
horizon (ceil(lead time) + review period) -> rolling-origin backtest of the candidates of
each class against the seasonal naive -> forecast with the chosen model -> policy (safety
stock, reorder point, quantities, dates) -> transfers between warehouses -> policy again
with the transfers counted -> explanation of every line.

Refitting is weekly, re-planning daily: given the previous plan's `Fit`, a plan made less than
`review_period_days` after that fit's day keeps its model choices, accuracy and model
forecasts (they were made `review_period_days - 1` days longer than the horizon for this) and
recomputes the rest: demand statistics, stock positions, the short-history and zero-demand
series, the policy, transfers and reorder list. A series the fit did not know is planned as
not backtested until the next refit.

Series too short to backtest get the mean of their in-stock days over the last
`demand_window_days` (intervals: empirical quantiles of those days); series with no demand
get zero. Both say so in `model_used` / `model_reason`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import partial

import polars as pl

from pipelines.forecasting import backtest as bt
from pipelines.forecasting.classify import classify_demand
from pipelines.forecasting.demand import SERIES, daily_demand, last_complete_day
from pipelines.forecasting.explain import sentence, with_explanation
from pipelines.forecasting.global_model import (
    GLOBAL,
    conformal_widths,
    global_cross_validate,
    global_forecast,
    promotions,
    with_conformal_bounds,
)
from pipelines.forecasting.lead_time import (
    DEFAULT_LEAD_TIME_CV,
    DEFAULT_LEAD_TIME_DAYS,
    MIN_RECEIPTS,
    default_lead_time,
    lead_time_stats,
)
from pipelines.forecasting.models import (
    BOUNDS,
    GROUP_OF_CLASS,
    candidates,
    forecast,
    min_history,
)
from pipelines.forecasting.policy import PolicyParams, position_expr, replenishment
from pipelines.forecasting.projection import demand_over, projected_stockout
from pipelines.forecasting.transfers import (
    TRANSFER_COST_PER_UNIT,
    TRANSFER_LEAD_DAYS,
    net_transfers,
    suggest_transfers,
)

Frame = pl.DataFrame | pl.LazyFrame


@dataclass(frozen=True)
class PlanParams:
    review_period_days: int = 7
    n_windows: int = 3
    step_days: int | None = None  # days between backtest cutoffs; default: review period
    include_arima: bool = False
    demand_window_days: int = 91  # history behind d and sigma_d
    min_receipts: int = MIN_RECEIPTS
    default_lead_time_days: float = DEFAULT_LEAD_TIME_DAYS
    default_lead_time_cv: float = DEFAULT_LEAD_TIME_CV
    transfer_cost_per_unit: float = TRANSFER_COST_PER_UNIT
    transfer_lead_days: int = TRANSFER_LEAD_DAYS
    policy: PolicyParams = field(default_factory=PolicyParams)
    global_model: bool = True  # LightGBM over all series as one more candidate
    held_back: bool = True  # score the choice on a held-back window after the selection ones
    refit_days: int | None = None  # days a fit is reused; default: the review period

    @property
    def refit_every_days(self) -> int:
        return self.refit_days or self.review_period_days


FALLBACK_MODELS = ("Zero", "HistoricMean")


@dataclass(frozen=True)
class Fit:
    """A previous plan's model fit: its `backtest`, `forecasts` and `accuracy` frames."""

    backtest: pl.DataFrame
    forecasts: pl.DataFrame
    accuracy: pl.DataFrame

    @property
    def as_of(self) -> date | None:
        """The day the models were chosen and fitted (`fitted_as_of` of the backtest)."""
        if self.backtest.is_empty() or "fitted_as_of" not in self.backtest.columns:
            return None
        return self.backtest.get_column("fitted_as_of").max()  # type: ignore[return-value]

    def reusable(self, as_of: date, review_period_days: int) -> bool:
        """True when `as_of` falls within the review period that started on the fit's day."""
        fitted = self.as_of
        return fitted is not None and 0 <= (as_of - fitted).days < review_period_days


def plan(
    sales: Frame,
    stock_flags: Frame | None,
    positions: Frame,
    products: Frame,
    po_lines: Frame,
    as_of: date,
    suppliers: Frame | None = None,
    lanes: pl.DataFrame | None = None,
    params: PlanParams | None = None,
    fit: Fit | None = None,
    order_times: Frame | None = None,
) -> dict[str, pl.DataFrame]:
    """Forecasts, backtest, reorder list, transfers and accuracy as of the end of `as_of`.

    sales: `sku`, `warehouse_id`, `date`, `units` (any number of rows per day).
    stock_flags: `sku`, `warehouse_id`, `date`, `is_stockout` (days without a row: in stock).
    positions: `sku`, `warehouse_id`, `on_hand`, `on_order`, `committed` at the end of
        `as_of`; a series with sales but no row counts as all zero.
    products: `sku`, `supplier_id`, `unit_cost`, `pack_size`, `min_order_qty`, `abc_class`
        (from marts.product_sales: ABC is defined there once).
    po_lines: `supplier_id`, `ordered_date`, `received_date` (null while open).
    suppliers: optional `supplier_id`, `lead_time_days` (nominal, the fallback).
    lanes: optional per-pair transfer `from_warehouse_id`, `to_warehouse_id`,
        `cost_per_unit`, `lead_days` (others: the flat parameters).

    order_times: optional `date`, `at` of every order (the data's clock): when the export
        was cut during its last day (`demand.last_complete_day`), that day's demand is
        censored, not read as a collapse.
    fit: optional, the previous plan's frames; reused when `as_of` is less than
        `review_period_days` after its `fitted_as_of` (see the module docstring).

    Returns `forecasts`, `backtest`, `reorder`, `transfers`, `accuracy`: their columns are
    listed in the docstring of `pipelines.forecasting`.
    """
    params = params or PlanParams()
    review = params.review_period_days
    complete = last_complete_day(order_times) if order_times is not None else None
    demand = daily_demand(sales, stock_flags, end=as_of, complete_through=complete)
    series = _series(demand, products, sales, po_lines, suppliers, params)
    horizon = int(series.get_column("horizon").max() or review)
    step = params.step_days or review
    # The selection windows, then the held-back window after them (see backtest.py).
    needed = min_history(horizon) + (1 + params.held_back) * horizon + (params.n_windows - 1) * step
    series = series.with_columns(
        (pl.col("model_group").is_not_null() & (pl.col("n_days") >= needed)).alias("is_backtested")
    )
    if fit is not None and fit.reusable(as_of, params.refit_every_days):
        series, choice, forecasts, accuracy, fitted_as_of = _reused(
            fit, series, demand, as_of, horizon, needed, params
        )
    else:
        y = demand.join(series.select(*SERIES, "unique_id", "model_group"), on=SERIES).select(
            "unique_id",
            pl.col("date").alias("ds"),
            pl.col("demand_filled").alias("y"),
            pl.col("demand").alias("actual"),
            "model_group",
        )
        tested = series.filter("is_backtested")
        y_tested = y.filter(pl.col("unique_id").is_in(tested.get_column("unique_id").implode()))
        promo = promotions(sales) if params.global_model else None
        choice, accuracy, widths = _backtest(y_tested, tested, horizon, step, params, promo)
        choice = _with_fallback_choice(series, choice, needed)
        # Made for the days until the refit after next too, so that later re-plans stay covered.
        days = horizon + params.refit_every_days - 1
        forecasts = _forecasts(y_tested, series, choice, demand, as_of, days, params, promo, widths)
        fitted_as_of = as_of

    # The policy looks `horizon` days ahead, however far the forecasts reach.
    ahead = forecasts.filter(pl.col("date") <= as_of + timedelta(days=horizon))
    status = _status(series, demand, positions, ahead, choice, as_of, params)
    transfers = suggest_transfers(
        status,
        as_of,
        review,
        lanes=lanes,
        cost_per_unit=params.transfer_cost_per_unit,
        lead_days=params.transfer_lead_days,
        ordering_cost=params.policy.ordering_cost,
        holding_rate=params.policy.holding_rate,
    )
    # The same policy again with the transfers counted: a covered deficit orders nothing.
    after = _status(series, demand, positions, ahead, choice, as_of, params, transfers)
    return {
        "forecasts": forecasts.select(*SERIES, "date", "forecast", *BOUNDS, "model").sort(
            [*SERIES, "date"]
        ),
        "backtest": _backtest_table(series, choice).with_columns(
            pl.lit(fitted_as_of).alias("fitted_as_of")
        ),
        "reorder": _reorder(after),
        "transfers": transfers,
        "accuracy": accuracy,
    }


def _series(
    demand: pl.DataFrame,
    products: Frame,
    sales: Frame,
    po_lines: Frame,
    suppliers: Frame | None,
    params: PlanParams,
) -> pl.DataFrame:
    """One row per series: id, class, product facts, ABC class, lead time, horizon."""
    products = products.lazy().collect()
    if "abc_class" not in products.columns:
        # ABC is defined once, in marts.product_sales; the plan never re-derives it.
        raise ValueError("products needs an `abc_class` column (from marts.product_sales)")
    lead = lead_time_stats(
        po_lines,
        suppliers,
        by="supplier_id",
        min_receipts=params.min_receipts,
        default_cv=params.default_lead_time_cv,
    )
    fallback = default_lead_time(params.default_lead_time_days, params.default_lead_time_cv)
    facts = products.select(
        "sku",
        "supplier_id",
        "unit_cost",
        "pack_size",
        "min_order_qty",
        "abc_class",
    ).join(lead, on="supplier_id", how="left")
    return (
        classify_demand(demand)
        .with_row_index("row")
        .join(facts, on="sku", how="left")
        .with_columns(
            pl.format("s{}", pl.col("row")).alias("unique_id"),
            pl.col("demand_class")
            .replace_strict(GROUP_OF_CLASS, default=None)
            .alias("model_group"),
            pl.col("lead_time_mean").fill_null(fallback["lead_time_mean"]),
            pl.col("lead_time_std").fill_null(fallback["lead_time_std"]),
            pl.col("lead_time_source").fill_null(fallback["lead_time_source"]),
            pl.col("pack_size").fill_null(1),
            pl.col("min_order_qty").fill_null(1),
            pl.col("abc_class").fill_null("C"),
        )
        .with_columns(
            (pl.col("lead_time_mean").ceil().cast(pl.Int64) + params.review_period_days).alias(
                "horizon"
            )
        )
        .drop("row")
    )


def _backtest(
    y: pl.DataFrame,
    tested: pl.DataFrame,
    horizon: int,
    step: int,
    params: PlanParams,
    promo: pl.DataFrame | None = None,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Per-series choice (unique_id, model_best, model_used, ...), accuracy totals, and the
    global model's conformal widths (`global_model.conformal_widths`)."""
    no_widths = pl.DataFrame(schema={"unique_id": pl.String, "q80": pl.Float64, "q95": pl.Float64})
    if tested.is_empty():
        values = ["actual", "forecast", "scale", *BOUNDS]
        empty = bt.choose_on_selection(
            pl.DataFrame(
                schema={"unique_id": pl.String, "model": pl.String, "window": pl.String}
                | {v: pl.Float64 for v in values}
            )
        )
        counts = {"n_series": pl.UInt32, "n_points": pl.UInt32}
        keys = {"window": pl.String, "demand_class": pl.String, "scope": pl.String}
        totals = pl.DataFrame(schema=keys | counts | {m: pl.Float64 for m in bt.METRICS})
        return empty, totals, no_widths
    names = {
        group: candidates(group, params.include_arima)
        for group in tested.get_column("model_group").unique()
    }
    points = bt.backtest(
        y.drop("actual"),
        y.select("unique_id", "ds", "actual"),
        names,
        h=horizon,
        n_windows=params.n_windows,
        step=step,
        horizons=tested.select("unique_id", "horizon"),
        global_run=partial(global_cross_validate, promo=promo) if params.global_model else None,
        held_back=params.held_back,
    )
    widths = no_widths
    if params.global_model:
        # Held-back bands from the selection windows' errors; forecasts' from both.
        selection_widths = conformal_widths(bt.window(points, bt.SELECTION))
        points = with_conformal_bounds(points, selection_widths)
        widths = conformal_widths(points)
    choice = bt.choose_on_selection(points)
    return choice, bt.accuracy(points, choice, tested), widths


def _reused(
    fit: Fit,
    series: pl.DataFrame,
    demand: pl.DataFrame,
    as_of: date,
    horizon: int,
    needed: int,
    params: PlanParams,
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame, date]:
    """The fit's classes, choices and model forecasts for today's series; fallbacks anew.

    A re-plan needs only the recent history (`demand_window_days`): the demand classes of
    the series the fit knows are the fit's, not re-derived from what was passed.
    """
    series = series.update(
        fit.backtest.select(*SERIES, "demand_class", "adi", "cv2"), on=SERIES, how="left"
    )
    kept = fit.backtest.filter(
        pl.col("is_backtested") & ~pl.col("model_used").is_in(FALLBACK_MODELS)
    ).drop("demand_class", "adi", "cv2", "fitted_as_of", strict=False)
    series = series.drop("is_backtested").join(
        kept.select(*SERIES, "is_backtested"), on=SERIES, how="left"
    )
    series = series.with_columns(pl.col("is_backtested").fill_null(False))
    choice = series.join(kept.drop("is_backtested"), on=SERIES).select(
        "unique_id", *[c for c in kept.columns if c not in (*SERIES, "is_backtested")]
    )
    choice = _with_fallback_choice(series, choice, needed)
    # Every day still ahead is kept: the next re-plan of this fit reads them from here.
    future = fit.forecasts.filter(
        (pl.col("date") > as_of) & ~pl.col("model").is_in(FALLBACK_MODELS)
    )
    modelled = future.join(series.select("unique_id", *SERIES), on=SERIES).join(
        choice.select("unique_id"), on="unique_id", how="semi"
    )
    fallback = _fallback_forecasts(series, choice, demand, as_of, horizon, params).join(
        series.select("unique_id", *SERIES), on="unique_id"
    )
    forecasts = pl.concat([modelled, fallback.rename({"ds": "date"})], how="diagonal_relaxed")
    return series, choice, forecasts, fit.accuracy, fit.as_of  # type: ignore[return-value]


def _with_fallback_choice(series: pl.DataFrame, choice: pl.DataFrame, needed: int) -> pl.DataFrame:
    """Add a choice row for every series that was not backtested."""
    untested = series.filter(~pl.col("is_backtested")).select(
        "unique_id",
        pl.when(pl.col("demand_class") == "no_demand")
        .then(pl.lit("Zero"))
        .otherwise(pl.lit("HistoricMean"))
        .alias("model_used"),
        pl.when(pl.col("demand_class") == "no_demand")
        .then(sentence("reason_no_demand"))
        .when(pl.col("model_group").is_not_null() & (pl.col("n_days") >= needed))
        .then(sentence("reason_new"))
        .otherwise(
            sentence(
                "reason_short",
                demand_class=pl.col("demand_class"),
                n_days=pl.col("n_days"),
                needed=pl.lit(needed),
            )
        )
        .alias("model_reason"),
    )
    return pl.concat([choice, untested], how="diagonal_relaxed")


def _forecasts(
    y: pl.DataFrame,
    series: pl.DataFrame,
    choice: pl.DataFrame,
    demand: pl.DataFrame,
    as_of: date,
    horizon: int,
    params: PlanParams,
    promo: pl.DataFrame | None = None,
    widths: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Daily forecasts for every series with the model chosen for it.

    y: the backtested series (the global model learns from all of them).
    """
    parts = []
    tested = choice.filter(~pl.col("model_used").is_in(["Zero", "HistoricMean"]))
    for name in tested.get_column("model_used").unique().sort():
        ids = tested.filter(pl.col("model_used") == name).get_column("unique_id")
        if name == GLOBAL:
            made = global_forecast(y, ids.to_list(), horizon, promo)
            parts.append(
                with_conformal_bounds(made, widths if widths is not None else pl.DataFrame())
            )
            continue
        frame = y.filter(pl.col("unique_id").is_in(ids.implode())).select("unique_id", "ds", "y")
        parts.append(forecast(frame, name, horizon))
    parts.append(_fallback_forecasts(series, choice, demand, as_of, horizon, params))
    return (
        pl.concat(parts, how="diagonal_relaxed")
        .join(series.select("unique_id", *SERIES), on="unique_id")
        .rename({"ds": "date"})
    )


def _fallback_forecasts(
    series: pl.DataFrame,
    choice: pl.DataFrame,
    demand: pl.DataFrame,
    as_of: date,
    horizon: int,
    params: PlanParams,
) -> pl.DataFrame:
    fallback = choice.filter(pl.col("model_used").is_in(["Zero", "HistoricMean"])).join(
        series.select("unique_id", *SERIES), on="unique_id"
    )
    recent = _recent(demand, as_of, params.demand_window_days)
    quantiles = [("lo80", 0.1), ("hi80", 0.9), ("lo95", 0.025), ("hi95", 0.975)]
    values = ["forecast", *[name for name, _ in quantiles]]
    days = pl.date_range(as_of + timedelta(days=1), as_of + timedelta(days=horizon), eager=True)
    return (
        fallback.join(recent, on=SERIES, how="left")
        .group_by("unique_id", "model_used")
        .agg(
            pl.col("demand").mean().alias("forecast"),
            *[pl.col("demand").quantile(q).alias(name) for name, q in quantiles],
        )
        .with_columns(
            pl.when(pl.col("model_used") == "Zero")
            .then(0.0)
            .otherwise(pl.col(name).cast(pl.Float64).fill_null(0.0))
            .alias(name)
            for name in values
        )
        .rename({"model_used": "model"})
        .join(pl.DataFrame({"ds": days}), how="cross")
    )


def _recent(demand: pl.DataFrame, as_of: date, window: int) -> pl.DataFrame:
    """In-stock days of the last `window` days up to `as_of`."""
    start = as_of - timedelta(days=window - 1)
    return demand.filter(pl.col("date") >= start).select(*SERIES, "date", "demand")


def _demand_stats(demand: pl.DataFrame, as_of: date, window: int) -> pl.DataFrame:
    """`d` and `sigma_d`: mean and std of in-stock daily demand over the last `window` days."""
    return (
        _recent(demand, as_of, window)
        .group_by(SERIES)
        .agg(
            pl.col("demand").mean().fill_null(0.0).alias("d"),
            pl.col("demand").std().fill_null(0.0).alias("sigma_d"),
        )
    )


def _status(
    series: pl.DataFrame,
    demand: pl.DataFrame,
    positions: Frame,
    forecasts: pl.DataFrame,
    choice: pl.DataFrame,
    as_of: date,
    params: PlanParams,
    transfers: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Policy inputs (d, sigma_d, stock, forecast sums, stockout date) and outputs per series."""
    stock = (
        positions.lazy()
        .collect()
        .select(
            *SERIES, *[pl.col(c).cast(pl.Float64) for c in ("on_hand", "on_order", "committed")]
        )
    )
    moves = (
        net_transfers(transfers)
        if transfers is not None
        else pl.DataFrame(schema={"sku": pl.String, "warehouse_id": pl.String})
    )
    # A fit stored before held-back scores existed has none: they show as n/a until a refit.
    scores = ("wape", "mase", "holdout_wape", "holdout_mase")
    choice = choice.with_columns(
        pl.lit(None, dtype=pl.Float64).alias(c) for c in scores if c not in choice.columns
    )
    frame = (
        series.join(_demand_stats(demand, as_of, params.demand_window_days), on=SERIES, how="left")
        .join(stock, on=SERIES, how="left")
        .join(moves, on=SERIES, how="left")
        .join(
            choice.select("unique_id", "model_used", "model_reason", *scores),
            on="unique_id",
            how="left",
        )
        .rename({"wape": "backtest_wape", "mase": "backtest_mase"})
        .with_columns(
            pl.col("on_hand", "on_order", "committed").fill_null(0.0),
            *[
                (pl.col(c) if c in moves.columns else pl.lit(0)).fill_null(0).alias(c)
                for c in ("transfer_in", "transfer_out")
            ],
            pl.lit(params.review_period_days).alias("review_days"),
        )
    )
    frame = frame.with_columns(position_expr(frame.columns).alias("position"))
    stockout = projected_stockout(forecasts, frame.select(*SERIES, "position"))
    spans = demand_over(forecasts, frame.select(*SERIES, "lead_time_mean", "review_days"))
    return replenishment(
        frame.join(stockout, on=SERIES, how="left").join(spans, on=SERIES, how="left"),
        as_of,
        params.policy,
    )


REORDER_COLUMNS = [
    *SERIES,
    "supplier_id",
    "needs_order",
    "order_qty",
    "order_by_date",
    "is_late",
    "stockout_date",
    "position",
    "reorder_point",
    "safety_stock",
    "on_hand",
    "on_order",
    "committed",
    "transfer_in",
    "transfer_out",
    "demand_class",
    "abc_class",
    "model_used",
    "explain",
    "why",
]


def _reorder(status: pl.DataFrame) -> pl.DataFrame:
    """Every series with its policy numbers; lines to order first, the most urgent first."""
    return (
        with_explanation(status)
        .select(REORDER_COLUMNS)
        .sort(
            ["needs_order", "order_by_date", *SERIES],
            descending=[True, False, False, False],
            nulls_last=True,
        )
    )


def _backtest_table(series: pl.DataFrame, choice: pl.DataFrame) -> pl.DataFrame:
    """Per series: class, whether backtested, model chosen and why, its and the naive's scores."""
    return (
        series.select("unique_id", *SERIES, "demand_class", "adi", "cv2", "is_backtested")
        .join(choice, on="unique_id", how="left")
        .drop("unique_id")
        .sort(SERIES)
    )
