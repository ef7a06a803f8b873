{{ config(
    materialized='incremental',
    window={'partition': 'ordered_date', 'grain': 'month', 'changes': ['order']},
) }}
-- One row per order: its sales date, whether it was cancelled and where it was allocated.
-- Incremental: a run re-derives the order months holding changed orders (int_changes).
with orders as (
    select
        *,
        {{ local_date('ordered_at') }} as ordered_date
    from {{ ref('stg_orders') }}
    where {{ in_window(local_date('ordered_at')) }}
),

customers as (
    select * from {{ ref('stg_customers') }}
),

order_events as (
    select * from {{ ref('stg_order_events') }}
    where order_id in (select order_id from orders)
),

cancellations as (
    select distinct order_id
    from order_events
    where event_type = 'cancelled'
),

allocations as (
    -- An order can be re-allocated; the latest allocation names the shipping warehouse.
    select
        order_id,
        max_by(warehouse_id, event_at) as allocated_warehouse_id
    from order_events
    where event_type = 'allocated'
    group by order_id
),

final as (
    select
        orders.order_id,
        orders.customer_id,
        coalesce(customers.is_guest, false) as is_guest,
        orders.channel,
        orders.ordered_at,
        orders.ordered_date,
        orders.ship_to_region,
        orders.order_discount,
        cancellations.order_id is not null as is_cancelled,
        allocations.allocated_warehouse_id,
        {{ absorbed_batch() }} as absorbed_batch_id
    from orders
    left join customers
        on orders.customer_id = customers.customer_id
    left join cancellations
        on orders.order_id = cancellations.order_id
    left join allocations
        on orders.order_id = allocations.order_id
)

select * from final
