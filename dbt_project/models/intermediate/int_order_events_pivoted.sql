{{ config(
    materialized='incremental',
    window={'partition': 'ordered_date', 'grain': 'month', 'changes': ['order', 'fulfilment']},
) }}
-- One row per order: the FIRST time it reached each status (repeated events of a type are
-- retries or re-sends; the first one is when the order really got there), where it was
-- allocated and by which carrier it went. received_at falls back to the order's own
-- ordered_at when the source sent no "received" event.
-- Incremental: a run re-pivots the order months holding changed orders (int_changes).
with orders as (
    select
        *,
        {{ local_date('ordered_at') }} as ordered_date
    from {{ ref('stg_orders') }}
    where {{ in_window(local_date('ordered_at')) }}
),

order_events as {{ not_materialized() }} (
    select * from {{ ref('stg_order_events') }}
    where order_id in (select order_id from orders)
),

first_events as (
    select
        order_id,
        {% for event_type in ['received', 'confirmed', 'approved', 'paid', 'allocated',
                              'picked', 'packed', 'shipped', 'delivered', 'cancelled',
                              'returned'] -%}
            min(case when event_type = '{{ event_type }}' then event_at end) as first_{{ event_type }}_at,
        {% endfor -%}
        min(case when event_type = 'modified' then event_at end) as first_modified_at,
        sum(case when event_type = 'modified' then 1 else 0 end) as modification_count
    from order_events
    group by order_id
),

allocations as (
    -- An order can be re-allocated: the latest allocation names the shipping warehouse.
    select
        order_id,
        max_by(warehouse_id, event_at) as warehouse_id
    from order_events
    where event_type = 'allocated' and warehouse_id is not null
    group by order_id
),

carriers as (
    select
        order_id,
        max_by(carrier, event_at) as carrier
    from order_events
    where carrier is not null
    group by order_id
),

final as (
    select
        orders.order_id,
        orders.customer_id,
        orders.channel,
        orders.needs_approval,
        orders.ordered_at,
        orders.ordered_date,
        orders.promised_date,
        allocations.warehouse_id,
        carriers.carrier,
        coalesce(first_events.first_received_at, orders.ordered_at) as received_at,
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
        cast(coalesce(first_events.modification_count, 0) as bigint) as modification_count
    from orders
    left join first_events
        on orders.order_id = first_events.order_id
    left join allocations
        on orders.order_id = allocations.order_id
    left join carriers
        on orders.order_id = carriers.order_id
)

select
    *,
    {{ absorbed_batch() }} as absorbed_batch_id
from final
