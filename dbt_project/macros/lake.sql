{#- The scale-out engine's data path (docs/scale-out.md). On DuckDB the raw tables are the
    warehouse's own and these macros add nothing. On Spark the raw tables are the lake's
    Parquet exports (pipelines/transform/lake.py): every export appends the current row of
    each key a new batch touched, with its `_batch_id` and an `is_deleted` flag, so a key's
    current row is its newest one, and a key whose newest row is deleted is gone.

    current_rows('raw', 'orders')
        the current rows of a source table (its key: the source's meta.key in _sources.yml);
        the staging models read their raw table through it.
    register_lake_sources()
        on-run-start: the lake's folders as Spark's raw.* and ops.* tables.
-#}

{% macro current_rows(source_name, table_name) -%}
    {%- set relation = source(source_name, table_name) -%}
    {{ return(adapter.dispatch('current_rows')(relation, source_key(source_name, table_name))) }}
{%- endmacro %}

{% macro default__current_rows(relation, key) -%}
    {{ relation }}
{%- endmacro %}

{% macro spark__current_rows(relation, key) -%}
    (
        select * from (
            select
                *,
                row_number() over (
                    partition by {{ key | join(', ') }} order by _batch_id desc
                ) as lake_version
            from {{ relation }}
        ) as versions
        where lake_version = 1 and not is_deleted
    ) as current_rows
{%- endmacro %}

{#- The key of a source table, from its meta in _sources.yml. -#}
{% macro source_key(source_name, table_name) -%}
    {%- if not execute -%}
        {{ return([]) }}
    {%- endif -%}
    {%- for node in graph.sources.values() -%}
        {%- if node.source_name == source_name and node.name == table_name -%}
            {%- set key = node.meta.get('key') -%}
            {%- if not key -%}
                {{ exceptions.raise_compiler_error('source ' ~ source_name ~ '.' ~ table_name ~ ' has no meta.key') }}
            {%- endif -%}
            {{ return(key) }}
        {%- endif -%}
    {%- endfor -%}
    {{ exceptions.raise_compiler_error('no source ' ~ source_name ~ '.' ~ table_name) }}
{%- endmacro %}

{#- The lake folder (OrderLens passes its setting as --vars; by hand, ORDERLENS_LAKE_URI, a path). -#}
{% macro lake_root() -%}
    {{ return(var('lake', env_var('ORDERLENS_LAKE_URI', '../data/lake'))) }}
{%- endmacro %}

{% macro register_lake_sources() -%}
    {{ return(adapter.dispatch('register_lake_sources')()) }}
{%- endmacro %}

{% macro default__register_lake_sources() -%}
{%- endmacro %}

{% macro spark__register_lake_sources() -%}
    {%- if execute -%}
        {%- for node in graph.sources.values() -%}
            {#- Folder names come from the project's own sources, not from input. -#}
            {%- set folder = lake_root() ~ '/' ~ node.source_name ~ '/' ~ node.name -%}
            {%- do run_query('create schema if not exists ' ~ node.schema) -%}
            {%- do run_query(
                'create table if not exists ' ~ node.schema ~ '.' ~ node.identifier
                ~ " using parquet location '" ~ folder ~ "'"
            ) -%}
            {%- do run_query('refresh table ' ~ node.schema ~ '.' ~ node.identifier) -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}
