"""Sales page: trend, breakdowns, period comparisons, ABC, drill from category to product."""

# ruff: noqa: S608 - statements are composed only of this package's constant fragments
# (allow-listed identifiers); every value a user chooses is a bound $parameter.

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from dashboards.lib.filters import Filters
from dashboards.lib.queries.common import (
    CATEGORY_SALES_DIMS,
    CATEGORY_SALES_FROM,
    CATEGORY_SALES_NEEDS,
    CATEGORY_SALES_WHERE,
    SALES_FROM,
    SALES_NEEDS,
    SALES_SUMS,
    SALES_WHERE,
    in_list,
)
from dashboards.lib.serving import Section, Serving, run
from pipelines.periods import containing

Grain = Literal["day", "week", "month"]
Dimension = Literal["channel", "warehouse", "region", "category", "product"]
GRAINS: tuple[Grain, ...] = ("day", "week", "month")
DIMENSIONS: tuple[Dimension, ...] = ("channel", "warehouse", "region", "category", "product")

# Allow-lists: the only SQL a user's choice selects is one of these constants.
_PERIOD: dict[Grain, str] = {
    "day": "ds.sales_date",
    "week": "cast(date_trunc('week', ds.sales_date) as date)",
    "month": "cast(date_trunc('month', ds.sales_date) as date)",
}


@dataclass(frozen=True)
class _Breakdown:
    """How to break sales down by one dimension: where from, the key, its label."""

    source: str  # FROM and WHERE of the rows summed (alias ds)
    key: str
    label: str = "sums.key"  # over the summed rows (alias sums), joined after summing
    label_join: str = ""
    needs: tuple[str, ...] = CATEGORY_SALES_NEEDS


_CATEGORY_ROWS = f"{CATEGORY_SALES_FROM} where {CATEGORY_SALES_WHERE}"
_SKU_ROWS = f"{SALES_FROM} where {SALES_WHERE}"
_BREAKDOWN: dict[Dimension, _Breakdown] = {
    "channel": _Breakdown(_CATEGORY_ROWS, "ds.channel"),
    "warehouse": _Breakdown(
        _CATEGORY_ROWS,
        "ds.warehouse_id",
        "coalesce(w.warehouse_name, sums.key)",
        "left join marts.warehouses as w on w.warehouse_id = sums.key",
        (*CATEGORY_SALES_NEEDS, "marts.warehouses"),
    ),
    "region": _Breakdown(_CATEGORY_ROWS, "ds.ship_to_region"),
    "category": _Breakdown(_CATEGORY_ROWS, "ds.category"),
    "product": _Breakdown(
        _SKU_ROWS,
        "ds.sku",
        "p.product_name",
        "left join marts.products as p on p.sku = sums.key",
        SALES_NEEDS,
    ),
}


def _breakdown_sql(rows: str, key: str, label: str, label_join: str) -> str:
    """Sum per key first, then join the (few) labels: no join per fact row.

    Keys that sold nothing in the range (only returns) are left out; a key shown carries
    all its refunds in the range.
    """
    return f"""
        with sums as (
            select {key} as key, {SALES_SUMS},
                cast(sum(ds.net_revenue) / nullif(sum(sum(ds.net_revenue)) over (), 0)
                    as double) as share
            from {rows}
            group by all
            having sum(ds.units) > 0
        )
        select sums.key, {label} as label, sums.* exclude (key)
        from sums
        {label_join}
        order by sums.net_revenue desc nulls last, sums.key
    """


TREND_SQL: dict[Grain, str] = {
    grain: f"""
        select {period} as period, {SALES_SUMS}
        from {CATEGORY_SALES_FROM}
        where {CATEGORY_SALES_WHERE}
        group by all
        order by period
    """
    for grain, period in _PERIOD.items()
}

BREAKDOWN_SQL: dict[Dimension, str] = {
    dim: _breakdown_sql(spec.source, spec.key, spec.label, spec.label_join)
    for dim, spec in _BREAKDOWN.items()
}

# A day counts in every period holding it: the previous year is also the year-ago one.
COMPARISON_SQL = f"""
    with periods (period, first_day, last_day) as (
        values ('current', $start, $end), ('previous', $prev_start, $prev_end),
            ('year_ago', $ya_start, $ya_end)
    )
    select periods.period, {SALES_SUMS}
    from {CATEGORY_SALES_FROM}
    join periods on ds.sales_date between periods.first_day and periods.last_day
    where {CATEGORY_SALES_DIMS}
        and (
            ds.sales_date between $start and $end
            or ds.sales_date between $prev_start and $prev_end
            or ds.sales_date between $ya_start and $ya_end
        )
    group by all
"""

PERIODS_SQL = """
    select period_start, orders, customers, units,
        cast(net_revenue as double) as net_revenue,
        cast(average_order_value as double) as average_order_value,
        net_revenue_growth_vs_previous_pct, net_revenue_growth_vs_year_ago_pct,
        orders_growth_vs_previous_pct, orders_growth_vs_year_ago_pct
    from marts.sales_periods
    where period_type = $period_type and channel = $channel_one
        and period_start between $period_from and $end
    order by period_start
"""

ABC_SQL = f"""
    select ps.revenue_rank, ps.sku, p.product_name, p.category, ps.abc_class, ps.mover_class,
        cast(ps.net_revenue as double) as net_revenue, ps.units,
        cast(ps.gross_margin as double) as gross_margin, ps.cumulative_revenue_share,
        ps.units_last_28_days, ps.first_sale_date, ps.last_sale_date
    from marts.product_sales as ps
    join marts.products as p on p.sku = ps.sku
    where {in_list("categories", "p.category")}
    order by ps.revenue_rank
"""

ABC_SUMMARY_SQL = f"""
    select ps.abc_class, count(*) as skus, cast(sum(ps.net_revenue) as double) as net_revenue,
        cast(sum(ps.net_revenue) / nullif(sum(sum(ps.net_revenue)) over (), 0) as double)
            as share
    from marts.product_sales as ps
    join marts.products as p on p.sku = ps.sku
    where {in_list("categories", "p.category")}
    group by all
    order by ps.abc_class
"""

# The products of one category: its SKUs by a semi-join on the products table.
DRILL_SQL = _breakdown_sql(
    f"{_SKU_ROWS} and ds.sku in (select sku from marts.products where category = $drill_category)",
    "ds.sku",
    "p.product_name",
    "left join marts.products as p on p.sku = sums.key",
)

_ABC_NEEDS = ("marts.product_sales", "marts.products")


def trend(srv: Serving, filters: Filters, grain: Grain = "day") -> Section:
    return run(srv, TREND_SQL[grain], filters.params(), CATEGORY_SALES_NEEDS)


def breakdown(srv: Serving, filters: Filters, dim: Dimension) -> Section:
    return run(srv, BREAKDOWN_SQL[dim], filters.params(), _BREAKDOWN[dim].needs)


def comparison(srv: Serving, filters: Filters) -> Section:
    return run(srv, COMPARISON_SQL, filters.params(), CATEGORY_SALES_NEEDS)


def single_channel(filters: Filters) -> str:
    """sales_periods counts distinct orders per channel or for 'all': one channel or all."""
    return filters.channels[0] if len(filters.channels) == 1 else "all"


def periods(srv: Serving, filters: Filters, period_type: Literal["week", "month"]) -> Section:
    params: dict[str, Any] = filters.params() | {
        "period_type": period_type,
        "channel_one": single_channel(filters),
        # The week or month holding the range's first day counts too.
        "period_from": containing(period_type, filters.start).start,
    }
    return run(srv, PERIODS_SQL, params, ("marts.sales_periods",))


def abc(srv: Serving, filters: Filters) -> Section:
    return run(srv, ABC_SQL, filters.params(), _ABC_NEEDS)


def abc_summary(srv: Serving, filters: Filters) -> Section:
    return run(srv, ABC_SUMMARY_SQL, filters.params(), _ABC_NEEDS)


def drill(srv: Serving, filters: Filters, category: str) -> Section:
    return run(srv, DRILL_SQL, filters.params() | {"drill_category": category}, SALES_NEEDS)


def page_data(
    srv: Serving,
    filters: Filters,
    grain: Grain = "day",
    dim: Dimension = "channel",
    category: str | None = None,
) -> dict[str, Section]:
    """Everything the sales page shows for these choices."""
    data = {
        "trend": trend(srv, filters, grain),
        "comparison": comparison(srv, filters),
        "breakdown": breakdown(srv, filters, dim),
        "categories": breakdown(srv, filters, "category"),
        "periods": periods(srv, filters, "week" if grain == "day" else grain),
        "abc": abc(srv, filters),
        "abc_summary": abc_summary(srv, filters),
    }
    if category is not None:
        data["drill"] = drill(srv, filters, category)
    return data
