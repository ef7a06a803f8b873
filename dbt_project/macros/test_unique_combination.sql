{#- Generic test: no two rows share the same values of `columns` (a composite key). When a
    daily update tests only some rows (macros/incremental_window.sql: tested_rows), their keys
    are looked up in the whole table: a new row that repeats an old key is still caught. -#}
{% test unique_combination(model, columns) %}
{%- set key = columns | join(', ') %}
{%- set whole = tested_relation() if execute else none %}
{%- set scoped = whole is not none and (model | string) != (whole | string) %}
select {{ key }}, count(*) as n_rows
from {{ whole if scoped else model }}
{%- if scoped %}
    where ({{ key }}) in (select {{ key }} from {{ model }})
{%- endif %}
group by {{ key }}
having count(*) > 1
{% endtest %}
