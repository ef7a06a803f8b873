{#- The named RFM segment of an R score and an FM score (both 1-5); the score table is
    written out in METRICS_SALES_CUSTOMERS.md.

        R \ FM   1             2                    3                    4          5
        5        new           potential_loyalists  potential_loyalists  champions  champions
        4        promising     potential_loyalists  potential_loyalists  loyal      loyal
        3        need_attention need_attention      need_attention       loyal      loyal
        2        hibernating   hibernating          at_risk              at_risk    cant_lose
        1        lost          lost                 at_risk              at_risk    cant_lose
-#}
{% macro rfm_segment(r_score, fm_score) -%}
    case
        when {{ r_score }} = 5 and {{ fm_score }} >= 4 then 'champions'
        when {{ r_score }} >= 3 and {{ fm_score }} >= 4 then 'loyal'
        when {{ r_score }} = 5 and {{ fm_score }} = 1 then 'new'
        when {{ r_score }} = 4 and {{ fm_score }} = 1 then 'promising'
        when {{ r_score }} >= 4 then 'potential_loyalists'
        when {{ r_score }} = 3 then 'need_attention'
        when {{ fm_score }} = 5 then 'cant_lose'
        when {{ fm_score }} >= 3 then 'at_risk'
        when {{ r_score }} = 2 then 'hibernating'
        else 'lost'
    end
{%- endmacro %}

{#- The ten segment codes, for accepted_values tests and readers. -#}
{% macro rfm_segments() -%}
    {{ return(['champions', 'loyal', 'potential_loyalists', 'new', 'promising',
               'need_attention', 'at_risk', 'cant_lose', 'hibernating', 'lost']) }}
{%- endmacro %}

{#- The tile ntile(tiles) gives the row at 1-based position `position` of `rows` rows, by
    ntile's own arithmetic (DuckDB's, as SQLite's): with n = least(tiles, rows), the first
    rows % n tiles hold rows // n + 1 rows each, the others rows // n (// the integer
    quotient: int_div, macros/portable.sql). Given a value's rank() as the position, it is
    the lowest tile any row of that value gets, whatever the order among equal values. -#}
{% macro ntile_of_position(position, rows, tiles=5) -%}
    {%- set n = least_of([tiles | string, rows]) -%}
    {%- set small_tile = int_div(rows, n) -%}
    {%- set larger_rows = '(mod(' ~ rows ~ ', ' ~ n ~ ') * (' ~ small_tile ~ ' + 1))' -%}
    case
        when {{ position }} - 1 < {{ larger_rows }}
            then 1 + {{ int_div(position ~ ' - 1', small_tile ~ ' + 1') }}
        else
            1 + mod({{ rows }}, {{ n }})
            + {{ int_div(position ~ ' - 1 - ' ~ larger_rows, small_tile) }}
    end
{%- endmacro %}
