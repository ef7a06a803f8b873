"""Replenishment page: the reorder list, transfers, one series' forecast and backtest, accuracy.

The replenishment marts are written by the forecasting assets (`pipelines.forecasting.plan`),
one row per series (sku, warehouse): they have no date range, channel or region, so the
warehouse and category filters apply. Every figure here is the plan's own; the page selects.
"""

# ruff: noqa: S608 - statements are composed only of this package's constant fragments
# (allow-listed identifiers); every value a user chooses is a bound $parameter.

from __future__ import annotations

from datetime import date, timedelta

import polars as pl

from dashboards.lib.filters import Filters
from dashboards.lib.queries.common import in_list
from dashboards.lib.serving import Section, Serving, run

HISTORY_DAYS = 91  # actual daily demand shown before the forecast (the plan's demand window)

_JOINS = """
    left join marts.products as p on p.sku = r.sku
    left join marts.warehouses as w on w.warehouse_id = r.warehouse_id
"""
_DIMS = f"{in_list('warehouses', 'r.warehouse_id')} and {in_list('categories', 'p.category')}"
_NEEDS = ("marts.products", "marts.warehouses")
REORDER = "marts.replenishment_reorder"

REORDER_SQL = f"""
    select r.sku, p.product_name, r.warehouse_id,
        coalesce(w.warehouse_name, r.warehouse_id) as warehouse, p.category, r.supplier_id,
        r.needs_order, r.order_qty, r.order_by_date, r.is_late, r.stockout_date,
        round(r.position, 1) as position, round(r.reorder_point, 1) as reorder_point,
        round(r.safety_stock, 1) as safety_stock, r.on_hand, r.on_order, r.committed,
        r.transfer_in, r.transfer_out, r.demand_class, r.abc_class, r.model_used, r.why
    from marts.replenishment_reorder as r
    {_JOINS}
    where {_DIMS} and (not $needs_only or r.needs_order)
    order by r.needs_order desc, r.is_late desc, r.order_by_date nulls last, r.sku,
        r.warehouse_id
"""

# A transfer touches the chosen warehouses when it leaves or reaches one of them.
TRANSFERS_SQL = f"""
    select r.sku, p.product_name,
        coalesce(wf.warehouse_name, r.from_warehouse_id) as from_warehouse,
        coalesce(wt.warehouse_name, r.to_warehouse_id) as to_warehouse,
        r.quantity, r.cost_per_unit, r.buy_cost_per_unit, r.lead_days, r.arrival_date,
        r.stockout_date
    from marts.replenishment_transfers as r
    left join marts.products as p on p.sku = r.sku
    left join marts.warehouses as wf on wf.warehouse_id = r.from_warehouse_id
    left join marts.warehouses as wt on wt.warehouse_id = r.to_warehouse_id
    where ({in_list("warehouses", "r.from_warehouse_id")}
            or {in_list("warehouses", "r.to_warehouse_id")})
        and {in_list("categories", "p.category")}
    order by r.arrival_date, r.sku, from_warehouse, to_warehouse
"""

# The series the picker offers: every planned (sku, warehouse) under the filters.
SERIES_SQL = f"""
    select r.sku, r.warehouse_id, p.product_name,
        coalesce(w.warehouse_name, r.warehouse_id) as warehouse, r.needs_order
    from marts.replenishment_reorder as r
    {_JOINS}
    where {_DIMS}
    order by r.needs_order desc, r.sku, r.warehouse_id
"""

FORECAST_SQL = """
    select date, forecast, lo80, hi80, lo95, hi95, model
    from marts.replenishment_forecasts
    where sku = $sku and warehouse_id = $warehouse_id
    order by date
"""

ACTUAL_SQL = """
    select sales_date as date, cast(sum(units) as double) as units
    from marts.daily_sales
    where sku = $sku and warehouse_id = $warehouse_id and sales_date between $history_start and $end
    group by all
    order by date
"""

BACKTEST_SQL = """
    select demand_class, adi, cv2, is_backtested, model_best, model_used, model_reason,
        n_points, wape, mase, bias, coverage80, coverage95, naive_wape, naive_mase,
        holdout_n_points, holdout_wape, holdout_mase, naive_holdout_wape, naive_holdout_mase
    from marts.replenishment_backtest
    where sku = $sku and warehouse_id = $warehouse_id
"""

EXPLAIN_SQL = """
    select explain, why
    from marts.replenishment_reorder
    where sku = $sku and warehouse_id = $warehouse_id
"""

# `compared` names a bar: the plan or the naive, on the windows the choice was made on or on
# the held-back window after them (the gap between the two is what the choice flatters).
ACCURACY_SQL = """
    select demand_class, scope, "window", scope || ':' || "window" as compared, n_series,
        n_points, wape, mase, bias, coverage80, coverage95
    from marts.replenishment_accuracy
    order by demand_class = 'all', demand_class, "window" = 'held_back', scope
"""


# The simulation's pooled rows (every series): one point per policy and service target; a
# published file from before the simulation existed simply lacks the mart (the section says so).
SIMULATION = "marts.replenishment_policy_simulation"
SIMULATION_SQL = """
    select s.policy, s.service_target, s.n_series, s.fill_rate,
        s.cycle_service_level, s.stockout_days, s.avg_stock_value, s.orders_placed,
        s.start_date, s.end_date
    from marts.replenishment_policy_simulation as s
    where s.scope = 'all'
    order by s.policy = 'actual', s.policy = 'min_max', s.service_target
"""


def _filter_params(filters: Filters, needs_only: bool) -> dict[str, object]:
    return {
        "warehouses": list(filters.warehouses) or None,
        "categories": list(filters.categories) or None,
        "needs_only": needs_only,
    }


def daily_actuals(section: Section, start: date, end: date) -> Section:
    """Units per day with the days without a sale as zeros (the chart's actual line)."""
    if not isinstance(section, pl.DataFrame):
        return section
    days = pl.DataFrame({"date": pl.date_range(start, end, eager=True)})
    return (
        days.lazy()
        .join(section.lazy(), on="date", how="left")
        .with_columns(pl.col("units").fill_null(0.0))
        .sort("date")
        .collect()
    )


def series_data(srv: Serving, sku: str, warehouse_id: str, clock: date) -> dict[str, Section]:
    """One series: its forecast with intervals, recent actual demand, backtest, explanation."""
    start = clock - timedelta(days=HISTORY_DAYS - 1)
    params = {"sku": sku, "warehouse_id": warehouse_id, "history_start": start, "end": clock}
    actual = run(srv, ACTUAL_SQL, params, ("marts.daily_sales",))
    return {
        "forecast": run(srv, FORECAST_SQL, params, ("marts.replenishment_forecasts",)),
        "actual": daily_actuals(actual, start, clock),
        "backtest": run(srv, BACKTEST_SQL, params, ("marts.replenishment_backtest",)),
        "explain": run(srv, EXPLAIN_SQL, params, (REORDER,)),
    }


def page_data(srv: Serving, filters: Filters, needs_only: bool = False) -> dict[str, Section]:
    """Everything the replenishment page shows before a series is picked."""
    params = _filter_params(filters, needs_only)
    return {
        "reorder": run(srv, REORDER_SQL, params, (REORDER, *_NEEDS)),
        "transfers": run(srv, TRANSFERS_SQL, params, ("marts.replenishment_transfers", *_NEEDS)),
        "series": run(srv, SERIES_SQL, params, (REORDER, *_NEEDS)),
        "accuracy": run(srv, ACCURACY_SQL, params, ("marts.replenishment_accuracy",)),
        "simulation": run(srv, SIMULATION_SQL, {}, (SIMULATION,)),
    }
