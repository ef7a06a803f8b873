{#- The data's own clocks for the inventory and order-efficiency marts. Figures "as of now"
    are measured against them, never against the wall clock, so a rebuild of old data gives
    the same answer.
    - stock_clock_date: the latest (local) date any stock moved.
    - order_clock_at: the latest order status event (a timestamp: stage timers run to it). -#}
{% macro stock_clock_date() -%}
    (select max({{ local_date('moved_at') }}) from {{ ref('stg_stock_movements') }})
{%- endmacro %}

{% macro order_clock_at() -%}
    (select max(event_at) from {{ ref('stg_order_events') }})
{%- endmacro %}

{#- The first week (Monday) a weekly order-efficiency mart re-derives: in a daily update the
    week of the earliest order new batches touched (int_changed_orders) was received in (no
    stage starts or ends before it), or the week holding rebuild_from_month(), whichever is
    earlier; every week otherwise. The caller adds `-- depends_on` for int_changed_orders and
    int_order_events_pivoted. -#}
{% macro changed_orders_first_week() -%}
    {%- if not is_incremental() -%}
    date '0001-01-01'
    {%- else -%}
    least(
        cast({{ dbt.date_trunc('week', rebuild_from_month()) }} as date),
        coalesce(
            (
                -- The order rows are a fifth of the stage rows.
                select cast({{ dbt.date_trunc('week', local_ts('min(pivoted.received_at)')) }} as date)
                from {{ ref('int_order_events_pivoted') }} as pivoted
                semi join {{ ref('int_changed_orders') }} as changed
                    on pivoted.order_id = changed.order_id
            ),
            date '9999-12-31'
        )
    )
    {%- endif %}
{%- endmacro %}

{#- Pre-hook of the weekly incremental marts: a daily update first deletes every week it
    re-derives, so that a week left with no row (its only completed stage moved to another
    week) does not keep its old one; delete+insert alone replaces only the weeks it writes.
    The same transaction as the insert: a failed run deletes nothing. -#}
{% macro delete_rederived_weeks() -%}
    {%- if is_incremental() -%}
    delete from {{ this }}
    where week_start >= {{ changed_orders_first_week() }}
    {%- endif -%}
{%- endmacro %}
