{{ config(
    materialized='incremental',
    window={'partition': 'ordered_date', 'grain': 'month', 'changes': ['order', 'fulfilment']},
) }}
-- One row per order: did it arrive on time, in full, perfectly?
-- Units shipped come from the stock movements of type `sale` whose reference_id is the
-- order (the warehouse books every shipped unit there), capped per SKU at the units
-- ordered so an over-shipment never lifts the fill rate above 100 %.
-- is_on_time: delivered date <= promised date (null until delivered, or with no promise).
-- is_in_full: every SKU shipped in full and the order not cancelled (null until shipped).
-- is_otif: on time and in full; false for cancelled orders; null while not known.
-- is_perfect_order: OTIF, not returned and no complaint ticket.
-- Incremental: a run re-derives the order months holding changed orders (int_changes).
with orders as (
    select * from {{ ref('int_order_events_pivoted') }}
    where {{ in_window('ordered_date') }}
),

order_lines as (
    select * from {{ ref('stg_order_lines') }}
    where order_id in (select order_id from orders)
),

movements as (
    select * from {{ ref('stg_stock_movements') }}
    where movement_type = 'sale' and reference_id in (select order_id from orders)
),

shipments as (
    select * from {{ ref('stg_shipments') }}
    where order_id in (select order_id from orders)
),

returns as (
    select * from {{ ref('stg_returns') }}
    where order_id in (select order_id from orders)
),

tickets as (
    select * from {{ ref('stg_service_tickets') }}
    where order_id in (select order_id from orders)
),

ordered_skus as (
    select
        order_id,
        sku,
        sum(quantity) as units_ordered
    from order_lines
    group by order_id, sku
),

shipped_skus as (
    select
        reference_id as order_id,
        sku,
        -sum(quantity) as units_shipped
    from movements
    group by reference_id, sku
),

sku_fill as (
    select
        ordered_skus.order_id,
        ordered_skus.units_ordered,
        {{ least_of(['coalesce(shipped_skus.units_shipped, 0)', 'ordered_skus.units_ordered']) }}
            as units_shipped
    from ordered_skus
    left join shipped_skus
        on
            ordered_skus.order_id = shipped_skus.order_id
            and ordered_skus.sku = shipped_skus.sku
),

order_fill as (
    select
        order_id,
        sum(units_ordered) as units_ordered,
        sum(units_shipped) as units_shipped,
        sum(case when units_shipped < units_ordered then 1 else 0 end) as skus_short
    from sku_fill
    group by order_id
),

shipment_deliveries as (
    select
        order_id,
        min(shipped_at) as first_shipped_at,
        max(delivered_at) as last_delivered_at,
        count(*) as shipments
    from shipments
    group by order_id
),

returned_orders as (
    select distinct order_id
    from returns
),

complained_orders as (
    select distinct order_id
    from tickets
    where ticket_type = 'complaint'
),

facts as (
    select
        orders.order_id,
        orders.ordered_date,
        orders.channel,
        orders.warehouse_id,
        orders.carrier,
        orders.promised_date,
        coalesce(orders.shipped_at, shipment_deliveries.first_shipped_at) as shipped_at,
        coalesce(orders.delivered_at, shipment_deliveries.last_delivered_at) as delivered_at,
        orders.cancelled_at is not null as is_cancelled,
        orders.modified_at is not null as is_modified,
        orders.returned_at is not null or returned_orders.order_id is not null as is_returned,
        complained_orders.order_id is not null as has_complaint,
        coalesce(order_fill.units_ordered, 0) as units_ordered,
        coalesce(order_fill.units_shipped, 0) as units_shipped,
        coalesce(order_fill.skus_short, 0) as skus_short
    from orders
    left join order_fill
        on orders.order_id = order_fill.order_id
    left join shipment_deliveries
        on orders.order_id = shipment_deliveries.order_id
    left join returned_orders
        on orders.order_id = returned_orders.order_id
    left join complained_orders
        on orders.order_id = complained_orders.order_id
),

flags as (
    select
        *,
        {{ local_date('delivered_at') }} as delivered_date,
        delivered_at is not null as is_delivered,
        case
            when delivered_at is not null and promised_date is not null
                then {{ local_date('delivered_at') }} <= promised_date
        end as is_on_time,
        case
            when is_cancelled then false
            when shipped_at is not null or delivered_at is not null then skus_short = 0
        end as is_in_full
    from facts
),

outcomes as (
    select
        *,
        case
            when is_cancelled then false
            when is_on_time is not null and is_in_full is not null then is_on_time and is_in_full
        end as is_otif
    from flags
),

final as (
    select
        order_id,
        ordered_date,
        channel,
        warehouse_id,
        carrier,
        promised_date,
        shipped_at,
        delivered_at,
        delivered_date,
        is_delivered,
        is_cancelled,
        is_modified,
        is_returned,
        has_complaint,
        is_on_time,
        is_in_full,
        is_otif,
        case
            when is_otif is not null then is_otif and not is_returned and not has_complaint
        end as is_perfect_order,
        cast(units_ordered as bigint) as units_ordered,
        cast(units_shipped as bigint) as units_shipped
    from outcomes
)

select
    *,
    {{ absorbed_batch() }} as absorbed_batch_id
from final
