{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='order_id',
    on_schema_change='fail',
) }}
-- depends_on: {{ ref('int_changed_orders') }}
-- One row per order: its sales date, whether it was cancelled and where it was allocated.
-- Incremental: a run re-derives the orders new batches touched (int_changed_orders).
with orders as (
    select stg_orders.* from {{ ref('stg_orders') }} as stg_orders
    {% if is_incremental() -%}
        semi join {{ ref('int_changed_orders') }} as changed
            on stg_orders.order_id = changed.order_id
    {%- endif %}
),

customers as not materialized (
    select * from {{ ref('stg_customers') }}
),

order_events as (
    select stg_order_events.* from {{ ref('stg_order_events') }} as stg_order_events
    {% if is_incremental() -%}
        semi join {{ ref('int_changed_orders') }} as changed
            on stg_order_events.order_id = changed.order_id
    {%- endif %}
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
        {{ local_date('orders.ordered_at') }} as ordered_date,
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
