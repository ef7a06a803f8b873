-- One row per week (Monday start) x ticket_type x topic (null topic: 'unspecified'):
-- tickets opened in the week, and tickets resolved in the week with their resolution
-- time (opened to resolved, hours) and mean satisfaction score.
with tickets as (
    select * from {{ ref('stg_service_tickets') }}
),

labelled as (
    select
        ticket_type,
        coalesce(topic, 'unspecified') as topic,
        cast({{ dbt.date_trunc('week', local_ts('opened_at')) }} as date) as opened_week_start,
        cast({{ dbt.date_trunc('week', local_ts('resolved_at')) }} as date) as resolved_week_start,
        case
            when resolved_at is not null then {{ hours_between('opened_at', 'resolved_at') }}
        end as resolution_hours,
        satisfaction_score
    from tickets
),

opened as (
    select
        opened_week_start as week_start,
        ticket_type,
        topic,
        count(*) as opened_tickets
    from labelled
    group by opened_week_start, ticket_type, topic
),

resolved as (
    select
        resolved_week_start as week_start,
        ticket_type,
        topic,
        count(*) as resolved_tickets,
        percentile_cont(0.5) within group (order by resolution_hours) as p50_resolution_hours,
        percentile_cont(0.9) within group (order by resolution_hours) as p90_resolution_hours,
        avg(cast(satisfaction_score as double)) as average_satisfaction
    from labelled
    where resolved_week_start is not null
    group by resolved_week_start, ticket_type, topic
),

weeks as (
    select week_start, ticket_type, topic from opened
    union
    select week_start, ticket_type, topic from resolved
),

final as (
    select
        weeks.week_start,
        weeks.ticket_type,
        weeks.topic,
        cast(coalesce(opened.opened_tickets, 0) as bigint) as opened_tickets,
        cast(coalesce(resolved.resolved_tickets, 0) as bigint) as resolved_tickets,
        cast(resolved.p50_resolution_hours as double) as p50_resolution_hours,
        cast(resolved.p90_resolution_hours as double) as p90_resolution_hours,
        cast(resolved.average_satisfaction as double) as average_satisfaction
    from weeks
    left join opened
        on
            weeks.week_start = opened.week_start
            and weeks.ticket_type = opened.ticket_type
            and weeks.topic = opened.topic
    left join resolved
        on
            weeks.week_start = resolved.week_start
            and weeks.ticket_type = resolved.ticket_type
            and weeks.topic = resolved.topic
)

select * from final
