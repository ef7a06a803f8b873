-- One row per week (Monday start): the stage with the largest share of the week's
-- processing time, over all warehouses and channels. A stage's share = its mean
-- duration (stages completed in the week) over the sum of the mean durations of all
-- stages completed in the week; order_cycle itself is not a candidate. Ties go to the
-- earlier stage.
-- A table, derived whole in every run (late news of an old order moves its old weeks).
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
    where stage_status = 'completed' and stage != 'order_cycle'
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
