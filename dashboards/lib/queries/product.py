"""A product's own page: its figures, its trend under the global filters, its stock."""

# ruff: noqa: S608 - statements are composed only of this package's constant fragments
# (allow-listed identifiers); every value a user chooses is a bound $parameter.

from __future__ import annotations

from dashboards.lib.filters import Filters
from dashboards.lib.queries.common import SALES_DIMS, SALES_FROM, SALES_NEEDS, SALES_SUMS
from dashboards.lib.serving import Section, Serving, run

PRODUCT_SQL = """
    select p.sku, p.product_name, p.category, cast(p.unit_cost as double) as unit_cost,
        cast(p.list_price as double) as list_price, p.supplier_id, ps.revenue_rank,
        ps.abc_class, ps.mover_class, ps.units, cast(ps.net_revenue as double) as net_revenue,
        cast(ps.gross_margin as double) as gross_margin, ps.first_sale_date, ps.last_sale_date,
        ps.units_last_28_days
    from marts.products as p
    left join marts.product_sales as ps on ps.sku = p.sku
    where p.sku = $sku
"""

TREND_SQL = f"""
    select ds.sales_date as period, {SALES_SUMS}
    from {SALES_FROM}
    where ds.sku = $sku and ds.sales_date between $start and $end and {SALES_DIMS}
    group by all
    order by period
"""

CHANNELS_SQL = f"""
    select ds.channel as key, ds.channel as label, {SALES_SUMS}
    from {SALES_FROM}
    where ds.sku = $sku and ds.sales_date between $start and $end and {SALES_DIMS}
        and ds.units > 0
    group by all
    order by net_revenue desc
"""

STOCK_SQL = """
    select sp.position_date, coalesce(w.warehouse_name, sp.warehouse_id) as warehouse,
        sp.on_hand, sp.on_order, sp.committed, sp.available,
        cast(sp.value_at_cost as double) as value_at_cost, sp.is_stockout
    from marts.daily_stock_positions as sp
    left join marts.warehouses as w on w.warehouse_id = sp.warehouse_id
    where sp.sku = $sku
        and sp.position_date = (
            select max(position_date) from marts.daily_stock_positions
            where sku = $sku and position_date <= $end
        )
    order by warehouse
"""


def page_data(srv: Serving, filters: Filters, sku: str) -> dict[str, Section]:
    """Everything a product's page shows."""
    params = filters.params() | {"sku": sku}
    return {
        "product": run(srv, PRODUCT_SQL, params, ("marts.products", "marts.product_sales")),
        "trend": run(srv, TREND_SQL, params, SALES_NEEDS),
        "channels": run(srv, CHANNELS_SQL, params, SALES_NEEDS),
        "stock": run(srv, STOCK_SQL, params, ("marts.daily_stock_positions", "marts.warehouses")),
    }
