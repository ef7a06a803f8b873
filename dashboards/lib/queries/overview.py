"""Overview page: headline figures with their change, a trend, the latest alerts."""

# ruff: noqa: S608 - statements are composed only of this package's constant fragments
# (allow-listed identifiers); every value a user chooses is a bound $parameter.

from __future__ import annotations

from dashboards.lib.filters import Filters
from dashboards.lib.queries import sales
from dashboards.lib.queries.common import in_list
from dashboards.lib.serving import Section, Serving, run
from pipelines.periods import Period, containing

# Headline figures from sales_periods, where distinct orders and customers are exact
# (daily_sales counts them per SKU): the period of `headline_period`, its previous period and
# the same period a year before, as pipelines.periods defines them (as the reports do).
_HEADLINE_MEASURES = ("orders", "customers", "units", "net_revenue", "average_order_value")
_HEADLINE_BASES = ", ".join(
    f"{base}.{measure} as {base}_{measure}"
    for base in ("previous", "year_ago")
    for measure in _HEADLINE_MEASURES
)
HEADLINE_SQL = f"""
    with chosen as (
        select period_start, orders, customers, units,
            cast(net_revenue as double) as net_revenue,
            cast(average_order_value as double) as average_order_value
        from marts.sales_periods
        where period_type = $head_type and channel = $channel_one
            and period_start in ($head_start, $head_previous_start, $head_year_ago_start)
    )
    select latest.*, {_HEADLINE_BASES}
    from chosen as latest
    left join chosen as previous on previous.period_start = $head_previous_start
    left join chosen as year_ago on year_ago.period_start = $head_year_ago_start
    where latest.period_start = $head_start
"""

ON_TIME_SQL = f"""
    select
        case when e.week_start between $start and $end then 'current' else 'previous' end
            as period,
        cast(sum(e.on_time_orders) / nullif(sum(e.on_time_known_orders), 0) as double)
            as on_time_rate
    from marts.fulfilment_rates_weekly as e
    where (e.week_start between $start and $end or e.week_start between $prev_start and $prev_end)
        and {in_list("channels", "e.channel")} and {in_list("warehouses", "e.warehouse_id")}
    group by all
"""

STOCKOUTS_SQL = f"""
    with days as (
        select
            (select max(position_date) from marts.daily_stock_positions
                where position_date <= $end) as current_day,
            (select max(position_date) from marts.daily_stock_positions
                where position_date <= $prev_end) as previous_day
    )
    select
        count(*) filter (where sp.position_date = days.current_day) as stockouts,
        count(*) filter (where sp.position_date = days.previous_day) as previous_stockouts
    from marts.daily_stock_positions as sp, days
    where sp.is_stockout
        and sp.position_date in (days.current_day, days.previous_day)
        and {in_list("warehouses", "sp.warehouse_id")} and {in_list("categories", "sp.category")}
"""

LOW_STOCK_SQL = f"""
    select a.sku, p.product_name, a.warehouse_id, a.available, a.days_of_supply
    from marts.inventory_alerts as a
    left join marts.products as p on p.sku = a.sku
    where a.alert_type = 'low_stock'
        and {in_list("warehouses", "a.warehouse_id")} and {in_list("categories", "p.category")}
    order by a.days_of_supply nulls first, a.sku
"""

AT_RISK_SQL = f"""
    select e.order_id, e.current_stage, e.late_stage, e.hours_late, e.promised_date
    from marts.orders_at_risk as e
    where {in_list("channels", "e.channel")} and {in_list("warehouses", "e.warehouse_id")}
    order by e.hours_late desc, e.order_id
"""

SLOW_STAGE_SQL = """
    select week_start, bottleneck_stage as stage, mean_duration_share as cycle_share
    from marts.bottleneck_stages
    where week_start <= $end
    order by week_start desc
    limit 1
"""


def headline_period(filters: Filters) -> Period:
    """The range itself when it is a week or a calendar month (the periods sales_periods
    holds), else the month holding its end."""
    chosen = filters.period
    return chosen if chosen.kind in ("week", "month") else containing("month", filters.end)


def page_data(srv: Serving, filters: Filters) -> dict[str, Section]:
    """Everything the overview page shows."""
    head = headline_period(filters)
    params = filters.params() | {
        "channel_one": sales.single_channel(filters),
        "head_type": head.kind,
        "head_start": head.start,
        "head_previous_start": head.previous().start,
        "head_year_ago_start": head.year_ago().start,
    }
    return {
        "headline": run(srv, HEADLINE_SQL, params, ("marts.sales_periods",)),
        "comparison": sales.comparison(srv, filters),
        "trend": sales.trend(srv, filters, "day"),
        "on_time": run(srv, ON_TIME_SQL, params, ("marts.fulfilment_rates_weekly",)),
        "stockouts": run(srv, STOCKOUTS_SQL, params, ("marts.daily_stock_positions",)),
        "low_stock": run(srv, LOW_STOCK_SQL, params, ("marts.inventory_alerts", "marts.products")),
        "at_risk": run(srv, AT_RISK_SQL, params, ("marts.orders_at_risk",)),
        "slow_stage": run(srv, SLOW_STAGE_SQL, params, ("marts.bottleneck_stages",)),
    }
