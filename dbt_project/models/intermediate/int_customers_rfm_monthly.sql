{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='month_start',
    on_schema_change='fail',
) }}
-- One row per customer (not the guest account) x month from the month of their first
-- order to the month of the data clock: recency, frequency and monetary value as of the
-- month's end (as of the data clock for the clock's own month).
-- Incremental: a run re-derives the months from rebuild_from_month() on; each customer's
-- running totals start from their last row before those months (carried forward).
with window_start as (
    select
        {% if is_incremental() -%}
            {{ rebuild_from_month() }}
        {%- else -%}
            date '0001-01-01'
        {%- endif %} as first_month
),

orders as not materialized (
    select * from {{ ref('int_orders_priced') }}
    where not is_guest
),

returns as not materialized (
    select * from {{ ref('int_order_lines_returned') }}
    where not is_guest and customer_id is not null
),

clock as (
    select {{ data_clock_date() }} as clock_date
),

previous as (
    -- Each customer's history up to the months re-derived: their row of the latest month
    -- before them. Every customer whose first month is older has a row in that month (the
    -- grid below), and its totals are running ones. Its month stands in for the first month:
    -- below, only its being before the window counts.
    {% if is_incremental() -%}
        select
            customer_id,
            month_start as first_month_start,
            frequency,
            monetary,
            last_order_date
        from {{ this }}
        where month_start = (
            select max(month_start) from {{ this }}
            where month_start < (select first_month from window_start)
        )
    {%- else -%}
        select
            cast(null as varchar) as customer_id,
            cast(null as date) as first_month_start,
            cast(null as bigint) as frequency,
            cast(null as decimal(18, 2)) as monetary,
            cast(null as date) as last_order_date
        where false
    {%- endif %}
),

recent_orders as (
    select * from orders
    where ordered_date >= (select first_month from window_start)
),

months as (
    -- The calendar of months that saw any order: a whole month without a single order
    -- does not happen in a running business, and this needs no compile-time query.
    select distinct cast({{ dbt.date_trunc('month', 'ordered_date') }} as date) as month_start
    from {{ ref('int_orders_priced') }}
    where ordered_date >= (select first_month from window_start)
),

order_months as (
    select
        customer_id,
        cast({{ dbt.date_trunc('month', 'ordered_date') }} as date) as month_start,
        count(*) as orders,
        sum(net_revenue) as net_revenue,
        max(ordered_date) as last_order_date
    from recent_orders
    group by customer_id, cast({{ dbt.date_trunc('month', 'ordered_date') }} as date)
),

first_months as (
    select
        customer_id,
        first_month_start
    from previous
    union all
    select
        order_months.customer_id,
        min(order_months.month_start) as first_month_start
    from order_months
    anti join previous
        on order_months.customer_id = previous.customer_id
    group by order_months.customer_id
),

refund_months as (
    -- A refund dated before the customer's first counted order (a cancellation of an order
    -- placed before the data begins) still lowers monetary "to the as-of date": it is
    -- booked in the first month of the customer's history instead of being dropped.
    -- (Refunds of earlier months are in the carried-forward totals already.)
    select
        returns.customer_id,
        greatest(
            cast({{ dbt.date_trunc('month', 'returns.returned_date') }} as date),
            first_months.first_month_start
        ) as month_start,
        sum(returns.refund_amount) as refund_amount
    from returns
    inner join first_months
        on returns.customer_id = first_months.customer_id
    where
        greatest(
            cast({{ dbt.date_trunc('month', 'returns.returned_date') }} as date),
            first_months.first_month_start
        ) >= (select first_month from window_start)
    group by
        returns.customer_id,
        greatest(
            cast({{ dbt.date_trunc('month', 'returns.returned_date') }} as date),
            first_months.first_month_start
        )
),

customer_month_grid as (
    select
        first_months.customer_id,
        months.month_start
    from first_months
    inner join months
        on months.month_start >= first_months.first_month_start
),

filled as (
    select
        customer_month_grid.customer_id,
        customer_month_grid.month_start,
        coalesce(order_months.orders, 0) as orders,
        coalesce(order_months.net_revenue, 0) as net_revenue,
        coalesce(refund_months.refund_amount, 0) as refund_amount,
        order_months.last_order_date
    from customer_month_grid
    left join order_months
        on
            customer_month_grid.customer_id = order_months.customer_id
            and customer_month_grid.month_start = order_months.month_start
    left join refund_months
        on
            customer_month_grid.customer_id = refund_months.customer_id
            and customer_month_grid.month_start = refund_months.month_start
),

running as (
    select
        customer_id,
        month_start,
        sum(orders) over customer_history as frequency,
        sum(net_revenue) over customer_history
        - sum(refund_amount) over customer_history as monetary,
        max(last_order_date) over customer_history as last_order_date
    from filled
    window customer_history as (
        partition by customer_id
        order by month_start
        rows between unbounded preceding and current row
    )
),

cumulative as (
    select
        running.customer_id,
        running.month_start,
        running.frequency + coalesce(previous.frequency, 0) as frequency,
        running.monetary + coalesce(previous.monetary, 0) as monetary,
        greatest(running.last_order_date, previous.last_order_date) as last_order_date
    from running
    left join previous
        on running.customer_id = previous.customer_id
),

dated as (
    select
        cumulative.customer_id,
        cumulative.month_start,
        cast({{ dbt.last_day('cumulative.month_start', 'month') }} as date) as month_end,
        least(
            cast({{ dbt.last_day('cumulative.month_start', 'month') }} as date), clock.clock_date
        ) as as_of_date,
        cumulative.last_order_date,
        cast(cumulative.frequency as bigint) as frequency,
        cast(cumulative.monetary as decimal(18, 2)) as monetary
    from cumulative
    cross join clock
),

final as (
    select
        customer_id,
        month_start,
        month_end,
        as_of_date,
        last_order_date,
        cast({{ dbt.datediff('last_order_date', 'as_of_date', 'day') }} as bigint)
            as recency_days,
        frequency,
        monetary
    from dated
)

select * from final
