{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='week_start',
    on_schema_change='fail',
    pre_hook="{{ delete_rederived_weeks() }}",
) }}
-- depends_on: {{ ref('int_changed_orders') }}
-- depends_on: {{ ref('int_order_events_pivoted') }}
-- One row per week (Monday start): the stage with the largest share of the week's
-- processing time, over all warehouses and channels. A stage's share = its mean
-- duration (stages completed in the week) over the sum of the mean durations of all
-- stages completed in the week; order_cycle itself is not a candidate. Ties go to the
-- earlier stage.
-- Incremental: a run re-derives the weeks from changed_orders_first_week() on (the stages
-- of the orders new batches touched end in them).
with durations as not materialized (
    select * from {{ ref('order_stage_durations') }}
),

window_start as (
    select
        {{ changed_orders_first_week() }} as first_week
),

completed as (
    select
        cast({{ dbt.date_trunc('week', local_ts('ended_at')) }} as date) as week_start,
        stage,
        stage_number,
        duration_hours
    from durations
    where
        stage_status = 'completed'
        and stage != 'order_cycle'
        and {{ local_ts('ended_at') }} >= (select first_week from window_start)
),

stage_stats as (
    select
        week_start,
        stage,
        stage_number,
        count(*) as orders,
        avg(duration_hours) as mean_duration_hours,
        percentile_cont(0.9) within group (order by duration_hours) as p90_duration_hours
    from completed
    group by week_start, stage, stage_number
),

ranked as (
    select
        *,
        sum(mean_duration_hours) over (partition by week_start) as stage_means_total_hours,
        row_number() over (
            partition by week_start order by mean_duration_hours desc, stage_number asc
        ) as stage_rank
    from stage_stats
),

shares as (
    select
        *,
        case
            when stage_means_total_hours > 0 then mean_duration_hours / stage_means_total_hours
        end as mean_duration_share
    from ranked
),

final as (
    select
        week_start,
        stage as bottleneck_stage,
        cast(orders as bigint) as orders,
        cast(mean_duration_hours as double) as mean_duration_hours,
        cast(p90_duration_hours as double) as p90_duration_hours,
        cast(stage_means_total_hours as double) as stage_means_total_hours,
        cast(mean_duration_share as double) as mean_duration_share
    from shares
    where stage_rank = 1
)

select * from final
