{#- Tests of a daily update check what it changed, a full build checks everything.

    A test on a large table names a scope in its `where` config, in its model's
    `meta.test_scope` (dbt_project.yml), or, for unique_combination, in its `changed`
    argument (the keys of the changed rows are then looked up in the whole table):
      __new_batches__   rows whose ingest batch is newer than the last fully tested build;
      __tested_since__  a date: 62 days before the data clock of the last fully tested
                        build (the windows incremental marts rewrite are shorter);
      __rebuilt_from_month__  the first month a monthly incremental model re-derives
                        (rebuild_from_month()): its tests check exactly the months it rewrote;
      __changed_orders__  the orders int_changed_orders lists, which the order-keyed
                        incremental models re-derive (every order in a first build, or while
                        int_changed_orders is not built).
    ops.build_watermarks holds, per whole build (a whole-project `dbt build` without a
    failed node), the newest ingest batch and the newest (local) order day it built and tested,
    and the business time zone it built in. With no such
    build yet the scopes take every row. -#}

{#- The newest ingest batch the last whole build saw (-1: none yet). Order-keyed incremental
    models re-derive what newer batches touched (int_changed_orders). -#}
{% macro last_built_batch() -%}
    (select coalesce(max(through_batch_id), -1) from ops.build_watermarks)
{%- endmacro %}

{#- The first month a monthly incremental model re-derives: the month of the last whole
    build's newest order day less `months_lookback_days` (late data), or every month when
    there was no whole build yet. -#}
{% macro rebuild_from_month() -%}
    (
        select
            coalesce(
                cast(
                    {{ dbt.date_trunc('month', 'max(through_date) - ' ~ (var('months_lookback_days', 7) | int)) }}
                    as date
                ),
                date '0001-01-01'
            )
        from ops.build_watermarks
    )
{%- endmacro %}

{#- The first day a daily incremental model re-derives: the last whole build's newest order
    day less `days_lookback_days` (late data), or every day when there was none yet. -#}
{% macro rebuild_from_day() -%}
    (
        select coalesce(max(through_date) - {{ var('days_lookback_days', 7) | int }}, date '0001-01-01')
        from ops.build_watermarks
    )
{%- endmacro %}

{#- A condition that holds for the orders int_changed_orders lists; for every order while
    it is not built (a first build of a selection without it): every order is new then. -#}
{% macro changed_orders_condition() -%}
    {%- set node = graph.nodes['model.orderlens.int_changed_orders'] if execute else none -%}
    {%- set changed = adapter.get_relation(node.database, node.schema, node.alias) if node else none -%}
    {%- if changed is not none -%}
        {{ return('order_id in (select order_id from ' ~ changed ~ ')') }}
    {%- else -%}
        {{ return('true') }}
    {%- endif -%}
{%- endmacro %}

{% macro scope_sql(where) -%}
    {%- set batches -%}
        loaded_in_batch_id > {{ last_built_batch() }}
    {%- endset -%}
    {%- set changed_orders = changed_orders_condition() if '__changed_orders__' in where else 'true' -%}
    {%- set since -%}
        (select coalesce(max(through_date) - 62, date '0001-01-01') from ops.build_watermarks)
    {%- endset -%}
    {{ return(
        where
        | replace('__new_batches__', batches)
        | replace('__tested_since__', since)
        | replace('__rebuilt_from_month__', rebuild_from_month())
        | replace('__changed_orders__', changed_orders)
    ) }}
{%- endmacro %}

{#- on-run-start. A --full-refresh run forgets the watermarks: it rebuilds and tests all. -#}
{% macro create_build_watermarks() -%}
    create schema if not exists ops;
    create table if not exists ops.build_watermarks (
        through_batch_id bigint not null,
        through_date date,
        built_at timestamp not null
    );
    -- The business time zone the build's dates are in: a change of zone needs a full build
    -- (OrderLens's dbt asset runs one). Rows from before this column were built in UTC.
    alter table ops.build_watermarks
        add column if not exists business_timezone varchar default 'UTC';
    {% if flags.FULL_REFRESH -%}
        delete from ops.build_watermarks;
    {%- endif %}
{%- endmacro %}

{#- on-run-end: a whole-project build where no node failed moves the watermark. -#}
{% macro record_build_watermark(results) -%}
    {%- set args = invocation_args_dict -%}
    {%- set whole = (args.get('select') or ['fqn:*']) | list == ['fqn:*']
        and not args.get('exclude') and not args.get('selector') -%}
    {%- set failed = results | selectattr('status', 'in', ['error', 'fail', 'runtime error'])
        | list -%}
    {%- if execute and args.get('which') == 'build' and whole and not failed -%}
        insert into ops.build_watermarks
        select
            coalesce(
                (select max(batch_id) from {{ source('ops', 'ingest_batches') }}),
                (select max(_batch_id) from {{ source('raw', 'orders') }}),
                -1
            ),
            (select max({{ local_date('ordered_at') }}) from {{ source('raw', 'orders') }}),
            current_timestamp,
            '{{ business_timezone() }}';
    {%- else -%}
        select 1;
    {%- endif -%}
{%- endmacro %}
