{{ config(
    materialized='incremental',
    window={'partition': 'sales_date', 'grain': 'day', 'changes': ['order', 'return']},
) }}
-- One row per sales date x sku x warehouse x channel x ship-to region. Sales are dated by
-- the order's ordered date, returns by their returned date. Incremental: a run rebuilds
-- the days holding changed orders and returns.
with lines as (
    select * from {{ ref('int_order_lines_priced') }}
    where {{ in_window('ordered_date') }}
),

returns as (
    select * from {{ ref('int_order_lines_returned') }}
    where {{ in_window('returned_date') }}
),

sold as (
    select
        ordered_date as sales_date,
        sku,
        warehouse_id,
        channel,
        ship_to_region,
        count(distinct order_id) as orders,
        sum(quantity) as units,
        sum(gross_amount) as gross_revenue,
        sum(discount_amount) as discount_amount,
        sum(net_amount) as net_revenue,
        cast(0 as bigint) as returned_units,
        cast(0 as decimal(18, 2)) as refund_amount,
        sum(cost_of_goods) as cost_of_goods
    from lines
    where not is_cancelled
    group by ordered_date, sku, warehouse_id, channel, ship_to_region
),

returned as (
    select
        returned_date as sales_date,
        sku,
        warehouse_id,
        channel,
        ship_to_region,
        cast(0 as bigint) as orders,
        cast(0 as bigint) as units,
        cast(0 as decimal(18, 2)) as gross_revenue,
        cast(0 as decimal(18, 2)) as discount_amount,
        cast(0 as decimal(18, 2)) as net_revenue,
        sum(returned_units) as returned_units,
        sum(refund_amount) as refund_amount,
        cast(0 as decimal(18, 2)) as cost_of_goods
    from returns
    group by returned_date, sku, warehouse_id, channel, ship_to_region
),

combined as (
    select * from sold
    union all
    select * from returned
),

final as (
    select
        sales_date,
        sku,
        warehouse_id,
        channel,
        ship_to_region,
        cast(sum(orders) as bigint) as orders,
        cast(sum(units) as bigint) as units,
        cast(sum(gross_revenue) as decimal(18, 2)) as gross_revenue,
        cast(sum(discount_amount) as decimal(18, 2)) as discount_amount,
        cast(sum(net_revenue) as decimal(18, 2)) as net_revenue,
        cast(sum(returned_units) as bigint) as returned_units,
        cast(sum(refund_amount) as decimal(18, 2)) as refund_amount,
        cast(sum(net_revenue) - sum(refund_amount) as decimal(18, 2))
            as net_revenue_after_returns,
        cast(sum(cost_of_goods) as decimal(18, 2)) as cost_of_goods,
        cast(sum(net_revenue) - sum(cost_of_goods) as decimal(18, 2)) as gross_margin
    from combined
    group by sales_date, sku, warehouse_id, channel, ship_to_region
)

-- Written in date order: DuckDB's zone maps then skip every row group outside a page's
-- date range (a run appends the days it replaced, mostly the latest).
select
    *,
    {{ absorbed_batch() }} as absorbed_batch_id
from final
order by sales_date
