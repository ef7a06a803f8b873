{{ config(
    materialized='incremental',
    window={'partition': 'position_date', 'grain': 'day', 'changes': ['stock'], 'onward': true},
) }}
-- One row per date x sku x warehouse, from the pair's first movement to the stock clock.
-- Every position is a running total of the daily changes (movements + count variances,
-- on-order and committed changes). Incremental: a run rebuilds every day from the first
-- one whose stock changed to the clock, carrying each pair's totals of the day before on.
with changes as {{ not_materialized() }} (
    select * from {{ ref('int_stock_daily_deltas') }}
    where {{ in_window('change_date') }}
),

products as (
    select * from {{ ref('stg_products') }}
),

clock as (
    select {{ stock_clock_date() }} as clock_date
),

opening as (
    -- The totals carried into the window: each pair's position of the day before it (none
    -- on a full build).
    {% if is_incremental() -%}
        select
            sku,
            warehouse_id,
            position_date,
            on_hand,
            on_order,
            committed
        from {{ this }}
        where
            {{ in_window(add_days('position_date', 1)) }}
            and not ({{ in_window('position_date') }})
    {%- else -%}
        select
            cast(null as {{ dbt.type_string() }}) as sku,
            cast(null as {{ dbt.type_string() }}) as warehouse_id,
            cast(null as date) as position_date,
            cast(0 as bigint) as on_hand,
            cast(0 as bigint) as on_order,
            cast(0 as bigint) as committed
        where 1 = 0
    {%- endif %}
),

pair_starts as (
    -- A pair's days in the window start after its opening, or on its first change (its
    -- first movement) when it has none.
    select
        sku,
        warehouse_id,
        {{ add_days('position_date', 1) }} as first_date
    from opening
    union all
    select
        sku,
        warehouse_id,
        min(change_date) as first_date
    from changes
    group by sku, warehouse_id
),

pair_ranges as (
    select
        pair_starts.sku,
        pair_starts.warehouse_id,
        min(pair_starts.first_date) as range_start,
        {{ days_between('min(pair_starts.first_date)', 'clock.clock_date') }} as range_days
    from pair_starts
    cross join clock
    group by pair_starts.sku, pair_starts.warehouse_id, clock.clock_date
),

day_numbers as (
    {{ day_numbers() }}
),

calendar as (
    select
        pair_ranges.sku,
        pair_ranges.warehouse_id,
        {{ add_days('pair_ranges.range_start', 'day_numbers.day_number') }} as position_date
    from pair_ranges
    inner join day_numbers
        on day_numbers.day_number <= pair_ranges.range_days
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

-- Written in date order: DuckDB's zone maps then skip the row groups outside the dates a
-- reader or a run's delete asks for (a run replaces the latest days).
select
    *,
    {{ absorbed_batch() }} as absorbed_batch_id
from final
order by position_date
