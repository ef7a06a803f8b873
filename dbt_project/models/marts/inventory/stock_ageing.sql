-- One row per sku x warehouse as of the stock clock: the units on hand split into age
-- buckets by FIFO, i.e. the units on hand are taken to be the most recent inflows
-- (receipts, returns, transfers in, positive adjustments). Units beyond every recorded
-- inflow (a count that found more) have no known age and go to the oldest bucket.
-- Dead stock: stock on hand, no sale in the last `dead_stock_days` days, and the pair has
-- had stock movements for at least that long (a new product is not dead).
{%- set dead_stock_days = var('dead_stock_days') %}
with positions as (
    select * from {{ ref('daily_stock_positions') }}
),

movements as {{ not_materialized() }} (
    select * from {{ ref('stg_stock_movements') }}
),

clock as (
    select {{ stock_clock_date() }} as clock_date
),

current_positions as (
    select positions.*
    from positions
    inner join clock
        on positions.position_date = clock.clock_date
),

pair_history as (
    select
        sku,
        warehouse_id,
        min({{ local_date('moved_at') }}) as first_movement_date,
        max(case when movement_type = 'sale' then {{ local_date('moved_at') }} end) as last_sale_date
    from movements
    group by sku, warehouse_id
),

inflows as (
    select
        movements.sku,
        movements.warehouse_id,
        {{ local_date('movements.moved_at') }} as inflow_date,
        movements.quantity,
        current_positions.on_hand,
        sum(movements.quantity) over (
            partition by movements.sku, movements.warehouse_id
            order by movements.moved_at desc, movements.movement_id desc
            rows between unbounded preceding and current row
        ) - movements.quantity as newer_units
    from movements
    inner join current_positions
        on
            movements.sku = current_positions.sku
            and movements.warehouse_id = current_positions.warehouse_id
    where movements.quantity > 0 and current_positions.on_hand > 0
),

aged_units as (
    select
        inflows.sku,
        inflows.warehouse_id,
        {{ greatest_of([
            least_of(['inflows.quantity', 'inflows.on_hand - inflows.newer_units']),
            '0',
        ]) }} as units,
        {{ dbt.datediff('inflows.inflow_date', 'clock.clock_date', 'day') }} as age_days
    from inflows
    cross join clock
),

buckets as (
    select
        sku,
        warehouse_id,
        sum(units) as aged_units,
        sum(case when age_days <= 30 then units else 0 end) as units_0_30,
        sum(case when age_days between 31 and 60 then units else 0 end) as units_31_60,
        sum(case when age_days between 61 and 90 then units else 0 end) as units_61_90,
        sum(case when age_days between 91 and 180 then units else 0 end) as units_91_180,
        sum(case when age_days > 180 then units else 0 end) as units_over_180,
        max(case when units > 0 then age_days end) as oldest_unit_age_days
    from aged_units
    group by sku, warehouse_id
),

final as (
    select
        current_positions.sku,
        current_positions.warehouse_id,
        clock.clock_date as as_of_date,
        current_positions.category,
        current_positions.on_hand,
        current_positions.value_at_cost,
        cast(coalesce(buckets.units_0_30, 0) as bigint) as units_0_30,
        cast(coalesce(buckets.units_31_60, 0) as bigint) as units_31_60,
        cast(coalesce(buckets.units_61_90, 0) as bigint) as units_61_90,
        cast(coalesce(buckets.units_91_180, 0) as bigint) as units_91_180,
        cast(
            coalesce(buckets.units_over_180, 0)
            + {{ greatest_of(['current_positions.on_hand - coalesce(buckets.aged_units, 0)', '0']) }}
            as bigint
        ) as units_over_180,
        cast(buckets.oldest_unit_age_days as bigint) as oldest_unit_age_days,
        pair_history.first_movement_date,
        pair_history.last_sale_date,
        cast({{ dbt.datediff('pair_history.last_sale_date', 'clock.clock_date', 'day') }} as bigint)
            as days_since_last_sale,
        coalesce(
            current_positions.on_hand > 0
            and {{ dbt.datediff('pair_history.first_movement_date', 'clock.clock_date', 'day') }}
            >= {{ dead_stock_days }}
            and (
                pair_history.last_sale_date is null
                or {{ dbt.datediff('pair_history.last_sale_date', 'clock.clock_date', 'day') }}
                >= {{ dead_stock_days }}
            ),
            false
        ) as is_dead_stock
    from current_positions
    cross join clock
    left join buckets
        on
            current_positions.sku = buckets.sku
            and current_positions.warehouse_id = buckets.warehouse_id
    left join pair_history
        on
            current_positions.sku = pair_history.sku
            and current_positions.warehouse_id = pair_history.warehouse_id
)

select * from final
