{{ config(
    materialized='incremental',
    window={'partition': 'ordered_date', 'grain': 'month', 'changes': ['order']},
) }}
-- One row per order that counts in sales (not cancelled), with its totals. Incremental: a
-- run re-derives the order months holding changed orders.
with lines as (
    select * from {{ ref('int_order_lines_priced') }}
    where {{ in_window('ordered_date') }}
),

final as (
    select
        order_id,
        customer_id,
        is_guest,
        channel,
        ordered_date,
        cast(sum(quantity) as bigint) as units,
        cast(sum(gross_amount) as decimal(18, 2)) as gross_revenue,
        cast(sum(discount_amount) as decimal(18, 2)) as discount_amount,
        cast(sum(net_amount) as decimal(18, 2)) as net_revenue,
        cast(sum(cost_of_goods) as decimal(18, 2)) as cost_of_goods,
        {{ absorbed_batch() }} as absorbed_batch_id
    from lines
    where not is_cancelled
    group by order_id, customer_id, is_guest, channel, ordered_date
)

select * from final
