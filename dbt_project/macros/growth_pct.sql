{#- Growth of `current` over `base` in percent: (current - base) / |base| x 100, so 12.5
    means +12.5 % and a base of -100 rising to -50 is +50 %; null when either is missing or
    the base is zero (a first period never reads as infinite growth). The one growth formula
    (docs/metrics.md); pipelines/periods.py `growth` is its twin as a fraction (0.125). -#}
{% macro growth_pct(current, base) -%}
    case
        when {{ base }} is null or {{ base }} = 0 then null
        else cast(({{ current }} - {{ base }}) as double) * 100 / abs(cast({{ base }} as double))
    end
{%- endmacro %}
