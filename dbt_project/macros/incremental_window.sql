{#- The incremental contract. Every incremental model declares its window in one config line:

        {{ config(materialized='incremental',
                  window={'partition': 'sales_date', 'grain': 'day', 'changes': ['order', 'return']}) }}

      partition  its output column that partitions it, at the grain (a day, a week's Monday,
                 a month's first day);
      grain      day | week | month;
      changes    the entities of int_changes whose dates move it: order (what an order
                 sells), fulfilment (how it is fulfilled), return, stock;
      onward     true when a partition depends on the ones before it (a running balance, a
                 state carried month to month): everything from the first changed one is
                 replaced.

    and filters its inputs with one macro call, `where {{ in_window('ordered_date') }}`. A run
    replaces the partitions holding what changed since the model last absorbed new data
    (strategy replace_partitions below: delete those partitions, insert the new rows, so a
    partition left with no row is emptied). Each row records the newest batch its build had
    absorbed (`{{ absorbed_batch() }} as absorbed_batch_id`): a build that fails half-way
    leaves each model's own record, and the next build takes each model on from there. -#}

{#- The newest ingest batch int_changes lists: what a model built now has absorbed. -#}
{% macro absorbed_batch() -%}
    (select coalesce(max(batch_id), -1) from {{ ref('int_changes') }})
{%- endmacro %}

{#- The first day of the partition of a date at a grain (day, week from Monday, month). -#}
{% macro partition_start(grain, date_expr) -%}
    {%- if grain == 'day' -%}
        cast({{ date_expr }} as date)
    {%- elif grain in ('week', 'month') -%}
        cast({{ dbt.date_trunc(grain, date_expr) }} as date)
    {%- else -%}
        {{ exceptions.raise_compiler_error("window grain " ~ grain ~ " is not day, week or month") }}
    {%- endif -%}
{%- endmacro %}

{#- The changes the model has not absorbed yet, as (entity, partition_start). -#}
{% macro unabsorbed_changes(window) -%}
    {%- set entities = ['all'] + (window.get('changes') or []) -%}
    select entity, {{ partition_start(window.grain, 'first_affected_date') }} as partition_start
    from {{ ref('int_changes') }}
    where
        batch_id > (select coalesce(max(absorbed_batch_id), -1) from {{ this }})
        and entity in ('{{ entities | join("', '") }}')
{%- endmacro %}

{#- True for the rows (of an input, by their date) in the partitions a run replaces; true for
    every row in a first or full build. -#}
{% macro in_window(date_expr) -%}
    {%- set window = config.get('window') -%}
    {%- if not is_incremental() -%}
        true
    {%- elif window is none -%}
        {{ exceptions.raise_compiler_error("in_window() needs the model's window config") }}
    {%- elif window.get('onward') -%}
        {{ date_expr }} >= (
            select min(partition_start) from ({{ unabsorbed_changes(window) }}) as changed
        )
    {%- else -%}
        (
            {{ partition_start(window.grain, date_expr) }} in (
                select partition_start from ({{ unabsorbed_changes(window) }}) as changed
            )
            or exists (
                select 1 from ({{ unabsorbed_changes(window) }}) as changed
                where entity = 'all'
            )
        )
    {%- endif -%}
{%- endmacro %}

{#- The strategy of every incremental model but int_changes (an append-only list): the
    window's partitions go, the run's rows come in. -#}
{% macro get_incremental_replace_partitions_sql(arg_dict) -%}
    {%- set window = config.get('window') -%}
    {%- set columns = arg_dict['dest_columns'] | map(attribute='quoted') | join(', ') -%}
    delete from {{ arg_dict['target_relation'] }}
    where {{ in_window(window.partition) }};
    insert into {{ arg_dict['target_relation'] }} ({{ columns }})
    select {{ columns }} from {{ arg_dict['temp_relation'] }}
{%- endmacro %}

{#- The rows a test checks (dbt's documented hook for a test's relation; a test's own `where`
    still applies). A full build (or --full-refresh) checks every row; a daily update:
      - of an incremental model, the rows its last run wrote;
      - of a model whose meta names a `batch_column` (staging), the rows of the ingest
        batches int_changes has not absorbed yet (its tests run before int_changes).
    Keys are still looked up in the whole table by unique_combination. -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- set scope = tested_rows(relation) if execute else none -%}
    {%- if scope -%}
        {%- set where = scope ~ (' and (' ~ where ~ ')' if where else '') -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) as dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}

{% macro tested_rows(relation) -%}
    {%- set tested = graph.nodes.get(model.get('attached_node') or '', {}) -%}
    {%- set tested_config = tested.get('config', {}) -%}
    {%- set batch_column = tested_config.get('meta', {}).get('batch_column') -%}
    {%- if flags.FULL_REFRESH -%}
        {{ return(none) }}
    {%- elif tested_config.get('window') -%}
        {{ return('absorbed_batch_id = (select max(absorbed_batch_id) from ' ~ relation ~ ')') }}
    {%- elif batch_column -%}
        {%- set node = graph.nodes['model.orderlens.int_changes'] -%}
        {%- set changes = adapter.get_relation(node.database, node.schema, node.alias) -%}
        {%- if changes is none -%}
            {{ return(none) }}
        {%- endif -%}
        {{ return(batch_column ~ ' > (select coalesce(max(batch_id), -1) from ' ~ changes ~ ')') }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{#- The table a test's rows come from, unfiltered. -#}
{% macro tested_relation() -%}
    {%- set tested = graph.nodes.get(model.get('attached_node') or '', {}) -%}
    {{ return(adapter.get_relation(tested.database, tested.schema, tested.alias)) }}
{%- endmacro %}
