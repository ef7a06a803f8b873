{{ config(
    materialized='incremental',
    window={'partition': 'month_start', 'grain': 'month', 'changes': ['stock'], 'onward': true},
) }}
-- One row per month x sku x warehouse (the months the pair has positions in; the first
-- and the clock's month may be partial: days_observed says how many days count).
-- Lost demand: stockout days x the average daily units sold on in-stock days of the
-- trailing 28 days ending on the month's last observed day. A day counts as in stock
-- when it ended with stock or sold something (the day that sells out had stock).
-- Incremental: a run re-derives the months from the first one whose stock changed on (the
-- trailing 28 days reach into the month after), reading the positions from 27 days
-- before it (the trailing window of its first day).
with positions as (
    select * from {{ ref('daily_stock_positions') }}
    where {{ in_window(add_days('position_date', 27)) }}
),

flagged as (
    select
        *,
        cast({{ dbt.date_trunc('month', 'position_date') }} as date) as month_start,
        (not is_stockout or units_sold > 0) as is_in_stock_day
    from positions
),

trailing_sums as (
    select
        *,
        sum(case when is_in_stock_day then units_sold else 0 end) over trailing_28_days
            as in_stock_units_sold_28d,
        sum(case when is_in_stock_day then 1 else 0 end) over trailing_28_days
            as in_stock_days_28d,
        row_number() over (
            partition by sku, warehouse_id, month_start order by position_date desc
        ) as days_from_month_end
    from flagged
    window trailing_28_days as (
        partition by sku, warehouse_id
        order by position_date
        rows between 27 preceding and current row
    )
),

monthly as (
    select
        month_start,
        sku,
        warehouse_id,
        max(category) as category,
        count(*) as days_observed,
        sum(units_sold) as units_sold,
        sum(units_sold * unit_cost) as cogs,
        {{ mean_of('value_at_cost', scale=2) }} as average_inventory_value,
        {{ divide_rounded('sum(value_at_cost)', 'count(value_at_cost)') }} as average_inventory_value_cents,
        sum(case when is_stockout then 1 else 0 end) as stockout_days,
        max(case when days_from_month_end = 1 then on_hand end) as ending_on_hand,
        max(case when days_from_month_end = 1 then in_stock_units_sold_28d end)
            as in_stock_units_sold_28d,
        max(case when days_from_month_end = 1 then in_stock_days_28d end) as in_stock_days_28d
    from trailing_sums
    where {{ in_window('month_start') }}
    group by month_start, sku, warehouse_id
),

final as (
    select
        month_start,
        sku,
        warehouse_id,
        category,
        cast(days_observed as bigint) as days_observed,
        cast(units_sold as bigint) as units_sold,
        cast(cogs as decimal(18, 2)) as cogs,
        cast(average_inventory_value_cents as decimal(18, 2)) as average_inventory_value,
        {{ inventory_turnover('cogs', 'average_inventory_value') }} as turnover,
        {{ days_of_inventory('days_observed', 'cogs', 'average_inventory_value') }}
            as days_of_inventory,
        cast(ending_on_hand as bigint) as ending_on_hand,
        cast({{ sell_through_base('units_sold', 'ending_on_hand') }} as bigint)
            as units_sold_and_left,
        {{ sell_through('units_sold', 'ending_on_hand') }} as sell_through,
        cast(stockout_days as bigint) as stockout_days,
        case
            when in_stock_days_28d > 0
                then cast(in_stock_units_sold_28d as double) / in_stock_days_28d
        end as average_daily_units_sold_in_stock_28d,
        case
            when stockout_days = 0 then cast(0 as double)
            when in_stock_days_28d > 0
                then
                    stockout_days * cast(in_stock_units_sold_28d as double)
                    / in_stock_days_28d
        end as lost_demand_units
    from monthly
)

select
    *,
    {{ absorbed_batch() }} as absorbed_batch_id
from final
