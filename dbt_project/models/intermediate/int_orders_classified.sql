-- One row per order: its sales date, whether it was cancelled and where it was allocated.
with orders as (
    select * from {{ ref('stg_orders') }}
),

customers as (
    select * from {{ ref('stg_customers') }}
),

order_events as (
    select * from {{ ref('stg_order_events') }}
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
        cast(orders.ordered_at as date) as ordered_date,
        orders.ship_to_region,
        orders.order_discount,
        cancellations.order_id is not null as is_cancelled,
        allocations.allocated_warehouse_id
    from orders
    left join customers
        on orders.customer_id = customers.customer_id
    left join cancellations
        on orders.order_id = cancellations.order_id
    left join allocations
        on orders.order_id = allocations.order_id
)

select * from final
