{{ config(
    materialized='incremental',
    window={'partition': 'week_start', 'grain': 'week', 'changes': ['order', 'fulfilment'], 'onward': true},
) }}
-- One row per week x stage x warehouse x channel that had a stage completed in it or
-- orders in the stage at its end. Weeks start on Monday; a completed stage counts in
-- the week it ENDED. orders_in_progress: orders that had started the stage and neither
-- finished it nor been cancelled by the end of the week (for the clock's own week: by
-- the clock). share_of_cycle: the stage's mean duration over the mean order cycle of the
-- orders delivered in the same week, warehouse and channel (mean_cycle_hours, kept beside it).
-- warehouse_id is null for orders not allocated yet.
-- Incremental: a run re-derives the weeks from the week of the first changed order on
-- (int_changes; an order's stages end after it was placed), and the weeks past the last
-- one it holds (the clock moved on: orders in progress carry into them, changed or not);
-- each combination's orders in progress before those weeks are summed from the stage
-- rows, not read back.
with durations as {{ not_materialized() }} (
    select * from {{ ref('order_stage_durations') }}
),

clock as (
    select cast({{ dbt.date_trunc('week', local_ts(order_clock_at())) }} as date) as clock_week_start
),

week_numbers as (
    {{ day_numbers(4) }}
),

first_stage_week as (
    select cast({{ dbt.date_trunc('week', local_ts('min(started_at)')) }} as date) as week_start
    from durations
),

weeks as (
    select {{ add_days('first_stage_week.week_start', '7 * week_numbers.day_number') }} as week_start
    from first_stage_week
    cross join clock
    inner join week_numbers
        on
            week_numbers.day_number
            <= {{ days_between('first_stage_week.week_start', 'clock.clock_week_start') }} / 7
),

window_start as (
    -- The first week this run derives (the first of all in a full build); none when it
    -- derives no week.
    select min(week_start) as first_week
    from weeks
    where
        {{ in_window('week_start') }}
        {% if is_incremental() -%}
            or week_start > (select max(week_start) from {{ this }})
        {%- endif %}
),

completed as (
    select
        cast({{ dbt.date_trunc('week', local_ts('ended_at')) }} as date) as week_start,
        stage,
        warehouse_id,
        channel,
        duration_hours
    from durations
    where
        stage_status = 'completed'
        and {{ local_ts('ended_at') }} >= (select first_week from window_start)
),

completion_stats as (
    select
        week_start,
        stage,
        warehouse_id,
        channel,
        count(*) as orders,
        percentile_cont(0.5) within group (order by duration_hours) as p50_duration_hours,
        percentile_cont(0.9) within group (order by duration_hours) as p90_duration_hours,
        avg(duration_hours) as mean_duration_hours
    from completed
    group by week_start, stage, warehouse_id, channel
),

progress_changes as (
    -- +1 in the week a stage starts, -1 in the week it ends (or the order is cancelled):
    -- the running sum over weeks is the number of orders inside the stage at week end.
    -- Only the weeks re-derived; what came before is in combos.progress_before.
    select
        cast({{ dbt.date_trunc('week', local_ts('started_at')) }} as date) as week_start,
        stage,
        warehouse_id,
        channel,
        1 as progress_change
    from durations
    where {{ local_ts('started_at') }} >= (select first_week from window_start)
    union all
    select
        cast({{ dbt.date_trunc('week', local_ts('coalesce(ended_at, cancelled_at)')) }} as date)
            as week_start,
        stage,
        warehouse_id,
        channel,
        -1 as progress_change
    from durations
    where {{ local_ts('coalesce(ended_at, cancelled_at)') }} >= (select first_week from window_start)
),

combos as (
    -- Each combination's first week in the calendar, and the orders in progress at the
    -- start of the first week re-derived: one pass over the stage rows.
    select
        durations.stage,
        durations.stage_number,
        durations.warehouse_id,
        durations.channel,
        {{ greatest_of([
            'cast(' ~ dbt.date_trunc('week', local_ts('min(durations.started_at)')) ~ ' as date)',
            'window_start.first_week',
        ]) }} as first_week_start,
        sum(case when {{ local_ts('durations.started_at') }} < window_start.first_week then 1 else 0 end)
        - sum(
            case
                when {{ local_ts('coalesce(durations.ended_at, durations.cancelled_at)') }} < window_start.first_week
                    then 1
                else 0
            end
        ) as progress_before
    from durations
    cross join window_start
    -- None when the run derives no week (greatest_of would skip the null).
    where window_start.first_week is not null
    group by
        durations.stage,
        durations.stage_number,
        durations.warehouse_id,
        durations.channel,
        window_start.first_week
),

calendar as (
    select
        combos.stage,
        combos.stage_number,
        combos.warehouse_id,
        combos.channel,
        combos.progress_before,
        cast(
            {{ dbt.dateadd('day', '7 * week_numbers.day_number', 'combos.first_week_start') }}
            as date
        ) as week_start
    from combos
    cross join clock
    inner join week_numbers
        on
            week_numbers.day_number
            <= {{ dbt.datediff('combos.first_week_start', 'clock.clock_week_start', 'day') }} / 7
),

weekly_changes as (
    -- Summed per week before the calendar join (millions of stage rows, thousands of weeks).
    select
        week_start,
        stage,
        warehouse_id,
        channel,
        sum(progress_change) as progress_change
    from progress_changes
    group by week_start, stage, warehouse_id, channel
),

weekly_progress as (
    select
        calendar.week_start,
        calendar.stage,
        calendar.stage_number,
        calendar.warehouse_id,
        calendar.channel,
        calendar.progress_before,
        coalesce(weekly_changes.progress_change, 0) as progress_change
    from calendar
    left join weekly_changes
        on
            calendar.week_start = weekly_changes.week_start
            and calendar.stage = weekly_changes.stage
            and calendar.warehouse_id is not distinct from weekly_changes.warehouse_id
            and calendar.channel = weekly_changes.channel
),

in_progress as (
    select
        *,
        progress_before + sum(progress_change) over (
            partition by stage, warehouse_id, channel
            order by week_start
            rows between unbounded preceding and current row
        ) as orders_in_progress
    from weekly_progress
),

joined as (
    select
        in_progress.week_start,
        in_progress.stage,
        in_progress.stage_number,
        in_progress.warehouse_id,
        in_progress.channel,
        coalesce(completion_stats.orders, 0) as orders,
        completion_stats.p50_duration_hours,
        completion_stats.p90_duration_hours,
        completion_stats.mean_duration_hours,
        in_progress.orders_in_progress
    from in_progress
    left join completion_stats
        on
            in_progress.week_start = completion_stats.week_start
            and in_progress.stage = completion_stats.stage
            and in_progress.warehouse_id is not distinct from completion_stats.warehouse_id
            and in_progress.channel = completion_stats.channel
),

cycles as (
    select
        week_start,
        warehouse_id,
        channel,
        mean_duration_hours as mean_cycle_hours
    from completion_stats
    where stage = 'order_cycle'
),

final as (
    select
        joined.week_start,
        joined.stage,
        cast(joined.stage_number as bigint) as stage_number,
        joined.warehouse_id,
        joined.channel,
        cast(joined.orders as bigint) as orders,
        cast(joined.p50_duration_hours as double) as p50_duration_hours,
        cast(joined.p90_duration_hours as double) as p90_duration_hours,
        cast(joined.mean_duration_hours as double) as mean_duration_hours,
        cast(cycles.mean_cycle_hours as double) as mean_cycle_hours,
        case
            when cycles.mean_cycle_hours > 0
                then cast(joined.mean_duration_hours / cycles.mean_cycle_hours as double)
        end as share_of_cycle,
        cast(joined.orders_in_progress as bigint) as orders_in_progress
    from joined
    left join cycles
        on
            joined.week_start = cycles.week_start
            and joined.warehouse_id is not distinct from cycles.warehouse_id
            and joined.channel = cycles.channel
    where joined.orders > 0 or joined.orders_in_progress > 0
)

select
    *,
    {{ absorbed_batch() }} as absorbed_batch_id
from final
