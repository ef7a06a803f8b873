"""SQL pieces every page shares: the filter predicates, the filter options, the data clock.

The predicates are constants (identifiers written here, values always `$parameters`): a
user's choice only ever arrives as a bound value.
"""

from __future__ import annotations

import polars as pl

from dashboards.lib.filters import Options
from dashboards.lib.serving import Missing, Section, Serving, run


def in_list(param: str, column: str) -> str:
    """`column` restricted to the bound list `$param`, or unrestricted when it is null."""
    return f"(${param}::varchar[] is null or list_contains(${param}::varchar[], {column}))"


_SKUS_WHERE = "select sku from marts.products where "


def sku_in_categories(param: str) -> str:
    """`ds.sku` is in a category of the bound list `$param` (any SKU when it is null).

    A semi-join on the small products table: the fact rows are never joined to it.
    """
    listed = f"list_contains(${param}::varchar[], category)"
    return f"(${param}::varchar[] is null or ds.sku in ({_SKUS_WHERE}{listed}))"


# Sales at SKU grain: daily_sales alone. The category filter is a semi-join on the small
# products table (no join per fact row); labels are joined after aggregating.
SALES_FROM = "marts.daily_sales as ds"
SALES_DIMS = " and ".join(
    [
        in_list("channels", "ds.channel"),
        in_list("warehouses", "ds.warehouse_id"),
        in_list("regions", "ds.ship_to_region"),
        sku_in_categories("categories"),
    ]
)
SALES_WHERE = f"ds.sales_date between $start and $end and {SALES_DIMS}"
SALES_NEEDS = ("marts.daily_sales", "marts.products")

# Sales above SKU grain (trend, comparison, breakdowns but by product): daily_category_sales,
# daily_sales already summed per category, so the category is a column. Same alias and
# measures as above, so SALES_SUMS serves both.
CATEGORY_SALES_FROM = "marts.daily_category_sales as ds"
CATEGORY_SALES_DIMS = " and ".join(
    [
        in_list("channels", "ds.channel"),
        in_list("warehouses", "ds.warehouse_id"),
        in_list("regions", "ds.ship_to_region"),
        in_list("categories", "ds.category"),
    ]
)
CATEGORY_SALES_WHERE = f"ds.sales_date between $start and $end and {CATEGORY_SALES_DIMS}"
CATEGORY_SALES_NEEDS = ("marts.daily_category_sales",)

# Money is DECIMAL in the marts; charts and formats want doubles.
SALES_SUMS = """
    cast(sum(ds.net_revenue) as double) as net_revenue,
    cast(sum(ds.units) as bigint) as units,
    cast(sum(ds.gross_margin) as double) as gross_margin,
    cast(sum(ds.refund_amount) as double) as refund_amount,
    cast(sum(ds.net_revenue_after_returns) as double) as net_revenue_after_returns
"""

_RANGE_SQL = (
    "select min(sales_date) as first_date, max(sales_date) as last_date from marts.daily_sales"
)
_CHANNELS_SQL = "select distinct channel from marts.sales_periods where channel <> 'all' order by 1"
_WAREHOUSES_SQL = "select warehouse_id, warehouse_name from marts.warehouses order by warehouse_id"
_REGIONS_SQL = (
    "select distinct ship_to_region as region from marts.daily_sales "
    "where ship_to_region is not null order by 1"
)
_CATEGORIES_SQL = "select distinct category from marts.products order by 1"


def frame(section: Section) -> pl.DataFrame | None:
    return section if isinstance(section, pl.DataFrame) else None


def options(srv: Serving) -> Options | None:
    """What the filters offer, from the data; None when no sales were published at all."""
    dates = frame(run(srv, _RANGE_SQL, {}, ("marts.daily_sales",)))
    if dates is None or dates.is_empty() or dates["last_date"][0] is None:
        return None
    channels = frame(run(srv, _CHANNELS_SQL, {}, ("marts.sales_periods",)))
    warehouses = frame(run(srv, _WAREHOUSES_SQL, {}, ("marts.warehouses",)))
    regions = frame(run(srv, _REGIONS_SQL, {}, ("marts.daily_sales",)))
    categories = frame(run(srv, _CATEGORIES_SQL, {}, ("marts.products",)))
    return Options(
        first_date=dates["first_date"][0],
        last_date=dates["last_date"][0],
        channels=tuple(channels["channel"]) if channels is not None else (),
        warehouses=tuple(warehouses.iter_rows()) if warehouses is not None else (),
        regions=tuple(regions["region"]) if regions is not None else (),
        categories=tuple(categories["category"]) if categories is not None else (),
    )


__all__ = [
    "Missing",
    "Section",
    "Serving",
    "frame",
    "in_list",
    "options",
    "run",
    "sku_in_categories",
]
