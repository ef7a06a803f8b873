-- One row per open order (not delivered, not cancelled, with a promised date) that is
-- expected to arrive after its promise, as of the order clock (the latest order event).
-- Expected delivery = clock + what typically remains: for the current stage its p50
-- duration less the time already spent in it (never below zero), plus the p50 of every
-- later stage on the order's path (approval only if it needs one). Typical durations are
-- p50s of the stages completed in the trailing `at_risk_trailing_days` days,
-- or of all history where a stage had none. The promise holds until the end of the
-- promised date. late_stage: the first stage whose expected end passes the promise.
{%- set trailing_days = var('at_risk_trailing_days') | int %}
with durations as {{ not_materialized() }} (
    select * from {{ ref('order_stage_durations') }}
),

orders as (
    select * from {{ ref('int_order_events_pivoted') }}
),

clock as (
    select {{ order_clock_at() }} as clock_at
),

stage_path as (
    select 'received_to_confirmed' as stage, 1 as stage_number
    union all
    select 'confirmed_to_approved' as stage, 2 as stage_number
    union all
    select 'approved_to_allocated' as stage, 3 as stage_number
    union all
    select 'allocated_to_shipped' as stage, 4 as stage_number
    union all
    select 'shipped_to_delivered' as stage, 5 as stage_number
),

completed as {{ not_materialized() }} (
    select
        durations.stage,
        durations.ended_at,
        durations.duration_hours
    from durations
    where durations.stage_status = 'completed' and durations.stage != 'order_cycle'
),

recent_typical as (
    -- A filter on ended_at itself, so that only the recent row groups are read.
    select
        completed.stage,
        percentile_cont(0.5) within group (order by completed.duration_hours)
            as p50_duration_hours
    from completed
    cross join clock
    where completed.ended_at > {{ dbt.dateadd('day', -trailing_days, 'clock.clock_at') }}
    group by completed.stage
),

stages_without_recent as (
    select stage from stage_path
    except
    select stage from recent_typical
),

all_time_typical as (
    -- Only for the stages with no recent completion (the median of all history is costly;
    -- with none, the empty list of stages skips the scan).
    select
        completed.stage,
        percentile_cont(0.5) within group (order by completed.duration_hours)
            as p50_duration_hours
    from completed
    where completed.stage in (select stages_without_recent.stage from stages_without_recent)
    group by completed.stage
),

typical as (
    select
        stage,
        p50_duration_hours
    from recent_typical
    union all
    select
        stage,
        p50_duration_hours
    from all_time_typical
),

in_progress as (
    select
        order_id,
        stage,
        stage_number,
        started_at,
        warehouse_id,
        channel
    from durations
    where stage_status = 'in_progress' and stage != 'order_cycle'
),

open_orders as (
    -- Filtered first: the open orders are few, the orders many (a plain join let the
    -- planner hash every order).
    select
        orders.order_id,
        orders.needs_approval,
        orders.received_at,
        orders.promised_date
    from orders
    where
        orders.promised_date is not null
        and orders.order_id in (select in_progress.order_id from in_progress)
),

current_stages as (
    select
        in_progress.order_id,
        in_progress.stage as current_stage,
        in_progress.stage_number as current_stage_number,
        in_progress.started_at as current_stage_started_at,
        in_progress.warehouse_id,
        in_progress.channel,
        open_orders.needs_approval,
        open_orders.received_at,
        open_orders.promised_date,
        -- The promise ends when the promised (local) day does.
        {{ utc_from_local(
            'cast(' ~ dbt.dateadd('day', 1, 'open_orders.promised_date') ~ ' as timestamp)'
        ) }} as promise_deadline_at,
        clock.clock_at,
        {{ hours_between('in_progress.started_at', 'clock.clock_at') }} as hours_in_current_stage,
        {{ hours_between('open_orders.received_at', 'clock.clock_at') }} as elapsed_hours
    from in_progress
    inner join open_orders
        on in_progress.order_id = open_orders.order_id
    cross join clock
),

remaining_stages as (
    select
        current_stages.*,
        stage_path.stage,
        stage_path.stage_number,
        case
            when stage_path.stage_number = current_stages.current_stage_number
                then {{ greatest_of([
                    'coalesce(typical.p50_duration_hours, 0) - current_stages.hours_in_current_stage',
                    '0',
                ]) }}
            else coalesce(typical.p50_duration_hours, 0)
        end as expected_stage_hours
    from current_stages
    inner join stage_path
        on
            stage_path.stage_number >= current_stages.current_stage_number
            and (stage_path.stage != 'confirmed_to_approved' or current_stages.needs_approval)
    left join typical
        on stage_path.stage = typical.stage
),

expected_ends as (
    select
        *,
        sum(expected_stage_hours) over (
            partition by order_id
            order by stage_number
            rows between unbounded preceding and current row
        ) as expected_hours_to_stage_end
    from remaining_stages
),

stage_ends as (
    select
        *,
        {{ dbt.dateadd(
            'second', 'cast(round(expected_hours_to_stage_end * 3600) as bigint)', 'clock_at'
        ) }} as expected_stage_end_at
    from expected_ends
),

per_order as (
    select
        order_id,
        current_stage,
        current_stage_started_at,
        warehouse_id,
        channel,
        promised_date,
        promise_deadline_at,
        clock_at,
        hours_in_current_stage,
        elapsed_hours,
        max(expected_hours_to_stage_end) as expected_remaining_hours,
        max(expected_stage_end_at) as expected_delivery_at,
        min(case when expected_stage_end_at > promise_deadline_at then stage_number end)
            as late_stage_number
    from stage_ends
    group by
        order_id,
        current_stage,
        current_stage_started_at,
        warehouse_id,
        channel,
        promised_date,
        promise_deadline_at,
        clock_at,
        hours_in_current_stage,
        elapsed_hours
),

final as (
    select
        per_order.order_id,
        per_order.clock_at as as_of_at,
        per_order.warehouse_id,
        per_order.channel,
        per_order.current_stage,
        per_order.current_stage_started_at,
        cast(per_order.hours_in_current_stage as double) as hours_in_current_stage,
        cast(per_order.elapsed_hours as double) as elapsed_hours,
        cast(per_order.expected_remaining_hours as double) as expected_remaining_hours,
        per_order.expected_delivery_at,
        per_order.promised_date,
        cast(
            {{ hours_between('per_order.promise_deadline_at', 'per_order.expected_delivery_at') }}
            as double
        ) as hours_late,
        stage_path.stage as late_stage
    from per_order
    inner join stage_path
        on per_order.late_stage_number = stage_path.stage_number
)

select * from final
