-- One row per customer with a counted order (guest account excluded), scored as of the
-- data clock (the latest ordered date).
with scored as (
    select * from {{ ref('customer_segment_monthly') }}
),

customers as (
    select * from {{ ref('stg_customers') }}
),

clock as (
    select {{ data_clock_date() }} as clock_date
),

final as (
    select
        scored.customer_id,
        customers.region,
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
    left join customers
        on scored.customer_id = customers.customer_id
)

select * from final
