-- One row per cohort month (month of a customer's first counted order; guest account
-- excluded) x months since that first month, up to the month of the data clock.
with orders as {{ not_materialized() }} (
    select * from {{ ref('int_orders_priced') }}
),

months as (
    -- The months that saw any order (the guest account's included).
    select distinct cast({{ dbt.date_trunc('month', 'ordered_date') }} as date) as month_start
    from orders
),

customer_months as (
    -- One pass over the orders: each customer's months with orders, and how many.
    select
        customer_id,
        cast({{ dbt.date_trunc('month', 'ordered_date') }} as date) as activity_month,
        count(*) as orders
    from orders
    where not is_guest
    group by customer_id, cast({{ dbt.date_trunc('month', 'ordered_date') }} as date)
),

customers as (
    select
        customer_id,
        min(activity_month) as cohort_month,
        sum(orders) as orders
    from customer_months
    group by customer_id
),

cohorts as (
    select
        cohort_month,
        count(*) as cohort_size,
        sum(case when orders >= 2 then 1 else 0 end) as repeat_customers
    from customers
    group by cohort_month
),

activity as (
    select
        customers.cohort_month,
        {{ months_between('customers.cohort_month', 'customer_months.activity_month') }}
            as months_since_first,
        count(*) as active_customers
    from customer_months
    inner join customers
        on customer_months.customer_id = customers.customer_id
    group by
        customers.cohort_month,
        {{ months_between('customers.cohort_month', 'customer_months.activity_month') }}
),

grid as (
    select
        cohorts.cohort_month,
        {{ months_between('cohorts.cohort_month', 'months.month_start') }}
            as months_since_first,
        cohorts.cohort_size,
        cohorts.repeat_customers
    from cohorts
    inner join months
        on months.month_start >= cohorts.cohort_month
),

final as (
    select
        grid.cohort_month,
        cast(grid.months_since_first as bigint) as months_since_first,
        cast(grid.cohort_size as bigint) as cohort_size,
        cast(coalesce(activity.active_customers, 0) as bigint) as active_customers,
        cast(coalesce(activity.active_customers, 0) as double) / grid.cohort_size
            as retention_rate,
        cast(grid.repeat_customers as bigint) as repeat_customers,
        cast(grid.repeat_customers as double) / grid.cohort_size as repeat_purchase_rate
    from grid
    left join activity
        on
            grid.cohort_month = activity.cohort_month
            and grid.months_since_first = activity.months_since_first
)

select * from final
