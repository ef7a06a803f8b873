{#- The first day of the period a period compares with: the one rule of docs/metrics.md, whose
    Python twin is pipelines/periods.py (tests/transform/test_comparison_periods.py checks
    that they agree).

    comparison_start(period_type, period_start, comparison)
        period_type   SQL holding day, week, month, quarter or year
        period_start  SQL holding the period's first day (a Monday for a week, the 1st for
                      the calendar periods)
        comparison    'previous': the previous calendar month, quarter or year; for a day or
                      a week the span of the same length just before.
                      'year_ago': the same calendar month, quarter or year a year earlier;
                      for a day or a week the span 364 days earlier (weekdays line up).
-#}
{% macro comparison_start(period_type, period_start, comparison) -%}
    {%- set steps = {
        'previous': {
            'day': ('day', -1), 'week': ('day', -7),
            'month': ('month', -1), 'quarter': ('month', -3), 'year': ('month', -12),
        },
        'year_ago': {
            'day': ('day', -364), 'week': ('day', -364),
            'month': ('month', -12), 'quarter': ('month', -12), 'year': ('month', -12),
        },
    }[comparison] -%}
    case {{ period_type }}
        {%- for kind, step in steps.items() %}
        when '{{ kind }}' then cast({{ dbt.dateadd(step[0], step[1], period_start) }} as date)
        {%- endfor %}
    end
{%- endmacro %}
