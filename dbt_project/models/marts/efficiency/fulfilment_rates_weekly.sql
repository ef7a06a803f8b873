-- One row per week (of the ORDERED date, Monday start) x channel x warehouse: how the
-- orders placed that week were fulfilled. Each rate is over the orders whose outcome is
-- known (the non-null flags of order_fulfilment). Every rate sits beside its numerator and
-- denominator, so readers roll weeks and groups up by summing counts, never by averaging
-- rates. fill_rate = units shipped / units ordered, cancelled orders
-- left out (a customer's cancellation is not a failure to ship). return_rate is over
-- delivered orders. warehouse_id is null for orders never allocated.
with fulfilment as (
    select * from {{ ref('order_fulfilment') }}
),

weekly as (
    select
        cast({{ dbt.date_trunc('week', 'ordered_date') }} as date) as week_start,
        channel,
        warehouse_id,
        count(*) as orders,
        sum(case when is_cancelled then 1 else 0 end) as cancelled_orders,
        sum(case when is_modified then 1 else 0 end) as modified_orders,
        sum(case when is_delivered then 1 else 0 end) as delivered_orders,
        sum(case when is_delivered and is_returned then 1 else 0 end) as returned_orders,
        sum(case when is_on_time then 1 else 0 end) as on_time_orders,
        count(is_on_time) as on_time_known_orders,
        sum(case when is_in_full then 1 else 0 end) as in_full_orders,
        count(is_in_full) as in_full_known_orders,
        sum(case when is_otif then 1 else 0 end) as otif_orders,
        count(is_otif) as otif_known_orders,
        sum(case when is_perfect_order then 1 else 0 end) as perfect_orders,
        count(is_perfect_order) as perfect_known_orders,
        sum(case when not is_cancelled then units_ordered else 0 end) as units_ordered,
        sum(case when not is_cancelled then units_shipped else 0 end) as units_shipped
    from fulfilment
    group by cast({{ dbt.date_trunc('week', 'ordered_date') }} as date), channel, warehouse_id
),

final as (
    select
        week_start,
        channel,
        warehouse_id,
        cast(orders as bigint) as orders,
        cast(delivered_orders as bigint) as delivered_orders,
        cast(cancelled_orders as bigint) as cancelled_orders,
        cast(modified_orders as bigint) as modified_orders,
        cast(returned_orders as bigint) as returned_orders,
        cast(on_time_orders as bigint) as on_time_orders,
        cast(in_full_orders as bigint) as in_full_orders,
        cast(otif_orders as bigint) as otif_orders,
        cast(perfect_orders as bigint) as perfect_orders,
        cast(on_time_known_orders as bigint) as on_time_known_orders,
        cast(in_full_known_orders as bigint) as in_full_known_orders,
        cast(otif_known_orders as bigint) as otif_known_orders,
        cast(perfect_known_orders as bigint) as perfect_known_orders,
        cast(units_ordered as bigint) as units_ordered,
        cast(units_shipped as bigint) as units_shipped,
        case when on_time_known_orders > 0 then cast(on_time_orders as double) / on_time_known_orders end
            as on_time_rate,
        case when in_full_known_orders > 0 then cast(in_full_orders as double) / in_full_known_orders end
            as in_full_rate,
        case when otif_known_orders > 0 then cast(otif_orders as double) / otif_known_orders end
            as otif_rate,
        case when perfect_known_orders > 0 then cast(perfect_orders as double) / perfect_known_orders end
            as perfect_order_rate,
        case when units_ordered > 0 then cast(units_shipped as double) / units_ordered end
            as fill_rate,
        cast(cancelled_orders as double) / orders as cancellation_rate,
        cast(modified_orders as double) / orders as modification_rate,
        case when delivered_orders > 0 then cast(returned_orders as double) / delivered_orders end
            as return_rate
    from weekly
)

select * from final
