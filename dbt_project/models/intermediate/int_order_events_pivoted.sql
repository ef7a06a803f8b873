{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='order_id',
    on_schema_change='fail',
) }}
-- One row per order: the FIRST time it reached each status (repeated events of a type are
-- retries or re-sends; the first one is when the order really got there), where it was
-- allocated and by which carrier it went. received_at falls back to the order's own
-- ordered_at when the source sent no "received" event.
-- Incremental by ingest batch: a run re-pivots only the orders whose header or events
-- arrived in a batch newer than the newest one already here.
with orders as not materialized (
    select * from {{ ref('stg_orders') }}
),

order_events as not materialized (
    select * from {{ ref('stg_order_events') }}
),

{% if is_incremental() %}
    watermark as (
        select coalesce(max(loaded_in_batch_id), -1) as last_batch_id from {{ this }}
    ),

    changed_orders as (
        select orders.order_id
        from orders
        cross join watermark
        where orders.loaded_in_batch_id > watermark.last_batch_id
        union
        select order_events.order_id
        from order_events
        cross join watermark
        where order_events.loaded_in_batch_id > watermark.last_batch_id
    ),

    orders_in_scope as (
        select orders.*
        from orders
        inner join changed_orders
            on orders.order_id = changed_orders.order_id
    ),

    events_in_scope as (
        select order_events.*
        from order_events
        inner join changed_orders
            on order_events.order_id = changed_orders.order_id
    ),
{% else %}
    orders_in_scope as (
        select * from orders
    ),

    events_in_scope as (
        select * from order_events
    ),
{% endif %}

first_events as (
    select
        order_id,
        {% for event_type in ['received', 'confirmed', 'approved', 'paid', 'allocated',
                              'picked', 'packed', 'shipped', 'delivered', 'cancelled',
                              'returned'] -%}
            min(case when event_type = '{{ event_type }}' then event_at end) as first_{{ event_type }}_at,
        {% endfor -%}
        min(case when event_type = 'modified' then event_at end) as first_modified_at,
        sum(case when event_type = 'modified' then 1 else 0 end) as modification_count,
        max(loaded_in_batch_id) as events_batch_id
    from events_in_scope
    group by order_id
),

allocations as (
    -- An order can be re-allocated: the latest allocation names the shipping warehouse.
    select
        order_id,
        max_by(warehouse_id, event_at) as warehouse_id
    from events_in_scope
    where event_type = 'allocated' and warehouse_id is not null
    group by order_id
),

carriers as (
    select
        order_id,
        max_by(carrier, event_at) as carrier
    from events_in_scope
    where carrier is not null
    group by order_id
),

final as (
    select
        orders_in_scope.order_id,
        orders_in_scope.customer_id,
        orders_in_scope.channel,
        orders_in_scope.needs_approval,
        orders_in_scope.ordered_at,
        {{ local_date('orders_in_scope.ordered_at') }} as ordered_date,
        orders_in_scope.promised_date,
        allocations.warehouse_id,
        carriers.carrier,
        coalesce(first_events.first_received_at, orders_in_scope.ordered_at) as received_at,
        first_events.first_confirmed_at as confirmed_at,
        first_events.first_approved_at as approved_at,
        first_events.first_paid_at as paid_at,
        first_events.first_allocated_at as allocated_at,
        first_events.first_picked_at as picked_at,
        first_events.first_packed_at as packed_at,
        first_events.first_shipped_at as shipped_at,
        first_events.first_delivered_at as delivered_at,
        first_events.first_cancelled_at as cancelled_at,
        first_events.first_returned_at as returned_at,
        first_events.first_modified_at as modified_at,
        cast(coalesce(first_events.modification_count, 0) as bigint) as modification_count,
        greatest(
            orders_in_scope.loaded_in_batch_id,
            coalesce(first_events.events_batch_id, orders_in_scope.loaded_in_batch_id)
        ) as loaded_in_batch_id
    from orders_in_scope
    left join first_events
        on orders_in_scope.order_id = first_events.order_id
    left join allocations
        on orders_in_scope.order_id = allocations.order_id
    left join carriers
        on orders_in_scope.order_id = carriers.order_id
)

select * from final
