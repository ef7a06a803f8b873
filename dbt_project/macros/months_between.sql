{#- Whole calendar months from the month of `start_date` to the month of `end_date`.
    Computed from year and month numbers because `datediff('month', ...)` differs by one
    around month ends between engines. -#}
{% macro months_between(start_date, end_date) -%}
    ((extract(year from {{ end_date }}) - extract(year from {{ start_date }})) * 12
        + extract(month from {{ end_date }}) - extract(month from {{ start_date }}))
{%- endmacro %}
