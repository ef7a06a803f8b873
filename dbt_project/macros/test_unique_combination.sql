{#- Generic test: no two rows share the same values of `columns` (a composite key).
    With `changed` (a scope of macros/test_scope.sql), only the keys of the changed rows are
    looked up, in the whole table: a new row that repeats an old key is still caught. -#}
{% test unique_combination(model, columns, changed=none) %}
{%- set key = columns | join(', ') %}
select {{ key }}, count(*) as n_rows
from {{ model }}
{%- if changed %}
    semi join (
        select distinct {{ key }}
        from {{ model }}
        where {{ scope_sql(changed) }}
    ) as changed_keys using ({{ key }})
{%- endif %}
group by {{ key }}
having count(*) > 1
{% endtest %}
