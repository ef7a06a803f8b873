-- One row per carrier ('unknown' where the shipment names none) x month (of the date
-- shipped). On time: the parcel was delivered on or before the order's promised date (rate
-- over delivered parcels with a promise).
-- average_delay_days: mean days past the promise of the late deliveries.
-- damage_and_loss_complaints: parcels with a damaged/lost tracking event or a service
-- ticket of topic damaged/lost about its order naming this carrier (or no carrier):
-- each parcel counts once however many signals it has.
with shipments as {{ not_materialized() }} (
    select * from {{ ref('stg_shipments') }}
),

orders as (
    select * from {{ ref('stg_orders') }}
),

shipment_events as (
    select * from {{ ref('stg_shipment_events') }}
),

tickets as (
    select * from {{ ref('stg_service_tickets') }}
),

event_incidents as (
    select distinct shipment_id
    from shipment_events
    where status in ('damaged', 'lost')
),

ticket_incidents as (
    select distinct shipments.shipment_id
    from tickets
    inner join shipments
        on
            tickets.order_id = shipments.order_id
            and (tickets.carrier is null or tickets.carrier = shipments.carrier)
    where tickets.topic in ('damaged', 'lost')
),

parcels as (
    select
        shipments.shipment_id,
        -- A parcel whose export names no carrier still shipped: it counts, as 'unknown'.
        coalesce(shipments.carrier, 'unknown') as carrier,
        cast({{ dbt.date_trunc('month', local_ts('shipments.shipped_at')) }} as date) as month_start,
        {{ local_date('shipments.delivered_at') }} as delivered_date,
        orders.promised_date,
        event_incidents.shipment_id is not null as has_damage_or_loss_event,
        ticket_incidents.shipment_id is not null as has_damage_or_loss_ticket
    from shipments
    left join orders
        on shipments.order_id = orders.order_id
    left join event_incidents
        on shipments.shipment_id = event_incidents.shipment_id
    left join ticket_incidents
        on shipments.shipment_id = ticket_incidents.shipment_id
),

judged as (
    select
        *,
        case
            when delivered_date is not null and promised_date is not null
                then delivered_date <= promised_date
        end as is_on_time,
        case
            when delivered_date > promised_date
                then {{ dbt.datediff('promised_date', 'delivered_date', 'day') }}
        end as delay_days
    from parcels
),

final as (
    select
        carrier,
        month_start,
        cast(count(*) as bigint) as shipments,
        cast(sum(case when delivered_date is not null then 1 else 0 end) as bigint)
            as delivered_shipments,
        cast(sum(case when is_on_time then 1 else 0 end) as bigint) as on_time_shipments,
        cast(sum(case when not is_on_time then 1 else 0 end) as bigint) as late_shipments,
        cast(count(is_on_time) as bigint) as on_time_known_shipments,
        case
            when count(is_on_time) > 0
                then
                    cast(sum(case when is_on_time then 1 else 0 end) as double)
                    / count(is_on_time)
        end as on_time_rate,
        cast(avg(delay_days) as double) as average_delay_days,
        cast(sum(case when has_damage_or_loss_event then 1 else 0 end) as bigint)
            as damage_loss_event_shipments,
        cast(sum(case when has_damage_or_loss_ticket then 1 else 0 end) as bigint)
            as damage_loss_ticket_shipments,
        cast(
            sum(
                case when has_damage_or_loss_event or has_damage_or_loss_ticket then 1 else 0 end
            ) as bigint
        ) as damage_and_loss_complaints
    from judged
    group by carrier, month_start
)

select * from final
