{{ config(
    materialized='incremental',
    window={
        'partition': 'month_end',
        'grain': 'month',
        'changes': ['order', 'return'],
        'onward': true,
    },
) }}
-- One row per month end x segment a month before x segment now: how many customers moved
-- that way. Customers whose first order falls in the month come from 'none'.
-- Incremental: a run re-derives the months customer_segment_monthly re-scores (from the
-- first one holding a changed order or return on), each against the month before it.
with segments as {{ not_materialized() }} (
    -- The months re-derived and the one before them (the first one's base): their next
    -- day falls in the window.
    select * from {{ ref('customer_segment_monthly') }}
    where {{ in_window(add_days('month_end', 1)) }}
),

current_months as (
    select * from segments
    where {{ in_window('month_end') }}
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
            and previous_month.month_end
            = {{ add_days(dbt.date_trunc('month', 'current_month.month_end'), -1) }}
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

select
    *,
    {{ absorbed_batch() }} as absorbed_batch_id
from final
