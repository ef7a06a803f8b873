"""Inventory page: stock position and value, turnover, ageing, stockouts, alert lists.

Stock marts have no channel or region: the warehouse and category filters apply, and the
date range picks the as-of day (its end) and the months shown.
"""

# ruff: noqa: S608 - statements are composed only of this package's constant fragments
# (allow-listed identifiers); every value a user chooses is a bound $parameter.

from __future__ import annotations

from dashboards.lib.filters import Filters
from dashboards.lib.queries.common import in_list
from dashboards.lib.serving import Section, Serving, run

_DIMS = f"{in_list('warehouses', 'sp.warehouse_id')} and {in_list('categories', 'p.category')}"
_JOINS = """
    left join marts.products as p on p.sku = sp.sku
    left join marts.warehouses as w on w.warehouse_id = sp.warehouse_id
"""
_NEEDS = ("marts.products", "marts.warehouses")

# The position on the last stock day on or before the end of the range.
POSITION_SQL = f"""
    with as_of as (
        select max(position_date) as position_date
        from marts.daily_stock_positions
        where position_date <= $end
    )
    select any_value(sp.position_date) as position_date,
        coalesce(w.warehouse_name, sp.warehouse_id) as warehouse, p.category,
        cast(sum(sp.on_hand) as bigint) as on_hand,
        cast(sum(sp.on_order) as bigint) as on_order,
        cast(sum(sp.committed) as bigint) as committed,
        cast(sum(sp.available) as bigint) as available,
        cast(sum(sp.value_at_cost) as double) as value_at_cost,
        count(*) filter (where sp.is_stockout) as stockouts
    from marts.daily_stock_positions as sp
    join as_of on as_of.position_date = sp.position_date
    {_JOINS}
    where {_DIMS}
    group by all
    order by warehouse, p.category
"""

VALUE_TREND_SQL = f"""
    select sp.position_date, coalesce(w.warehouse_name, sp.warehouse_id) as warehouse,
        cast(sum(sp.value_at_cost) as double) as value_at_cost,
        count(*) filter (where sp.is_stockout) as stockouts
    from marts.daily_stock_positions as sp
    {_JOINS}
    where sp.position_date between $start and $end and {_DIMS}
    group by all
    order by sp.position_date, warehouse
"""

TURNOVER_SQL = f"""
    select sp.month_start, p.category,
        cast(sum(sp.cogs) as double) as cogs,
        cast(sum(sp.average_inventory_value) as double) as average_inventory_value,
        cast(sum(sp.cogs) / nullif(sum(sp.average_inventory_value), 0) as double) as turnover,
        cast(max(sp.days_observed) * sum(sp.average_inventory_value) / nullif(sum(sp.cogs), 0)
            as double) as days_of_inventory,
        cast(sum(sp.units_sold) as bigint) as units_sold,
        cast(sum(sp.stockout_days) as bigint) as stockout_days,
        cast(sum(sp.lost_demand_units) as double) as lost_demand
    from marts.monthly_inventory_turnover as sp
    {_JOINS}
    where sp.month_start between date_trunc('month', $start) and $end and {_DIMS}
    group by all
    order by sp.month_start, p.category
"""

AGEING_SQL = f"""
    select coalesce(w.warehouse_name, sp.warehouse_id) as warehouse,
        cast(sum(sp.units_0_30) as bigint) as "0-30",
        cast(sum(sp.units_31_60) as bigint) as "31-60",
        cast(sum(sp.units_61_90) as bigint) as "61-90",
        cast(sum(sp.units_91_180) as bigint) as "91-180",
        cast(sum(sp.units_over_180) as bigint) as "over_180",
        count(*) filter (where sp.is_dead_stock) as dead_stock
    from marts.stock_ageing as sp
    {_JOINS}
    where {_DIMS}
    group by all
    order by warehouse
"""

ALERTS_SQL = f"""
    select sp.alert_type, sp.sku, p.product_name, coalesce(w.warehouse_name, sp.warehouse_id)
            as warehouse,
        sp.on_hand, sp.available, sp.on_order, sp.units_sold_28d, sp.days_of_supply,
        sp.lead_time_days, sp.alert_reason
    from marts.inventory_alerts as sp
    {_JOINS}
    where {_DIMS}
    order by sp.alert_type, sp.days_of_supply nulls first, sp.sku
"""


def page_data(srv: Serving, filters: Filters) -> dict[str, Section]:
    """Everything the inventory page shows."""
    params = filters.params()
    return {
        "position": run(srv, POSITION_SQL, params, ("marts.daily_stock_positions", *_NEEDS)),
        "value_trend": run(srv, VALUE_TREND_SQL, params, ("marts.daily_stock_positions", *_NEEDS)),
        "turnover": run(srv, TURNOVER_SQL, params, ("marts.monthly_inventory_turnover", *_NEEDS)),
        "ageing": run(srv, AGEING_SQL, params, ("marts.stock_ageing", *_NEEDS)),
        "alerts": run(srv, ALERTS_SQL, params, ("marts.inventory_alerts", *_NEEDS)),
    }
