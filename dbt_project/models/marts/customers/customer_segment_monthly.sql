{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='month_end',
    on_schema_change='fail',
) }}
-- One row per customer x month end, from the month of the customer's first order on:
-- the RFM values as of that month end (as of the data clock for the clock's own month),
-- R, F, M scores 1-5 among the customers of that month, and the named segment.
--
-- Scores: ntile(5) over the customers ordered from worst to best (recency: most days
-- first; frequency and monetary: smallest first), ties in that order broken by
-- customer_id; then every customer gets the LOWEST score given to any customer with the
-- same value, so equal values always share a score and a score is earned only when every
-- customer with that value earned it.
-- Incremental: a run re-scores the months from rebuild_from_month() on (scores of a month
-- depend only on that month's rows).
with rfm_values as not materialized (
    select * from {{ ref('int_customers_rfm_monthly') }}
    {% if is_incremental() -%}
        where month_start >= {{ rebuild_from_month() }}
    {%- endif %}
),

raw_tiles as (
    select
        *,
        ntile(5) over (
            partition by month_start order by recency_days desc, customer_id asc
        ) as r_tile,
        ntile(5) over (
            partition by month_start order by frequency asc, customer_id asc
        ) as f_tile,
        ntile(5) over (
            partition by month_start order by monetary asc, customer_id asc
        ) as m_tile
    from rfm_values
),

tie_scores as (
    select
        *,
        min(r_tile) over (partition by month_start, recency_days) as r_score,
        min(f_tile) over (partition by month_start, frequency) as f_score,
        min(m_tile) over (partition by month_start, monetary) as m_score
    from raw_tiles
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

select * from final
