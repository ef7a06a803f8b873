{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='return_id',
    on_schema_change='fail',
    post_hook="{{ drop_cancelled_orders() }}",
) }}
-- depends_on: {{ ref('int_changed_orders') }}
-- One row per return (a returned product of an order), dated by its returned date and
-- attributed to the order's channel, ship-to region, warehouse and customer. Returns of
-- cancelled orders are left out: the order never counted in sales.
-- Incremental: a run re-derives the returns of a newer batch, the returns of the orders new
-- batches touched (int_changed_orders: their attribution may have changed) and the returns
-- of a customer whose master row is newer; the post-hook removes the returns of an order
-- cancelled since.
with returns as (
    select stg_returns.* from {{ ref('stg_returns') }} as stg_returns
    {% if is_incremental() -%}
        where
            stg_returns.loaded_in_batch_id > {{ last_built_batch() }}
            or stg_returns.order_id in (select order_id from {{ ref('int_changed_orders') }})
            or stg_returns.customer_id in (
                select customer_id from {{ ref('stg_customers') }}
                where loaded_in_batch_id > {{ last_built_batch() }}
            )
    {%- endif %}
),

orders as not materialized (
    select * from {{ ref('int_orders_classified') }}
),

customers as not materialized (
    select * from {{ ref('stg_customers') }}
),

attributed as (
    select
        returns.return_id,
        {{ local_date('returns.returned_at') }} as returned_date,
        returns.order_id,
        -- The return's own customer wins; the order's customer fills a gap.
        coalesce(returns.customer_id, orders.customer_id) as customer_id,
        returns.sku,
        orders.allocated_warehouse_id as warehouse_id,
        orders.channel,
        orders.ship_to_region,
        returns.quantity as returned_units,
        returns.refund_amount
    from returns
    left join orders
        on returns.order_id = orders.order_id
    where orders.is_cancelled is null or not orders.is_cancelled
),

final as (
    select
        attributed.*,
        coalesce(customers.is_guest, false) as is_guest
    from attributed
    left join customers
        on attributed.customer_id = customers.customer_id
)

select * from final
