{#- Post-hook of the incremental models that leave cancelled orders out (int_orders_priced,
    int_order_lines_returned): an order cancelled after it was built leaves the model (its
    incremental run inserts nothing for it, so delete+insert would keep the old rows). Only an
    order this run re-derives can have become cancelled: one int_changed_orders lists (every
    order on a first build, or while int_changed_orders is not built). -#}
{% macro drop_cancelled_orders() -%}
    delete from {{ this }}
    where order_id in (
        select order_id from {{ ref('int_orders_classified') }}
        where is_cancelled and {{ changed_orders_condition() }}
    )
{%- endmacro %}
