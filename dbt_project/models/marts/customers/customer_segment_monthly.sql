{{ config(
    materialized='incremental',
    window={
        'partition': 'month_end',
        'grain': 'month',
        'changes': ['order', 'return'],
        'onward': true,
    },
) }}
-- One row per customer x month end, from the month of the customer's first order on:
-- the RFM values as of that month end (as of the data clock for the clock's own month),
-- R, F, M scores 1-5 among the customers of that month, and the named segment.
--
-- Scores: ntile(5) over the customers ordered from worst to best (recency: most days
-- first; frequency and monetary: smallest first), ties in that order broken by
-- customer_id; then every customer gets the LOWEST score given to any customer with the
-- same value, so equal values always share a score and a score is earned only when every
-- customer with that value earned it. That lowest score is the tile of the value's first
-- row, whose position is the value's rank(): one window per score (ntile_of_position).
-- Incremental: a run re-scores the months int_customers_rfm_monthly re-derives (from the
-- first one holding a changed order or return on; scores of a month depend only on that
-- month's rows). Partitioned by month_end: every month end of a re-derived month is on or
-- after its first day, every earlier one before it.
with rfm_values as (
    select * from {{ ref('int_customers_rfm_monthly') }}
    where {{ in_window('month_start') }}
),

ranked as (
    select
        *,
        count(*) over (partition by month_start) as customers_in_month,
        rank() over (partition by month_start order by recency_days desc) as r_rank,
        rank() over (partition by month_start order by frequency asc) as f_rank,
        rank() over (partition by month_start order by monetary asc) as m_rank
    from rfm_values
),

tie_scores as (
    select
        *,
        {{ ntile_of_position('r_rank', 'customers_in_month') }} as r_score,
        {{ ntile_of_position('f_rank', 'customers_in_month') }} as f_score,
        {{ ntile_of_position('m_rank', 'customers_in_month') }} as m_score
    from ranked
),

combined as (
    select
        *,
        -- Frequency and monetary together, halves rounded up.
        cast(floor((f_score + m_score + 1) / 2.0) as bigint) as fm_score
    from tie_scores
),

final as (
    select
        customer_id,
        month_end,
        as_of_date,
        last_order_date,
        recency_days,
        frequency,
        monetary,
        cast(r_score as bigint) as r_score,
        cast(f_score as bigint) as f_score,
        cast(m_score as bigint) as m_score,
        fm_score,
        {{ rfm_segment('r_score', 'fm_score') }} as segment
    from combined
)

select
    *,
    {{ absorbed_batch() }} as absorbed_batch_id
from final
