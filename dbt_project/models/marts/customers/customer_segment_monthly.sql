{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='month_end',
    on_schema_change='fail',
) }}
-- One row per customer x month end, from the month of the customer's first order on:
-- the RFM segment as of that month end (as of the data clock for the clock's own month).
-- Incremental: a run re-derives the months from rebuild_from_month() on.
with scored as not materialized (
    select * from {{ ref('int_customers_rfm_scored') }}
    {% if is_incremental() -%}
        where month_start >= {{ rebuild_from_month() }}
    {%- endif %}
),

final as (
    select
        customer_id,
        month_end,
        as_of_date,
        recency_days,
        frequency,
        monetary,
        r_score,
        f_score,
        m_score,
        segment
    from scored
)

select * from final
