{#- Post-hook of the incremental models that leave cancelled orders out (int_orders_priced,
    int_order_lines_returned): an order cancelled after it was built leaves the model (its
    incremental run inserts nothing for it, so delete+insert would keep the old rows). -#}
{% macro drop_cancelled_orders() -%}
    delete from {{ this }}
    where order_id in (
        select order_id from {{ ref('int_orders_classified') }}
        where is_cancelled
    )
{%- endmacro %}
