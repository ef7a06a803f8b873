{{ config(
    materialized='incremental',
    window={'partition': 'sales_date', 'grain': 'day', 'changes': ['order', 'return']},
) }}
-- One row per sales date x category x warehouse x channel x ship-to region: daily_sales
-- summed over the SKUs of each category, for the pages that never show a single SKU (a
-- fraction of daily_sales' rows and no join to products per row). daily_sales' `orders`
-- is left out: it counts distinct orders per SKU and does not add up across SKUs
-- (sales_periods has the distinct counts). Incremental like daily_sales: a run rebuilds
-- the days holding changed orders and returns (a product's new category is a change of
-- its orders, so its days are rebuilt too).
with daily_sales as (
    select * from {{ ref('daily_sales') }}
    where {{ in_window('sales_date') }}
),

products as (
    select * from {{ ref('stg_products') }}
),

by_category as (
    -- A left join, so that every daily_sales row counts even for a SKU missing from the
    -- catalogue (its category is null; daily_sales' relationship test flags it).
    select
        daily_sales.sales_date,
        products.category,
        daily_sales.warehouse_id,
        daily_sales.channel,
        daily_sales.ship_to_region,
        sum(daily_sales.units) as units,
        sum(daily_sales.gross_revenue) as gross_revenue,
        sum(daily_sales.discount_amount) as discount_amount,
        sum(daily_sales.net_revenue) as net_revenue,
        sum(daily_sales.returned_units) as returned_units,
        sum(daily_sales.refund_amount) as refund_amount,
        sum(daily_sales.net_revenue_after_returns) as net_revenue_after_returns,
        sum(daily_sales.cost_of_goods) as cost_of_goods,
        sum(daily_sales.gross_margin) as gross_margin
    from daily_sales
    left join products
        on daily_sales.sku = products.sku
    group by
        daily_sales.sales_date,
        products.category,
        daily_sales.warehouse_id,
        daily_sales.channel,
        daily_sales.ship_to_region
),

final as (
    select
        sales_date,
        category,
        warehouse_id,
        channel,
        ship_to_region,
        cast(units as bigint) as units,
        cast(gross_revenue as decimal(18, 2)) as gross_revenue,
        cast(discount_amount as decimal(18, 2)) as discount_amount,
        cast(net_revenue as decimal(18, 2)) as net_revenue,
        cast(returned_units as bigint) as returned_units,
        cast(refund_amount as decimal(18, 2)) as refund_amount,
        cast(net_revenue_after_returns as decimal(18, 2)) as net_revenue_after_returns,
        cast(cost_of_goods as decimal(18, 2)) as cost_of_goods,
        cast(gross_margin as decimal(18, 2)) as gross_margin
    from by_category
)

-- Written in date order: DuckDB's zone maps then skip every row group outside a page's
-- date range (a run appends the days it replaced, mostly the latest).
select
    *,
    {{ absorbed_batch() }} as absorbed_batch_id
from final
order by sales_date
