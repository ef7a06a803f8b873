-- One row per customer account that is not the guest catch-all (customers with no
-- counted order included, with zero orders). Churn risk compares days since the last
-- order with the customer's own mean gap between orders (or, for one-order customers,
-- the median of the repeat customers' mean gaps).
with customers as (
    select * from {{ ref('stg_customers') }}
    where not is_guest
),

orders as (
    select * from {{ ref('int_orders_priced') }}
    where not is_guest
),

returns as (
    select * from {{ ref('int_order_lines_returned') }}
    where not is_guest
),

tickets as (
    select * from {{ ref('stg_service_tickets') }}
),

clock as (
    select {{ data_clock_date() }} as clock_date
),

customer_orders as (
    select
        customer_id,
        min(ordered_date) as first_order_date,
        max(ordered_date) as last_order_date,
        count(*) as orders,
        sum(units) as units,
        sum(net_revenue) as net_revenue
    from orders
    group by customer_id
),

customer_returns as (
    select
        customer_id,
        count(*) as returns,
        sum(returned_units) as returned_units,
        sum(refund_amount) as refund_amount
    from returns
    group by customer_id
),

customer_tickets as (
    select
        customer_id,
        sum(case when ticket_type = 'complaint' then 1 else 0 end) as complaints,
        avg(cast(satisfaction_score as double)) as average_satisfaction
    from tickets
    group by customer_id
),

gaps as (
    select
        customer_orders.*,
        {{ days_between('customer_orders.last_order_date', 'clock.clock_date') }}
            as days_since_last_order,
        case
            when customer_orders.orders >= 2
                then
                    cast(
                        {{ days_between(
                            'customer_orders.first_order_date', 'customer_orders.last_order_date'
                        ) }} as double
                    )
                    / (customer_orders.orders - 1)
        end as mean_order_gap_days
    from customer_orders
    cross join clock
),

typical_gap as (
    select
        {{ median('mean_order_gap_days') }} as median_mean_order_gap_days
    from gaps
    where mean_order_gap_days is not null
),

scored as (
    select
        gaps.*,
        -- A gap under one day (two orders the same day) would make any pause look long.
        case
            when
                coalesce(gaps.mean_order_gap_days, typical_gap.median_mean_order_gap_days)
                is not null
                then {{ greatest_of([
                    'coalesce(gaps.mean_order_gap_days, typical_gap.median_mean_order_gap_days)',
                    '1',
                ]) }}
        end as expected_gap_days
    from gaps
    cross join typical_gap
),

final as (
    select
        customers.customer_id,
        customers.customer_name,
        customers.region,
        customers.city,
        scored.first_order_date,
        scored.last_order_date,
        cast(coalesce(scored.orders, 0) as bigint) as orders,
        cast(coalesce(scored.units, 0) as bigint) as units,
        cast(coalesce(scored.net_revenue, 0) as decimal(18, 2)) as net_revenue,
        cast({{ divide_rounded('scored.net_revenue', 'scored.orders') }} as decimal(18, 2))
            as average_order_value,
        cast(coalesce(customer_returns.returns, 0) as bigint) as returns,
        cast(coalesce(customer_returns.returned_units, 0) as bigint) as returned_units,
        cast(coalesce(customer_returns.refund_amount, 0) as decimal(18, 2)) as refund_amount,
        cast(
            coalesce(scored.net_revenue, 0) - coalesce(customer_returns.refund_amount, 0)
            as decimal(18, 2)
        ) as lifetime_value,
        cast(coalesce(customer_tickets.complaints, 0) as bigint) as complaints,
        customer_tickets.average_satisfaction,
        cast(scored.days_since_last_order as bigint) as days_since_last_order,
        scored.mean_order_gap_days,
        cast(scored.expected_gap_days as double) as expected_gap_days,
        cast(scored.days_since_last_order as double) / scored.expected_gap_days
            as churn_ratio,
        case
            when scored.orders is null or scored.expected_gap_days is null then 'unknown'
            when scored.days_since_last_order <= 1.5 * scored.expected_gap_days then 'low'
            when scored.days_since_last_order <= 3 * scored.expected_gap_days then 'medium'
            else 'high'
        end as churn_risk
    from customers
    left join scored
        on customers.customer_id = scored.customer_id
    left join customer_returns
        on customers.customer_id = customer_returns.customer_id
    left join customer_tickets
        on customers.customer_id = customer_tickets.customer_id
)

select * from final
