{{ config(
    materialized='incremental',
    window={'partition': 'returned_date', 'grain': 'day', 'changes': ['return']},
) }}
-- One row per return (a returned product of an order), dated by its returned date and
-- attributed to the order's channel, ship-to region, warehouse and customer. Returns of
-- cancelled orders are left out: the order never counted in sales.
-- Incremental: a run re-derives the days holding changed returns (int_changes: new returns
-- and the returns of the orders a batch touched, whose attribution or cancellation may
-- have changed); a return of an order cancelled since is not derived again, so it leaves.
with returns as (
    select
        *,
        {{ local_date('returned_at') }} as returned_date
    from {{ ref('stg_returns') }}
    where {{ in_window(local_date('returned_at')) }}
),

orders as (
    select * from {{ ref('int_orders_classified') }}
),

customers as (
    select * from {{ ref('stg_customers') }}
),

attributed as (
    select
        returns.return_id,
        returns.returned_date,
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

select
    *,
    {{ absorbed_batch() }} as absorbed_batch_id
from final
