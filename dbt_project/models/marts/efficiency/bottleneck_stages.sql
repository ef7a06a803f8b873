{{ config(
    materialized='incremental',
    window={'partition': 'week_start', 'grain': 'week', 'changes': ['order', 'fulfilment'], 'onward': true},
) }}
-- One row per week (Monday start): the stage with the largest share of the week's
-- processing time, over all warehouses and channels. A stage's share = its mean
-- duration (stages completed in the week) over the sum of the mean durations of all
-- stages completed in the week; order_cycle itself is not a candidate. Ties go to the
-- earlier stage.
-- Incremental: a run re-derives the weeks from the week of the first changed order on
-- (int_changes; an order's stages end after it was placed).
with durations as (
    select * from {{ ref('order_stage_durations') }}
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
        and {{ in_window(local_ts('ended_at')) }}
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

select
    *,
    {{ absorbed_batch() }} as absorbed_batch_id
from final
