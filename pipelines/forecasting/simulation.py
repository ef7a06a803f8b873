"""Policy simulation: what following the plan would have achieved over the last weeks.

The last `weeks` weeks are replayed day by day with only the data known on each day:

- the forecast is refitted every `refit_weeks` weeks (the first fit at the end of the replay's
  first day) on the history up to that day, and the plan is re-made every day on it;
- at the end of each day the policy sees the simulated stock position (on hand + on order) and
  orders what the plan's rules say: safety stock, reorder point and order quantity come from
  `policy.replenishment` (service level = the target, for every ABC class), d and sigma_d are
  the plan's (in-stock days of the last `demand_window_days`), lead-time and review-period
  demand are walked down the forecast (`projection.demand_over`), and the lead time mean and
  spread are measured from the purchase orders received by that day (`lead_time_stats`);
- an order placed at the end of day t arrives at the start of day t + L, L drawn (seeded) from
  the supplier's own received purchase orders (the quoted lead time where it has none). The
  same draws serve every policy, so they differ by their rules alone;
- each day's demand is the real one: what was sold on in-stock days, the plan's imputation
  (`demand.impute_censored`) on the days the real shelf was empty. Demand met comes off the
  shelf; demand beyond the stock is lost (not back-ordered);
- the replay starts from the real stock on hand at the end of the day before, with the real
  purchase orders then open arriving on their real receipt days (a series with no stock record
  starts with its mean demand over lead time + review period on hand).

Policies: `plan_policy` (the above) and `min_max`, the simple rule it is measured against: order up
to max = min + d x review period whenever the position is at or below min = d x L + safety stock
without forecast or lead-time spread (z x sigma_d x sqrt(L)), each for the service targets
90, 95 and 98%; and `actual`, what really happened, where the stock history shows it.

Metrics per series (`scope` = `series`) and pooled (`all`; `intermittent`: demand classed
intermittent or lumpy; `not_intermittent`: every other series, smooth, erratic and the
histories too short to classify), see docs/metrics.md:
- fill rate = demand met / demand;
- cycle service level = replenishment cycles without a stockout / cycles; a cycle runs from
  one receipt (the first from the replay's first day) to the day before the next receipt, so
  only cycles closed by a receipt count; a stockout is a day with demand lost (for `actual`,
  a day the stock history marks as out of stock);
- stockout days, average stock (units on hand at the end of each day) and its value at unit
  cost, orders placed and units ordered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import NamedTuple

import numpy as np
import polars as pl

from pipelines.forecasting.demand import SERIES, daily_demand
from pipelines.forecasting.lead_time import default_lead_time, lead_time_stats
from pipelines.forecasting.planner import PlanParams, plan
from pipelines.forecasting.policy import (
    PolicyParams,
    replenishment,
    round_up_to_pack,
    safety_stock,
    service_z,
)
from pipelines.forecasting.projection import demand_over

PLAN = "plan_policy"
MIN_MAX = "min_max"
ACTUAL = "actual"
TARGETS = (0.90, 0.95, 0.98)
INTERMITTENT_CLASSES = ("intermittent", "lumpy")
SCOPES = ("series", "all", "not_intermittent", "intermittent")

Frame = pl.DataFrame | pl.LazyFrame
# as_of -> forecasts made at the end of that day: `sku`, `warehouse_id`, `date`, `forecast`
# (the days after as_of), and the demand classes: `sku`, `warehouse_id`, `demand_class`.
Forecaster = Callable[[date], tuple[pl.DataFrame, pl.DataFrame]]


@dataclass(frozen=True)
class SimulationParams:
    weeks: int = 26  # days replayed = 7 x weeks, ending on the data's last day
    refit_weeks: int = 4  # the forecast is refitted every so many simulated weeks
    targets: tuple[float, ...] = TARGETS
    seed: int = 0  # lead-time draws
    plan: PlanParams = field(default_factory=PlanParams)


COLUMNS: dict[str, pl.DataType] = {
    "policy": pl.String(),
    "service_target": pl.Float64(),
    "scope": pl.String(),
    "sku": pl.String(),
    "warehouse_id": pl.String(),
    "demand_class": pl.String(),
    "start_date": pl.Date(),
    "end_date": pl.Date(),
    "n_series": pl.UInt32(),
    "demand_units": pl.Float64(),
    "met_units": pl.Float64(),
    "lost_units": pl.Float64(),
    "fill_rate": pl.Float64(),
    "cycles": pl.Int64(),
    "cycles_without_stockout": pl.Int64(),
    "cycle_service_level": pl.Float64(),
    "stockout_days": pl.Int64(),
    "avg_stock_units": pl.Float64(),
    "avg_stock_value": pl.Decimal(18, 2),  # money, as the house keeps it
    "orders_placed": pl.Int64(),
    "units_ordered": pl.Float64(),
}


class Simulation(NamedTuple):
    metrics: pl.DataFrame  # `COLUMNS`: per policy, target and series, and pooled
    daily: pl.DataFrame  # per policy, target, series and day: demand, met, stock, orders


def plan_forecaster(
    sales: Frame,
    stock_flags: Frame | None,
    products: Frame,
    po_lines: Frame,
    suppliers: Frame | None,
    params: PlanParams,
) -> Forecaster:
    """The plan's own forecasts as of a day, from the data known on that day."""
    sales = sales.lazy().collect()
    flags = stock_flags.lazy().collect() if stock_flags is not None else None
    orders = po_lines.lazy().collect()
    # The forecast does not depend on the stock: the plan gets none.
    no_stock = pl.DataFrame(
        schema={"sku": pl.String, "warehouse_id": pl.String}
        | {c: pl.Float64 for c in ("on_hand", "on_order", "committed")}
    )

    def forecast(as_of: date) -> tuple[pl.DataFrame, pl.DataFrame]:
        result = plan(
            sales.filter(pl.col("date") <= as_of),
            flags.filter(pl.col("date") <= as_of) if flags is not None else None,
            no_stock,
            products,
            known_orders(orders, as_of),
            as_of,
            suppliers=suppliers,
            params=params,
        )
        classes = result["backtest"].select(*SERIES, "demand_class")
        return result["forecasts"].select(*SERIES, "date", "forecast"), classes

    return forecast


def known_orders(po_lines: pl.DataFrame, as_of: date) -> pl.DataFrame:
    """Purchase order lines as they stood at the end of `as_of`: placed by then, receipts
    after it not yet known."""
    return po_lines.filter(pl.col("ordered_date") <= as_of).with_columns(
        pl.when(pl.col("received_date") <= as_of)
        .then(pl.col("received_date"))
        .alias("received_date")
    )


def simulate_policies(
    sales: Frame,
    stock_flags: Frame | None,
    stock_history: Frame | None,
    products: Frame,
    po_lines: Frame,
    as_of: date,
    suppliers: Frame | None = None,
    params: SimulationParams | None = None,
    forecaster: Forecaster | None = None,
) -> Simulation:
    """Replay the policies over the last `params.weeks` weeks up to `as_of` (see the top).

    sales, stock_flags, products, po_lines, suppliers: as for `plan()`; po_lines may carry
        `sku`, `warehouse_id`, `received_quantity` (then the orders open when the replay starts
        arrive in it, and `actual` counts the real orders and receipts).
    stock_history: `sku`, `warehouse_id`, `date`, `on_hand`, `is_stockout` per day (the real
        stock, for the starting stock and the `actual` rows); may be None.
    forecaster: forecasts as of a day (default: the plan's own, `plan_forecaster`).
    Returns the metrics (one row per policy, target and series, and the pooled rows) and
    the simulated days.
    """
    params = params or SimulationParams()
    plan_params = params.plan
    sales = sales.lazy().collect()
    products = products.lazy().collect()
    orders = po_lines.lazy().collect()
    # The last `weeks` weeks, or what the history holds after its first day (the first fit
    # needs a day of history).
    first = sales.get_column("date").min()
    start = as_of - timedelta(days=7 * params.weeks - 1)
    if first is None or first >= as_of:
        return Simulation(pl.DataFrame(schema=COLUMNS), pl.DataFrame())
    start = max(start, first + timedelta(days=1))  # type: ignore[operator]
    days = (as_of - start).days + 1
    forecaster = forecaster or plan_forecaster(
        sales, stock_flags, products, orders, suppliers, plan_params
    )
    demand = daily_demand(sales, stock_flags, end=as_of)
    stats = _rolling_demand_stats(demand, plan_params.demand_window_days)
    series = (
        demand.filter(pl.col("date") >= start)
        .select(SERIES)
        .unique()
        .sort(SERIES)
        .join(
            products.select(
                "sku", "supplier_id", "unit_cost", "pack_size", "min_order_qty", "abc_class"
            ),
            on="sku",
            how="left",
        )
        .with_columns(
            pl.col("unit_cost").cast(pl.Float64).fill_null(0.0),
            pl.col("pack_size").cast(pl.Float64).fill_null(1.0),
            pl.col("min_order_qty").cast(pl.Float64).fill_null(1.0),
            pl.col("abc_class").fill_null("C"),
        )
    )
    if series.is_empty():
        return Simulation(pl.DataFrame(schema=COLUMNS), pl.DataFrame())
    dates = pl.date_range(start, as_of, eager=True)
    true_demand = _matrix(demand, series, dates, "demand_filled")
    history = stock_history.lazy().collect() if stock_history is not None else None
    lead_draws = _lead_time_draws(series, orders, suppliers, days, plan_params, params.seed)
    replay = _Replay(series, dates, true_demand, len(params.targets))
    replay.start(
        _starting_stock(series, history, stats, start, plan_params),
        _open_orders(series, orders, start, dates),
    )
    refit_every = 7 * params.refit_weeks
    forecasts: pl.DataFrame | None = None
    classes = pl.DataFrame(schema={"sku": pl.String, "warehouse_id": pl.String})
    classes = classes.with_columns(pl.lit(None, dtype=pl.String).alias("demand_class"))
    for index, day in enumerate(dates):
        replay.sell(index)
        if index == len(dates) - 1:
            break
        if index % refit_every == 0:
            forecasts, classes = forecaster(day)
        assert forecasts is not None
        frame = _policy_inputs(series, stats, orders, suppliers, forecasts, day, plan_params)
        for slot, target in enumerate(params.targets):
            positions = replay.positions(PLAN, slot)
            planned = replenishment(
                frame.with_columns(
                    pl.Series("on_hand", positions[0]), pl.Series("on_order", positions[1])
                ),
                day,
                PolicyParams(
                    ordering_cost=plan_params.policy.ordering_cost,
                    holding_rate=plan_params.policy.holding_rate,
                    service_levels={c: target for c in ("A", "B", "C")},
                ),
            )
            qty = planned.sort(SERIES).get_column("order_qty").to_numpy()
            replay.order(PLAN, slot, index, qty, lead_draws)
            positions = replay.positions(MIN_MAX, slot)
            qty = _min_max_orders(frame, positions[0] + positions[1], target, plan_params)
            replay.order(MIN_MAX, slot, index, qty, lead_draws)
    simulated = replay.metrics(params.targets)
    actual = _actual(series, history, demand, sales, orders, start, as_of)
    metrics = _with_totals(
        pl.concat([simulated, actual], how="diagonal_relaxed"), series, classes, start, as_of
    )
    return Simulation(metrics, replay.daily(params.targets))


def _matrix(frame: pl.DataFrame, series: pl.DataFrame, dates: pl.Series, value: str) -> np.ndarray:
    """series x days array of `value` (0 where a series has no row that day)."""
    grid = (
        series.select(SERIES)
        .with_row_index("row")
        .join(pl.DataFrame({"date": dates}).with_row_index("col"), how="cross")
    )
    filled = grid.join(frame.select(*SERIES, "date", value), on=[*SERIES, "date"], how="left")
    out = np.zeros((series.height, len(dates)))
    rows = filled.get_column("row").to_numpy()
    cols = filled.get_column("col").to_numpy()
    out[rows, cols] = filled.get_column(value).fill_null(0.0).cast(pl.Float64).to_numpy()
    return out


def _rolling_demand_stats(demand: pl.DataFrame, window: int) -> pl.DataFrame:
    """`d`, `sigma_d` per series and day: in-stock days of the `window` days up to it."""
    known = pl.col("demand").is_not_null()
    x = pl.col("demand").fill_null(0.0)
    sums = [
        known.cast(pl.Float64).cum_sum().over(SERIES).alias("cn"),
        x.cum_sum().over(SERIES).alias("cx"),
        x.pow(2).cum_sum().over(SERIES).alias("cx2"),
    ]
    # The grid is gap-free, so `window` rows back is `window` days back.
    windowed = [
        (pl.col(c) - pl.col(c).shift(window).over(SERIES).fill_null(0.0)).alias(c)
        for c in ("cn", "cx", "cx2")
    ]
    mean = pl.col("cx") / pl.col("cn")
    var = (pl.col("cx2") - pl.col("cn") * mean.pow(2)) / (pl.col("cn") - 1)
    return (
        demand.sort(*SERIES, "date")
        .with_columns(sums)
        .with_columns(windowed)
        .select(
            *SERIES,
            "date",
            pl.when(pl.col("cn") > 0).then(mean).otherwise(0.0).alias("d"),
            pl.when(pl.col("cn") > 1)
            .then(var.clip(lower_bound=0.0).sqrt())
            .otherwise(0.0)
            .alias("sigma_d"),
        )
    )


def _lead_time_draws(
    series: pl.DataFrame,
    po_lines: pl.DataFrame,
    suppliers: Frame | None,
    days: int,
    params: PlanParams,
    seed: int,
) -> np.ndarray:
    """series x days: the lead time of an order placed that day, drawn from its supplier's
    received purchase orders (the quoted lead time, or the default, where there are none)."""
    rng = np.random.default_rng(seed)
    received = (
        po_lines.filter(pl.col("received_date").is_not_null())
        .select(
            "supplier_id",
            (pl.col("received_date") - pl.col("ordered_date")).dt.total_days().alias("days"),
        )
        .group_by("supplier_id")
        .agg(pl.col("days").sort())
    )
    history = dict(zip(received["supplier_id"], received["days"].to_list(), strict=True))
    quoted: dict[str, float] = {}
    if suppliers is not None:
        table = suppliers.lazy().collect()
        quoted = {
            k: v
            for k, v in zip(table["supplier_id"], table["lead_time_days"], strict=True)
            if v is not None
        }
    draws = np.empty((series.height, days), dtype=np.int64)
    for row, supplier in enumerate(series.get_column("supplier_id").to_list()):
        past = history.get(supplier)
        if past:
            draws[row] = rng.choice(np.asarray(past), size=days)
        else:
            draws[row] = round(quoted.get(supplier, params.default_lead_time_days))
    return np.maximum(draws, 1)


def _starting_stock(
    series: pl.DataFrame,
    history: pl.DataFrame | None,
    stats: pl.DataFrame,
    start: date,
    params: PlanParams,
) -> np.ndarray:
    """On hand at the end of the day before the replay: the real stock, or d x (L + R)."""
    day_before = start - timedelta(days=1)
    guess = (
        series.join(stats.filter(pl.col("date") == day_before), on=SERIES, how="left")
        .sort(SERIES)
        .select(
            (
                pl.col("d").fill_null(0.0)
                * (params.default_lead_time_days + params.review_period_days)
            )
            .round(0)
            .alias("guess")
        )
    )
    stock = guess.get_column("guess").to_numpy().astype(float)
    if history is not None:
        real = (
            series.join(
                history.filter(pl.col("date") == day_before).select(*SERIES, "on_hand"),
                on=SERIES,
                how="left",
            )
            .sort(SERIES)
            .get_column("on_hand")
        )
        stock = np.where(
            real.is_null().to_numpy(), stock, real.fill_null(0).cast(pl.Float64).to_numpy()
        )
    return np.maximum(stock, 0.0)


def _open_orders(
    series: pl.DataFrame, po_lines: pl.DataFrame, start: date, dates: pl.Series
) -> np.ndarray:
    """series x days: units of the real purchase orders open when the replay starts, on the
    day they were really received."""
    out = np.zeros((series.height, len(dates)))
    needed = {"sku", "warehouse_id", "received_quantity"}
    if not needed <= set(po_lines.columns):
        return out
    open_then = (
        po_lines.filter(
            (pl.col("ordered_date") < start)
            & (pl.col("received_date") >= start)
            & (pl.col("received_date") <= dates.max())
        )
        .group_by(*SERIES, "received_date")
        .agg(pl.col("received_quantity").cast(pl.Float64).sum().alias("units"))
        .rename({"received_date": "date"})
    )
    return _matrix(open_then, series, dates, "units")


def _policy_inputs(
    series: pl.DataFrame,
    stats: pl.DataFrame,
    po_lines: pl.DataFrame,
    suppliers: Frame | None,
    forecasts: pl.DataFrame,
    day: date,
    params: PlanParams,
) -> pl.DataFrame:
    """The plan's inputs at the end of `day`, in `series` order (stock columns set later)."""
    lead = lead_time_stats(
        known_orders(po_lines, day).select("supplier_id", "ordered_date", "received_date"),
        suppliers,
        min_receipts=params.min_receipts,
        default_cv=params.default_lead_time_cv,
    )
    fallback = default_lead_time(params.default_lead_time_days, params.default_lead_time_cv)
    frame = (
        series.join(stats.filter(pl.col("date") == day).drop("date"), on=SERIES, how="left")
        .join(lead.drop("receipts"), on="supplier_id", how="left")
        .with_columns(
            pl.col("d").fill_null(0.0),
            pl.col("sigma_d").fill_null(0.0),
            pl.col("lead_time_mean").fill_null(fallback["lead_time_mean"]),
            pl.col("lead_time_std").fill_null(fallback["lead_time_std"]),
            pl.lit(params.review_period_days).alias("review_days"),
        )
    )
    ahead = forecasts.filter(pl.col("date") > day)
    spans = demand_over(ahead, frame.select(*SERIES, "lead_time_mean", "review_days"))
    # Sorted as `series` is: the simulated stock is attached by position.
    return (
        frame.join(spans, on=SERIES, how="left")
        .with_columns(
            pl.col("lead_time_demand").fill_null(pl.col("d") * pl.col("lead_time_mean")),
            pl.col("review_demand").fill_null(pl.col("d") * pl.col("review_days")),
            pl.lit(None, dtype=pl.Date).alias("stockout_date"),
            pl.lit(0.0).alias("committed"),
        )
        .sort(SERIES)
    )


def _min_max_orders(
    frame: pl.DataFrame, position: np.ndarray, target: float, params: PlanParams
) -> np.ndarray:
    """The simple min/max rule (see the top): units to order per series."""
    z = service_z(target)
    minimum = pl.col("d") * pl.col("lead_time_mean") + safety_stock(
        z, "d", "sigma_d", "lead_time_mean", 0.0
    )
    maximum = minimum + pl.col("d") * params.review_period_days
    position_col = pl.Series("position", position)
    qty = (
        frame.with_columns(position_col)
        .select(
            pl.when((pl.col("position") <= minimum) & (maximum > 0))
            .then(
                round_up_to_pack(
                    pl.max_horizontal(maximum - pl.col("position"), pl.col("min_order_qty")),
                    "pack_size",
                )
            )
            .otherwise(0)
            .alias("qty")
        )
        .get_column("qty")
    )
    return qty.cast(pl.Float64).to_numpy()


class _Replay:
    """The stock of every series under every policy and target, one day at a time."""

    def __init__(self, series: pl.DataFrame, dates: pl.Series, demand: np.ndarray, n_targets: int):
        self.series = series
        self.dates = dates
        self.demand = demand
        n_series, n_days = demand.shape
        self.policies = [(PLAN, slot) for slot in range(n_targets)] + [
            (MIN_MAX, slot) for slot in range(n_targets)
        ]
        shape = (len(self.policies), n_series)
        self.on_hand = np.zeros(shape)
        self.on_order = np.zeros(shape)
        self.arrivals = np.zeros((*shape, n_days))
        self.received = np.zeros((*shape, n_days), dtype=bool)
        self.stock_end = np.zeros((*shape, n_days))
        self.met = np.zeros((*shape, n_days))
        self.ordered = np.zeros((*shape, n_days))

    def _p(self, policy: str, slot: int) -> int:
        return self.policies.index((policy, slot))

    def start(self, on_hand: np.ndarray, open_orders: np.ndarray) -> None:
        self.on_hand[:] = on_hand
        self.arrivals += open_orders
        self.on_order[:] = open_orders.sum(axis=1)

    def sell(self, day: int) -> None:
        arriving = self.arrivals[:, :, day]
        self.received[:, :, day] = arriving > 0
        self.on_hand += arriving
        self.on_order -= arriving
        met = np.minimum(self.on_hand, self.demand[:, day])
        self.on_hand -= met
        self.met[:, :, day] = met
        self.stock_end[:, :, day] = self.on_hand

    def positions(self, policy: str, slot: int) -> tuple[np.ndarray, np.ndarray]:
        p = self._p(policy, slot)
        return self.on_hand[p].copy(), self.on_order[p].copy()

    def order(self, policy: str, slot: int, day: int, qty: np.ndarray, leads: np.ndarray) -> None:
        p = self._p(policy, slot)
        qty = np.asarray(qty, dtype=float)
        self.ordered[p, :, day] = qty
        self.on_order[p] += qty
        n_days = self.arrivals.shape[2]
        for row in np.flatnonzero(qty > 0):
            arrive = day + int(leads[row, day])
            if arrive < n_days:
                self.arrivals[p, row, arrive] += qty[row]

    def daily(self, targets: tuple[float, ...]) -> pl.DataFrame:
        n_series, n_days = self.demand.shape
        keys = (
            self.series.select(SERIES)
            .with_row_index("row")
            .join(pl.DataFrame({"date": self.dates}).with_row_index("col"), how="cross")
        )
        rows = keys.get_column("row").to_numpy()
        cols = keys.get_column("col").to_numpy()
        parts = [
            keys.select(SERIES + ["date"]).with_columns(
                pl.lit(policy).alias("policy"),
                pl.lit(targets[slot]).alias("service_target"),
                pl.Series("demand", self.demand[rows, cols]),
                pl.Series("met", self.met[p][rows, cols]),
                pl.Series("received", self.received[p][rows, cols]),
                pl.Series("on_hand", self.stock_end[p][rows, cols]),
                pl.Series("ordered", self.ordered[p][rows, cols]),
            )
            for p, (policy, slot) in enumerate(self.policies)
        ]
        return pl.concat(parts).sort("policy", "service_target", *SERIES, "date")

    def metrics(self, targets: tuple[float, ...]) -> pl.DataFrame:
        parts = []
        lost = self.demand[None, :, :] - self.met
        for p, (policy, slot) in enumerate(self.policies):
            out = lost[p] > 1e-9
            cycles, clean = _cycles(self.received[p], out)
            parts.append(
                self.series.select(SERIES).with_columns(
                    pl.lit(policy).alias("policy"),
                    pl.lit(targets[slot]).alias("service_target"),
                    pl.Series("demand_units", self.demand.sum(axis=1)),
                    pl.Series("met_units", self.met[p].sum(axis=1)),
                    pl.Series("cycles", cycles),
                    pl.Series("cycles_without_stockout", clean),
                    pl.Series("stockout_days", out.sum(axis=1).astype(np.int64)),
                    pl.Series("avg_stock_units", self.stock_end[p].mean(axis=1)),
                    pl.Series("orders_placed", (self.ordered[p] > 0).sum(axis=1).astype(np.int64)),
                    pl.Series("units_ordered", self.ordered[p].sum(axis=1)),
                )
            )
        return pl.concat(parts)


def _cycles(received: np.ndarray, stockout: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per row: cycles closed by a receipt, and those without a stockout day.

    received, stockout: rows x days booleans. A receipt on day k closes the cycle of the days
    since the previous receipt (or the first day) up to day k - 1.
    """
    n_rows, n_days = received.shape
    cycles = np.zeros(n_rows, dtype=np.int64)
    clean = np.zeros(n_rows, dtype=np.int64)
    for row in range(n_rows):
        begin = 0
        for day in np.flatnonzero(received[row]):
            if day == 0:
                continue
            cycles[row] += 1
            clean[row] += not stockout[row, begin:day].any()
            begin = day
    return cycles, clean


def _actual(
    series: pl.DataFrame,
    history: pl.DataFrame | None,
    demand: pl.DataFrame,
    sales: pl.DataFrame,
    po_lines: pl.DataFrame,
    start: date,
    end: date,
) -> pl.DataFrame:
    """What really happened, for the series whose stock history covers the replay."""
    if history is None or history.is_empty():
        return pl.DataFrame()
    window = pl.col("date").is_between(start, end)
    real = history.filter(window)
    covered = real.group_by(SERIES).len().filter(pl.col("len") == (end - start).days + 1)
    rows = series.join(covered.select(SERIES), on=SERIES, how="semi").sort(SERIES)
    if rows.is_empty():
        return pl.DataFrame()
    dates = pl.date_range(start, end, eager=True)
    wanted = _matrix(demand, rows, dates, "demand_filled")
    sold = _matrix(
        sales.filter(window).group_by(*SERIES, "date").agg(pl.col("units").cast(pl.Float64).sum()),
        rows,
        dates,
        "units",
    )
    flags = real.with_columns(pl.col("is_stockout").cast(pl.Float64))
    out = _matrix(flags, rows, dates, "is_stockout") > 0
    on_hand = _matrix(real.with_columns(pl.col("on_hand").cast(pl.Float64)), rows, dates, "on_hand")
    received = np.zeros(wanted.shape, dtype=bool)
    ordered_n = np.zeros(rows.height, dtype=np.int64)
    ordered_units = np.zeros(rows.height)
    if {"sku", "warehouse_id"} <= set(po_lines.columns):
        receipts = po_lines.filter(pl.col("received_date").is_between(start, end)).select(
            *SERIES, pl.col("received_date").alias("date"), pl.lit(1.0).alias("one")
        )
        received = _matrix(receipts.unique(), rows, dates, "one") > 0
        placed = po_lines.filter(pl.col("ordered_date").is_between(start, end))
        quantity = "ordered_quantity" if "ordered_quantity" in placed.columns else None
        counts = rows.join(
            placed.group_by(SERIES).agg(
                pl.len().alias("n"),
                (pl.col(quantity).cast(pl.Float64).sum() if quantity else pl.lit(None)).alias(
                    "units"
                ),
            ),
            on=SERIES,
            how="left",
        ).sort(SERIES)
        ordered_n = counts.get_column("n").fill_null(0).cast(pl.Int64).to_numpy()
        ordered_units = counts.get_column("units").cast(pl.Float64).fill_null(0.0).to_numpy()
    cycles, clean = _cycles(received, out)
    return rows.select(SERIES).with_columns(
        pl.lit(ACTUAL).alias("policy"),
        pl.lit(None, dtype=pl.Float64).alias("service_target"),
        pl.Series("demand_units", wanted.sum(axis=1)),
        pl.Series("met_units", np.minimum(sold, wanted).sum(axis=1)),
        pl.Series("cycles", cycles),
        pl.Series("cycles_without_stockout", clean),
        pl.Series("stockout_days", out.sum(axis=1).astype(np.int64)),
        pl.Series("avg_stock_units", on_hand.mean(axis=1)),
        pl.Series("orders_placed", ordered_n),
        pl.Series("units_ordered", ordered_units),
    )


def _rates(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        (pl.col("demand_units") - pl.col("met_units")).alias("lost_units"),
        pl.when(pl.col("demand_units") > 0)
        .then(pl.col("met_units") / pl.col("demand_units"))
        .alias("fill_rate"),
        pl.when(pl.col("cycles") > 0)
        .then(pl.col("cycles_without_stockout") / pl.col("cycles"))
        .alias("cycle_service_level"),
    )


def _with_totals(
    rows: pl.DataFrame, series: pl.DataFrame, classes: pl.DataFrame, start: date, end: date
) -> pl.DataFrame:
    """Per-series rows with their values and class, and the pooled rows per policy/target."""
    labelled = (
        rows.join(series.select(*SERIES, "unit_cost"), on=SERIES, how="left")
        .join(classes, on=SERIES, how="left")
        .with_columns(
            (pl.col("avg_stock_units") * pl.col("unit_cost")).alias("avg_stock_value"),
            pl.lit("series").alias("scope"),
            pl.lit(1, dtype=pl.UInt32).alias("n_series"),
        )
    )
    intermittent = pl.col("demand_class").is_in(INTERMITTENT_CLASSES)
    groups = {
        "all": pl.lit(True),
        "not_intermittent": ~intermittent.fill_null(False),
        "intermittent": intermittent.fill_null(False),
    }
    sums = [
        "demand_units",
        "met_units",
        "cycles",
        "cycles_without_stockout",
        "stockout_days",
        "avg_stock_units",
        "avg_stock_value",
        "orders_placed",
        "units_ordered",
    ]
    pooled = [
        labelled.filter(keep)
        .group_by("policy", "service_target")
        .agg(pl.len().cast(pl.UInt32).alias("n_series"), *[pl.col(c).sum() for c in sums])
        .with_columns(pl.lit(name).alias("scope"))
        for name, keep in groups.items()
    ]
    out = pl.concat([labelled, *pooled], how="diagonal_relaxed").with_columns(
        pl.lit(start).alias("start_date"), pl.lit(end).alias("end_date")
    )
    return (
        _rates(out)
        .with_columns(pl.col("avg_stock_value").round(2))
        .select([pl.col(name).cast(dtype) for name, dtype in COLUMNS.items()])
        .sort("scope", "policy", "service_target", "sku", "warehouse_id", nulls_last=True)
    )
