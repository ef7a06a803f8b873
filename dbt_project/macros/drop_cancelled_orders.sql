{#- Post-hook of the incremental models that leave cancelled orders out (int_orders_priced,
    int_order_lines_returned): an order cancelled after it was built leaves the model (its
    incremental run inserts nothing for it, so delete+insert would keep the old rows). Only an
    order this run re-derives can have become cancelled: the orders of int_changed_orders
    (every order on a first build). -#}
{% macro drop_cancelled_orders() -%}
    delete from {{ this }}
    where order_id in (
        select classified.order_id
        from {{ ref('int_orders_classified') }} as classified
        semi join {{ ref('int_changed_orders') }} as changed
            on classified.order_id = changed.order_id
        where classified.is_cancelled
    )
{%- endmacro %}
