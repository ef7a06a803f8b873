{#- Percentage change of `current` over `base` (12.5 means +12.5 %); null when the base
    is missing or zero, so a first period never reads as infinite growth. -#}
{% macro growth_pct(current, base) -%}
    case
        when {{ base }} is null or {{ base }} = 0 then null
        else cast(({{ current }} - {{ base }}) as double) * 100 / cast({{ base }} as double)
    end
{%- endmacro %}
