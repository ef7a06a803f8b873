{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='order_id',
    on_schema_change='fail',
    post_hook="{{ drop_cancelled_orders() }}",
) }}
-- depends_on: {{ ref('int_changed_orders') }}
-- One row per order that counts in sales (not cancelled), with its totals. Incremental: a
-- run re-derives the orders new batches touched (int_changed_orders); one cancelled since
-- is removed by the post-hook (delete+insert only replaces the orders it inserts).
with lines as (
    select int_order_lines_priced.*
    from {{ ref('int_order_lines_priced') }} as int_order_lines_priced
    {% if is_incremental() -%}
        semi join {{ ref('int_changed_orders') }} as changed
            on int_order_lines_priced.order_id = changed.order_id
    {%- endif %}
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
        cast(sum(cost_of_goods) as decimal(18, 2)) as cost_of_goods
    from lines
    where not is_cancelled
    group by order_id, customer_id, is_guest, channel, ordered_date
)

select * from final
