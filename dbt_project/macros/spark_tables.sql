{#- How the models' tables are kept on Spark (dbt-spark's own macros, configured through
    their public dispatch names; DuckDB never calls these):
    - every table is Parquet in the lake (Spark's warehouse folder is under the lake);
    - an incremental model is partitioned by its window's partition column
      (macros/incremental_window.sql), and a run replaces the partitions of its window by
      `insert_overwrite`: the partitions the new rows fill are overwritten, and those of the
      window the new rows leave empty are dropped, as DuckDB's delete+insert empties them. -#}

{% macro spark__file_format_clause() -%}
    using {{ config.get('file_format', validator=validation.any[basestring]) or 'parquet' }}
{%- endmacro %}

{% macro spark__partition_cols(label, required=false) -%}
    {%- set cols = config.get('partition_by', validator=validation.any[list, basestring]) -%}
    {%- set window = config.get('window') -%}
    {%- if cols is none and window is not none -%}
        {%- set cols = [window.partition] -%}
    {%- endif -%}
    {%- if cols is not none -%}
        {%- if cols is string -%}
            {%- set cols = [cols] -%}
        {%- endif -%}
        {{ label }} ({{ cols | join(', ') }})
    {%- endif -%}
{%- endmacro %}

{#- dbt-spark's insert_overwrite statement, window-aware (a root-project macro of the same
    name is the one dbt-spark's incremental materialization calls). The run's rows are first
    written to a staging table (`<model>__dbt_window`): a model that reads its own earlier rows
    (a running balance's opening, a state carried month to month) reads the table it
    overwrites, which Spark refuses. The staging tables go at the end of the run
    (drop_window_stages, on-run-end). -#}
{% macro get_insert_overwrite_sql(source_relation, target_relation, existing_relation) -%}
    {%- set window = config.get('window') -%}
    {%- set dest_columns = adapter.get_columns_in_relation(target_relation) -%}
    {%- set dest_cols_csv = dest_columns | map(attribute='quoted') | join(', ') -%}
    {%- set rows = source_relation -%}
    {%- if window is not none and execute -%}
        {%- set partition = window.partition -%}
        {%- set rows = target_relation.incorporate(
            path={"identifier": target_relation.identifier ~ "__dbt_window"}) -%}
        {#- Only the partitions the rows fill (dbt-spark sets this only for a partition_by). -#}
        {%- do run_query('set spark.sql.sources.partitionOverwriteMode = DYNAMIC') -%}
        {%- do run_query('drop table if exists ' ~ rows) -%}
        {%- do run_query('create table ' ~ rows ~ ' using parquet as select * from ' ~ source_relation) -%}
        {#- Partitions of the window the run's rows leave empty: no overwrite reaches them. -#}
        {%- set emptied_sql -%}
            select distinct cast({{ partition }} as string) as partition_value
            from {{ target_relation }}
            where
                {{ partition }} is not null
                and {{ in_window(partition) }}
                and {{ partition }} not in (
                    select {{ partition }} from {{ rows }}
                    where {{ partition }} is not null
                )
        {%- endset -%}
        {%- for row in run_query(emptied_sql) -%}
            {%- do run_query(
                'alter table ' ~ target_relation ~ ' drop if exists partition ('
                ~ partition ~ " = '" ~ row[0] ~ "')"
            ) -%}
        {%- endfor -%}
    {%- endif %}
    insert overwrite table {{ target_relation }}
    {{ partition_cols(label="partition") }}
    select {{ dest_cols_csv }} from {{ rows }}
{%- endmacro %}

{% macro drop_window_stages() -%}
    {{ return(adapter.dispatch('drop_window_stages')()) }}
{%- endmacro %}

{% macro default__drop_window_stages() -%}
{%- endmacro %}

{% macro spark__drop_window_stages() -%}
    {%- if execute -%}
        {%- for node in graph.nodes.values() if node.config.get('window') -%}
            {%- do run_query('drop table if exists ' ~ node.schema ~ '.' ~ node.alias ~ '__dbt_window') -%}
        {%- endfor -%}
    {%- endif -%}
{%- endmacro %}

{#- Casts to a contract's types (dbt's contract check and unit-test fixtures cast to them):
    Spark spells DuckDB's `varchar` `string`. -#}
{% macro spark__cast(field, type) -%}
    {%- set spelled = 'string' if type | lower | trim == 'varchar' else type -%}
    cast({{ field }} as {{ spelled }})
{%- endmacro %}

{#- dbt-spark adds a contract's constraints to Delta tables only, but takes a table without a
    file_format for one: the lake's tables are Parquet, whose contracts the collect step
    enforces in the warehouse (pipelines/transform/lake.py). -#}
{% macro spark__persist_constraints(relation, model) -%}
    {%- if config.get('file_format') == 'delta' and config.get('contract').enforced -%}
        {%- do alter_table_add_constraints(relation, model.constraints) -%}
        {%- do alter_column_set_constraints(relation, model.columns) -%}
    {%- endif -%}
{%- endmacro %}

{#- dbt's datediff on Spark: dbt-spark's raises an error on a null date (DuckDB's date_diff
    gives null) and counts weeks and months otherwise than DuckDB. The parts the project uses,
    counted as DuckDB counts them (boundaries crossed); whole months are months_between(). -#}
{% macro spark__datediff(first_date, second_date, datepart) -%}
    {%- set seconds = {'second': 1, 'minute': 60, 'hour': 3600} -%}
    {%- if datepart == 'day' -%}
        datediff({{ second_date }}, {{ first_date }})
    {%- elif datepart in seconds -%}
        (floor(unix_timestamp({{ second_date }}) / {{ seconds[datepart] }})
            - floor(unix_timestamp({{ first_date }}) / {{ seconds[datepart] }}))
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "datediff by " ~ datepart ~ " differs between DuckDB and Spark: use days_between() "
            ~ "or months_between() (macros/)") }}
    {%- endif -%}
{%- endmacro %}
