"""Overview page: headline figures with their change, a trend, the latest alerts."""

# ruff: noqa: S608 - statements are composed only of this package's constant fragments
# (allow-listed identifiers); every value a user chooses is a bound $parameter.

from __future__ import annotations

from dashboards.lib.filters import Filters
from dashboards.lib.queries import sales
from dashboards.lib.queries.common import in_list
from dashboards.lib.serving import Section, Serving, run

# The month holding the end of the range against the month before, from sales_periods:
# distinct orders and customers are only exact there (daily_sales counts them per SKU).
HEADLINE_SQL = """
    with latest as (
        select *
        from marts.sales_periods
        where period_type = 'month' and channel = $channel_one and period_start <= $end
        order by period_start desc
        limit 1
    )
    select latest.period_start, latest.orders, latest.customers, latest.units,
        cast(latest.net_revenue as double) as net_revenue,
        cast(latest.average_order_value as double) as average_order_value,
        previous.orders as previous_orders, previous.customers as previous_customers,
        previous.units as previous_units,
        cast(previous.net_revenue as double) as previous_net_revenue,
        cast(previous.average_order_value as double) as previous_average_order_value
    from latest
    left join marts.sales_periods as previous
        on previous.period_type = 'month'
        and previous.channel = latest.channel
        and previous.period_start = cast(latest.period_start - interval 1 month as date)
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


def page_data(srv: Serving, filters: Filters) -> dict[str, Section]:
    """Everything the overview page shows."""
    params = filters.params() | {"channel_one": sales.single_channel(filters)}
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
