{#- SQL that engines spell differently. A model calls these; a second engine adds its
    `<adapter>__` version here (adapter.dispatch), never an edit of a model.

    not_materialized()  between `as` and `(` of a CTE read more than once that should be
                        inlined where it is read, not computed once and stored (DuckDB
                        stores such CTEs; an import CTE of a whole table must not be):
                            with orders as {{ not_materialized() }} (select ...)
    median(x)           the median of x (interpolated between the two middle values).
    greatest_of([a, b]) / least_of([a, b])
                        the largest / smallest of the values that are not null (null when
                        all are): engines differ on nulls in greatest/least.
    days_between(a, b)  whole days from date a to date b (b - a).
    add_days(d, n)      the date n days after date d (n may be negative or an expression).
    divide_rounded(total, n, scale)
                        total / n rounded to `scale` places (default 2), half away from zero,
                        exactly (a DECIMAL of that scale; null unless n > 0; total with at
                        most 2 x scale places, n with at most scale): by integer division. Dividing decimals gives a double on DuckDB
                        and a decimal on Spark, so a half cent (8786.97 / 2) rounds down on
                        one and up on the other; money divided for a mart goes through this.
    mean_of(x, scale)   the mean of a DECIMAL column of that scale as a double, for ratios: the
                        exact sum over the count, divided once (DuckDB's avg of a decimal;
                        Spark's avg is a decimal rounded to 4 more places). The mean printed
                        as money is divide_rounded(sum(x), count(x)).
-#}

{% macro not_materialized() -%}
    {{ return(adapter.dispatch('not_materialized')()) }}
{%- endmacro %}

{% macro default__not_materialized() -%}
{%- endmacro %}

{% macro duckdb__not_materialized() -%}
    not materialized
{%- endmacro %}


{% macro median(expr) -%}
    {{ return(adapter.dispatch('median')(expr)) }}
{%- endmacro %}

{% macro default__median(expr) -%}
    percentile_cont(0.5) within group (order by {{ expr }})
{%- endmacro %}

{% macro duckdb__median(expr) -%}
    median({{ expr }})
{%- endmacro %}

{% macro spark__median(expr) -%}
    percentile({{ expr }}, 0.5)
{%- endmacro %}


{% macro greatest_of(values) -%}
    {{ return(adapter.dispatch('greatest_of')(values)) }}
{%- endmacro %}

{% macro default__greatest_of(values) -%}
    {#- DuckDB and Spark skip nulls in greatest/least. -#}
    greatest({{ values | join(', ') }})
{%- endmacro %}

{% macro least_of(values) -%}
    {{ return(adapter.dispatch('least_of')(values)) }}
{%- endmacro %}

{% macro default__least_of(values) -%}
    least({{ values | join(', ') }})
{%- endmacro %}


{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__days_between(start_date, end_date) -%}
    {{ dbt.datediff(start_date, end_date, 'day') }}
{%- endmacro %}

{% macro spark__days_between(start_date, end_date) -%}
    datediff({{ end_date }}, {{ start_date }})
{%- endmacro %}


{% macro add_days(date_expr, days) -%}
    {{ return(adapter.dispatch('add_days')(date_expr, days)) }}
{%- endmacro %}

{% macro default__add_days(date_expr, days) -%}
    cast({{ dbt.dateadd('day', days, date_expr) }} as date)
{%- endmacro %}

{% macro spark__add_days(date_expr, days) -%}
    date_add({{ date_expr }}, {{ days }})
{%- endmacro %}


{#- int_div(a, b)      the integer quotient of non-negative integers a and b (rounded down).
    (Added for ntile_of_position, macros/rfm_segment.sql.) -#}
{% macro int_div(dividend, divisor) -%}
    {{ return(adapter.dispatch('int_div')(dividend, divisor)) }}
{%- endmacro %}

{% macro default__int_div(dividend, divisor) -%}
    {#- Engines whose integer division yields a fraction, and those that truncate. -#}
    floor(({{ dividend }}) / ({{ divisor }}))
{%- endmacro %}

{% macro duckdb__int_div(dividend, divisor) -%}
    (({{ dividend }}) // ({{ divisor }}))
{%- endmacro %}

{% macro spark__int_div(dividend, divisor) -%}
    (({{ dividend }}) div ({{ divisor }}))
{%- endmacro %}


{% macro divide_rounded(total, n, scale=2) -%}
    {#- In whole units: round(total / n x 10^s) = (2|T| + N) div 2N with T = total x 10^2s and
        N = n x 10^s, integers when total has at most 2s places and n at most s. -#}
    {%- set big_t = 'cast(round((' ~ total ~ ') * ' ~ (10 ** (2 * scale)) ~ ') as bigint)' -%}
    {%- set big_n = 'cast(round((' ~ n ~ ') * ' ~ (10 ** scale) ~ ') as bigint)' -%}
    case when ({{ n }}) > 0 then
        cast(
            (case when ({{ total }}) < 0 then -1 else 1 end)
            * {{ int_div('2 * abs(' ~ big_t ~ ') + ' ~ big_n, '2 * ' ~ big_n) }}
            as decimal(18, 0)
        ) * {{ '0.' ~ ('0' * (scale - 1)) ~ '1' }}
    end
{%- endmacro %}

{% macro mean_of(expr, scale) -%}
    {{ return(adapter.dispatch('mean_of')(expr, scale)) }}
{%- endmacro %}

{% macro default__mean_of(expr, scale) -%}
    avg({{ expr }})
{%- endmacro %}

{% macro spark__mean_of(expr, scale) -%}
    {#- The sum in whole units of the scale, exact in a double below 2^53. -#}
    cast(sum(cast({{ expr }} * {{ 10 ** scale }} as bigint)) as double)
    / (count({{ expr }}) * {{ 10 ** scale }})
{%- endmacro %}
