{{ config(
    materialized='incremental',
    window={'partition': 'ordered_date', 'grain': 'month', 'changes': ['order']},
) }}
-- One row per order line with its money: gross, discounts (own and its share of the order
-- discount), net, cost. A free line (price 0) keeps its units and has no money.
-- Incremental: a run re-prices the lines of the order months holding changed orders.
with orders as (
    select * from {{ ref('int_orders_classified') }}
    where {{ in_window('ordered_date') }}
),

order_lines as (
    select * from {{ ref('stg_order_lines') }}
    where order_id in (select order_id from orders)
),

products as (
    select * from {{ ref('stg_products') }}
),

lines as (
    select
        order_lines.order_id,
        order_lines.line_number,
        order_lines.sku,
        orders.customer_id,
        orders.is_guest,
        orders.channel,
        orders.ship_to_region,
        orders.allocated_warehouse_id as warehouse_id,
        orders.ordered_date,
        orders.is_cancelled,
        orders.order_discount,
        order_lines.quantity,
        -- The one place a line's revenue is set. line_amount is what the customer pays for
        -- the line after its own discount: where an export gives it, it wins over
        -- quantity * unit_price, and the gross adds the line discount back.
        cast(
            case
                when order_lines.line_amount is not null
                    then order_lines.line_amount + order_lines.discount_amount
                else order_lines.quantity * order_lines.unit_price
            end as decimal(18, 2)
        ) as gross_amount,
        order_lines.discount_amount as line_discount_amount,
        cast(order_lines.quantity * products.unit_cost as decimal(18, 2)) as cost_of_goods
    from order_lines
    inner join orders
        on order_lines.order_id = orders.order_id
    left join products
        on order_lines.sku = products.sku
),

running_gross as (
    -- ordered_date is constant within an order; partitioning by it lets date filters
    -- pass through the window.
    select
        *,
        sum(gross_amount) over (
            partition by ordered_date, order_id
        ) as order_gross_amount,
        sum(gross_amount) over (
            partition by ordered_date, order_id
            order by line_number
            rows between unbounded preceding and current row
        ) as running_gross_amount
    from lines
),

allocated as (
    -- Pro rata of line gross, rounded on the running total: each line gets
    -- round(D * running / G) - round(D * previous running / G), so the cents always add
    -- up to exactly the order discount D (no line gets a rounding remainder dumped on it).
    select
        *,
        case
            when order_discount = 0 or order_gross_amount = 0 then cast(0 as decimal(18, 2))
            else cast(
                {{ divide_rounded('order_discount * running_gross_amount', 'order_gross_amount') }}
                - {{ divide_rounded(
                    'order_discount * (running_gross_amount - gross_amount)', 'order_gross_amount'
                ) }}
                as decimal(18, 2)
            )
        end as order_discount_share
    from running_gross
),

final as (
    select
        order_id,
        line_number,
        sku,
        customer_id,
        is_guest,
        channel,
        ship_to_region,
        warehouse_id,
        ordered_date,
        is_cancelled,
        quantity,
        gross_amount,
        line_discount_amount,
        order_discount_share,
        cast(line_discount_amount + order_discount_share as decimal(18, 2)) as discount_amount,
        cast(
            gross_amount - line_discount_amount - order_discount_share as decimal(18, 2)
        ) as net_amount,
        cost_of_goods,
        {{ absorbed_batch() }} as absorbed_batch_id
    from allocated
)

select * from final
