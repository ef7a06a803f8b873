{#- Hours (with fractions) from `start_at` to `end_at`. Counted in seconds because
    datediff('hour', ...) counts hour boundaries crossed, not elapsed time. -#}
{% macro hours_between(start_at, end_at) -%}
    (cast({{ dbt.datediff(start_at, end_at, 'second') }} as double) / 3600.0)
{%- endmacro %}
