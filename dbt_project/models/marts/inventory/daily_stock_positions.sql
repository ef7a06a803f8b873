{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='position_date',
    on_schema_change='fail',
) }}
-- One row per date x sku x warehouse, from the pair's first movement to the stock clock.
-- Every position is a running total of the daily changes (movements + count variances,
-- on-order and committed changes). Incremental by date: a run rebuilds the last
-- `stock_lookback_days` days before the newest position and every day up to the clock,
-- carrying the totals of the day before that window forward; older corrections need
-- --full-refresh.
{%- set lookback_days = var('stock_lookback_days', 7) | int %}
with changes as not materialized (
    select * from {{ ref('int_stock_daily_deltas') }}
),

products as not materialized (
    select * from {{ ref('stg_products') }}
),

clock as (
    select {{ stock_clock_date() }} as clock_date
),

rebuild_window as (
    {% if is_incremental() -%}
        select
            cast({{ dbt.dateadd('day', -lookback_days, 'max(position_date)') }} as date)
                as window_start
        from {{ this }}
    {%- else -%}
        select min(change_date) as window_start
        from changes
    {%- endif %}
),

pairs as (
    select
        sku,
        warehouse_id,
        min(change_date) as first_movement_date
    from changes
    group by sku, warehouse_id
),

pair_ranges as (
    select
        pairs.sku,
        pairs.warehouse_id,
        greatest(pairs.first_movement_date, rebuild_window.window_start) as range_start,
        {{ dbt.datediff(
            'greatest(pairs.first_movement_date, rebuild_window.window_start)',
            'clock.clock_date',
            'day',
        ) }} as range_days
    from pairs
    cross join rebuild_window
    cross join clock
),

day_numbers as (
    {{ day_numbers() }}
),

calendar as (
    select
        pair_ranges.sku,
        pair_ranges.warehouse_id,
        cast({{ dbt.dateadd('day', 'day_numbers.day_number', 'pair_ranges.range_start') }} as date)
            as position_date
    from pair_ranges
    inner join day_numbers
        on day_numbers.day_number <= pair_ranges.range_days
),

opening as (
    -- The totals carried into the window (none on a full build).
    {% if is_incremental() -%}
        select
            this_table.sku,
            this_table.warehouse_id,
            this_table.on_hand,
            this_table.on_order,
            this_table.committed
        from {{ this }} as this_table
        inner join rebuild_window
            on
                this_table.position_date
                = cast({{ dbt.dateadd('day', -1, 'rebuild_window.window_start') }} as date)
    {%- else -%}
        select
            cast(null as {{ dbt.type_string() }}) as sku,
            cast(null as {{ dbt.type_string() }}) as warehouse_id,
            cast(0 as bigint) as on_hand,
            cast(0 as bigint) as on_order,
            cast(0 as bigint) as committed
        where 1 = 0
    {%- endif %}
),

daily as (
    select
        calendar.position_date,
        calendar.sku,
        calendar.warehouse_id,
        coalesce(changes.units_received, 0) as units_received,
        coalesce(changes.units_sold, 0) as units_sold,
        coalesce(changes.units_returned, 0) as units_returned,
        coalesce(changes.movement_quantity, 0) as movement_quantity,
        coalesce(changes.count_variance, 0) as count_variance,
        coalesce(changes.counts_taken, 0) as counts_taken,
        coalesce(changes.on_order_change, 0) as on_order_change,
        coalesce(changes.committed_change, 0) as committed_change
    from calendar
    left join changes
        on
            calendar.sku = changes.sku
            and calendar.warehouse_id = changes.warehouse_id
            and calendar.position_date = changes.change_date
),

running as (
    select
        daily.*,
        coalesce(opening.on_hand, 0) + sum(daily.movement_quantity + daily.count_variance) over pair_history
            as on_hand,
        coalesce(opening.on_order, 0) + sum(daily.on_order_change) over pair_history as on_order,
        coalesce(opening.committed, 0) + sum(daily.committed_change) over pair_history
            as committed
    from daily
    left join opening
        on
            daily.sku = opening.sku
            and daily.warehouse_id = opening.warehouse_id
    window pair_history as (
        partition by daily.sku, daily.warehouse_id
        order by daily.position_date
        rows between unbounded preceding and current row
    )
),

final as (
    select
        running.position_date,
        running.sku,
        running.warehouse_id,
        products.category,
        cast(running.units_received as bigint) as units_received,
        cast(running.units_sold as bigint) as units_sold,
        cast(running.units_returned as bigint) as units_returned,
        cast(running.movement_quantity as bigint) as net_movement,
        cast(running.count_variance as bigint) as count_variance,
        running.counts_taken > 0 as is_counted,
        cast(running.on_hand as bigint) as on_hand,
        cast(running.on_order as bigint) as on_order,
        cast(running.committed as bigint) as committed,
        cast(running.on_hand - running.committed as bigint) as available,
        products.unit_cost,
        cast(running.on_hand * products.unit_cost as decimal(18, 2)) as value_at_cost,
        running.on_hand <= 0 as is_stockout
    from running
    left join products
        on running.sku = products.sku
)

select * from final
