-- One row per sku x warehouse with an alert as of the stock clock.
-- days of supply = available / average daily units sold over the trailing 28 days
-- (sold units / 28, stockout days included: they are days the shelf could not sell).
-- low_stock: days of supply below the supplier's lead time (it will run out before a
--   new order can arrive); available at or below zero with demand is low stock too.
-- over_stock: days of supply above `overstock_days_of_supply`, or stock
--   available with no sale at all in the 28 days (days of supply unbounded: null).
{%- set trailing_days = 28 %}
{%- set overstock_days = var('overstock_days_of_supply') %}
with positions as {{ not_materialized() }} (
    select * from {{ ref('daily_stock_positions') }}
),

products as (
    select * from {{ ref('stg_products') }}
),

suppliers as (
    select * from {{ ref('stg_suppliers') }}
),

clock as (
    select {{ stock_clock_date() }} as clock_date
),

recent_sales as (
    select
        positions.sku,
        positions.warehouse_id,
        sum(positions.units_sold) as units_sold_28d
    from positions
    cross join clock
    where
        positions.position_date > cast(
            {{ dbt.dateadd('day', -trailing_days, 'clock.clock_date') }} as date
        )
    group by positions.sku, positions.warehouse_id
),

current_positions as (
    select positions.*
    from positions
    inner join clock
        on positions.position_date = clock.clock_date
),

supply as (
    select
        current_positions.sku,
        current_positions.warehouse_id,
        current_positions.position_date as as_of_date,
        current_positions.category,
        current_positions.on_hand,
        current_positions.committed,
        current_positions.available,
        current_positions.on_order,
        coalesce(recent_sales.units_sold_28d, 0) as units_sold_28d,
        cast(coalesce(recent_sales.units_sold_28d, 0) as double)
        / {{ trailing_days }} as average_daily_units_sold_28d,
        suppliers.lead_time_days
    from current_positions
    left join recent_sales
        on
            current_positions.sku = recent_sales.sku
            and current_positions.warehouse_id = recent_sales.warehouse_id
    left join products
        on current_positions.sku = products.sku
    left join suppliers
        on products.supplier_id = suppliers.supplier_id
),

scored as (
    select
        *,
        case
            when average_daily_units_sold_28d > 0
                then available / average_daily_units_sold_28d
        end as days_of_supply
    from supply
),

final as (
    select
        sku,
        warehouse_id,
        as_of_date,
        category,
        case
            when days_of_supply < lead_time_days then 'low_stock'
            when days_of_supply > {{ overstock_days }} then 'over_stock'
            when average_daily_units_sold_28d = 0 and available > 0 then 'over_stock'
        end as alert_type,
        case
            when days_of_supply < lead_time_days then 'days_of_supply_below_lead_time'
            when days_of_supply > {{ overstock_days }} then 'days_of_supply_above_threshold'
            when average_daily_units_sold_28d = 0 and available > 0 then 'no_sales_in_28_days'
        end as alert_reason,
        on_hand,
        committed,
        available,
        on_order,
        cast(units_sold_28d as bigint) as units_sold_28d,
        average_daily_units_sold_28d,
        days_of_supply,
        cast(lead_time_days as bigint) as lead_time_days,
        cast({{ overstock_days }} as bigint) as overstock_threshold_days
    from scored
)

select * from final
where alert_type is not null
