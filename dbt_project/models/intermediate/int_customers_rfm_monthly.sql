{{ config(
    materialized='incremental',
    window={
        'partition': 'month_start',
        'grain': 'month',
        'changes': ['order', 'return'],
        'onward': true,
    },
) }}
-- One row per customer (not the guest account) x month from the month of their first
-- order to the month of the data clock: recency, frequency and monetary value as of the
-- month's end (as of the data clock for the clock's own month).
-- Incremental: a run re-derives the months from the first one holding a changed order or
-- return on; each customer's running totals start from their row of the latest month
-- before those (carried forward).
with orders as {{ not_materialized() }} (
    select * from {{ ref('int_orders_priced') }}
    where {{ in_window('ordered_date') }}
),

returns as (
    -- Every return: one dated before the months re-derived is still booked in them when
    -- its customer's history starts there (refund_months).
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
            where not ({{ in_window('month_start') }})
        )
    {%- else -%}
        select
            cast(null as {{ dbt.type_string() }}) as customer_id,
            cast(null as date) as first_month_start,
            cast(null as bigint) as frequency,
            cast(null as decimal(18, 2)) as monetary,
            cast(null as date) as last_order_date
        where false
    {%- endif %}
),

months as (
    -- The calendar of months that saw any order (the guest account's included): a whole
    -- month without a single order does not happen in a running business, and this needs
    -- no compile-time query.
    select distinct cast({{ dbt.date_trunc('month', 'ordered_date') }} as date) as month_start
    from orders
),

order_months as (
    select
        customer_id,
        cast({{ dbt.date_trunc('month', 'ordered_date') }} as date) as month_start,
        count(*) as orders,
        sum(net_revenue) as net_revenue,
        max(ordered_date) as last_order_date
    from orders
    where not is_guest
    group by customer_id, cast({{ dbt.date_trunc('month', 'ordered_date') }} as date)
),

first_months as (
    select
        customer_id,
        first_month_start
    from previous
    union all
    select
        customer_id,
        min(month_start) as first_month_start
    from order_months
    where
        not exists (
            select 1 from previous
            where previous.customer_id = order_months.customer_id
        )
    group by customer_id
),

booked_refunds as (
    -- A refund dated before the customer's first counted order (a cancellation of an order
    -- placed before the data begins) still lowers monetary "to the as-of date": it is
    -- booked in the first month of the customer's history instead of being dropped.
    select
        returns.customer_id,
        {{ greatest_of([
            'cast(' ~ dbt.date_trunc('month', 'returns.returned_date') ~ ' as date)',
            'first_months.first_month_start',
        ]) }} as month_start,
        returns.refund_amount
    from returns
    inner join first_months
        on returns.customer_id = first_months.customer_id
),

refund_months as (
    -- Refunds booked before the months re-derived are in the carried-forward totals.
    select
        customer_id,
        month_start,
        sum(refund_amount) as refund_amount
    from booked_refunds
    where {{ in_window('month_start') }}
    group by customer_id, month_start
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
        sum(orders) over (
            partition by customer_id
            order by month_start
            rows between unbounded preceding and current row
        ) as frequency,
        sum(net_revenue - refund_amount) over (
            partition by customer_id
            order by month_start
            rows between unbounded preceding and current row
        ) as monetary,
        max(last_order_date) over (
            partition by customer_id
            order by month_start
            rows between unbounded preceding and current row
        ) as last_order_date
    from filled
),

cumulative as (
    select
        running.customer_id,
        running.month_start,
        running.frequency + coalesce(previous.frequency, 0) as frequency,
        running.monetary + coalesce(previous.monetary, 0) as monetary,
        {{ greatest_of(['running.last_order_date', 'previous.last_order_date']) }}
            as last_order_date
    from running
    left join previous
        on running.customer_id = previous.customer_id
),

dated as (
    select
        cumulative.customer_id,
        cumulative.month_start,
        cast({{ dbt.last_day('cumulative.month_start', 'month') }} as date) as month_end,
        {{ least_of([
            'cast(' ~ dbt.last_day('cumulative.month_start', 'month') ~ ' as date)',
            'clock.clock_date',
        ]) }} as as_of_date,
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
        cast({{ days_between('last_order_date', 'as_of_date') }} as bigint) as recency_days,
        frequency,
        monetary
    from dated
)

select
    *,
    {{ absorbed_batch() }} as absorbed_batch_id
from final
