{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='month_end',
    on_schema_change='fail',
) }}
-- One row per month end x segment a month before x segment now: how many customers moved
-- that way. Customers whose first order falls in the month come from 'none'.
-- Incremental: a run re-derives the months from rebuild_from_month() on (each against the
-- month before it, which may be older).
with segments as not materialized (
    select * from {{ ref('customer_segment_monthly') }}
),

current_months as (
    select * from segments
    {% if is_incremental() -%}
        where month_end >= {{ rebuild_from_month() }}
    {%- endif %}
),

paired as (
    select
        current_month.month_end,
        coalesce(previous_month.segment, 'none') as from_segment,
        current_month.segment as to_segment,
        current_month.customer_id
    from current_months as current_month
    left join segments as previous_month
        on
            current_month.customer_id = previous_month.customer_id
            and previous_month.month_end = cast(
                {{ dbt.dateadd('day', -1, dbt.date_trunc('month', 'current_month.month_end')) }}
                as date
            )
),

final as (
    select
        month_end,
        from_segment,
        to_segment,
        cast(count(*) as bigint) as customers
    from paired
    group by month_end, from_segment, to_segment
)

select * from final
