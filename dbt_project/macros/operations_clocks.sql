{#- The data's own clocks for the inventory and order-efficiency marts. Figures "as of now"
    are measured against them, never against the wall clock, so a rebuild of old data gives
    the same answer.
    - stock_clock_date: the latest (local) date any stock moved.
    - order_clock_at: the latest order status event (a timestamp: stage timers run to it). -#}
{% macro stock_clock_date() -%}
    (select max({{ local_date('moved_at') }}) from {{ ref('stg_stock_movements') }})
{%- endmacro %}

{% macro order_clock_at() -%}
    (select max(event_at) from {{ ref('stg_order_events') }})
{%- endmacro %}
