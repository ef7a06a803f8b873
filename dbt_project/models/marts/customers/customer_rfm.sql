-- One row per customer with a counted order (guest account excluded), scored as of the
-- data clock (the latest ordered date).
with scored as (
    select * from {{ ref('int_customers_rfm_scored') }}
),

clock as (
    select {{ data_clock_date() }} as clock_date
),

final as (
    select
        scored.customer_id,
        scored.as_of_date,
        scored.last_order_date,
        scored.recency_days,
        scored.frequency,
        scored.monetary,
        scored.r_score,
        scored.f_score,
        scored.m_score,
        scored.fm_score,
        scored.segment
    from scored
    inner join clock
        on scored.as_of_date = clock.clock_date
)

select * from final
