{#- The data's own clock: the latest ordered date of any order that counts in sales.
    Marts measure "last 28 days", recency and churn against it, never against the wall
    clock, so a rebuild of old data gives the same figures. -#}
{% macro data_clock_date() -%}
    (select max(ordered_date) from {{ ref('int_orders_priced') }})
{%- endmacro %}
