{#- Post-hook of int_orders_priced: an order cancelled after it was built leaves the model
    (its incremental run inserts nothing for it, so delete+insert would keep the old row). -#}
{% macro drop_cancelled_orders() -%}
    delete from {{ this }}
    where order_id in (
        select order_id from {{ ref('int_orders_classified') }}
        where is_cancelled
    )
{%- endmacro %}
