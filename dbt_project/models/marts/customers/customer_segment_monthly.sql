-- One row per customer x month end, from the month of the customer's first order on:
-- the RFM segment as of that month end (as of the data clock for the clock's own month).
with scored as (
    select * from {{ ref('int_customers_rfm_scored') }}
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
