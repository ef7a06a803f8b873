{#- The integers 0 .. 10^digits - 1 as `day_number`, for calendars built per row
    (every date from a pair's first movement to the clock). Cross joins of ten digits:
    portable, and needs no query at compile time (dbt.date_spine runs one, which breaks
    unit tests that replace the start table by fixtures). 5 digits = 273 years of days. -#}
{% macro day_numbers(digits=5) -%}
    {%- set digit_sql -%}
        select 0 as digit union all select 1 union all select 2 union all select 3
        union all select 4 union all select 5 union all select 6 union all select 7
        union all select 8 union all select 9
    {%- endset -%}
    select
        {% for position in range(digits) -%}
            d{{ position }}.digit * {{ 10 ** position }}{% if not loop.last %} + {% endif %}
        {%- endfor %} as day_number
    from
        {% for position in range(digits) -%}
            ({{ digit_sql }}) as d{{ position }}{% if not loop.last %} cross join {% endif %}
        {%- endfor %}
{%- endmacro %}
