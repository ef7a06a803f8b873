{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='change_date',
    on_schema_change='fail',
) }}
-- One row per sku x warehouse x day on which anything changed its stock position:
-- movements (net, and the units received, sold and returned), the count variance, and
-- the changes of on-order and committed units. daily_stock_positions adds them up.
--
-- Positions start at a pair's first movement and end at the stock clock, so changes
-- dated before the first movement are moved onto that day (a purchase order placed
-- before the first receipt) and changes after the clock are left out.
-- on_order: +ordered on the PO's ordered date; on its received date -received, or the
--   whole line when the PO is closed as received. Cancelled POs are never on order.
-- committed: +units of an allocated order's lines on its (first) allocation date, -the
--   same on the day it first shipped or was cancelled, whichever came first.
-- Incremental: a run re-derives the days from rebuild_from_day() on, and every change of a
-- pair whose first movement is new; pairs keep the first-movement day already built.
with window_start as (
    select
        {% if is_incremental() -%}
            {{ rebuild_from_day() }}
        {%- else -%}
            date '0001-01-01'
        {%- endif %} as first_date
),

all_movements as not materialized (
    select * from {{ ref('stg_stock_movements') }}
),

known_pairs as (
    {% if is_incremental() -%}
        select
            sku,
            warehouse_id,
            min(change_date) as first_movement_date
        from {{ this }}
        group by sku, warehouse_id
    {%- else -%}
        select
            cast(null as varchar) as sku,
            cast(null as varchar) as warehouse_id,
            cast(null as date) as first_movement_date
        where false
    {%- endif %}
),

new_pairs as (
    select distinct
        all_movements.sku,
        all_movements.warehouse_id
    from all_movements
    anti join known_pairs
        on
            all_movements.sku = known_pairs.sku
            and all_movements.warehouse_id = known_pairs.warehouse_id
    where {{ local_ts('all_movements.moved_at') }} >= (select first_date from window_start)
),

movements as (
    select * from all_movements
    where {{ local_ts('moved_at') }} >= (select first_date from window_start)
    union all
    select all_movements.* from all_movements
    semi join new_pairs
        on
            all_movements.sku = new_pairs.sku
            and all_movements.warehouse_id = new_pairs.warehouse_id
    where {{ local_ts('all_movements.moved_at') }} < (select first_date from window_start)
),

counts as not materialized (
    select * from {{ ref('int_stock_counts_reconciled') }}
),

purchase_orders as not materialized (
    select * from {{ ref('stg_purchase_orders') }}
),

purchase_order_lines as not materialized (
    select * from {{ ref('stg_purchase_order_lines') }}
),

orders as not materialized (
    select * from {{ ref('int_order_events_pivoted') }}
    {% if is_incremental() -%}
        where
            {{ local_ts('allocated_at') }} >= (select first_date from window_start)
            or {{ local_ts('shipped_at') }} >= (select first_date from window_start)
            or {{ local_ts('cancelled_at') }} >= (select first_date from window_start)
    {%- endif %}
),

order_lines as not materialized (
    select * from {{ ref('stg_order_lines') }}
),

clock as (
    select {{ stock_clock_date() }} as clock_date
),

movement_changes as (
    select
        sku,
        warehouse_id,
        {{ local_date('moved_at') }} as change_date,
        sum(quantity) as movement_quantity,
        sum(case when movement_type = 'receipt' then quantity else 0 end) as units_received,
        -sum(case when movement_type = 'sale' then quantity else 0 end) as units_sold,
        sum(case when movement_type = 'return' then quantity else 0 end) as units_returned,
        0 as count_variance,
        0 as counts_taken,
        0 as on_order_change,
        0 as committed_change
    from movements
    group by sku, warehouse_id, {{ local_date('moved_at') }}
),

count_changes as (
    select
        sku,
        warehouse_id,
        counted_date as change_date,
        0 as movement_quantity,
        0 as units_received,
        0 as units_sold,
        0 as units_returned,
        count_variance,
        1 as counts_taken,
        0 as on_order_change,
        0 as committed_change
    from counts
),

open_po_lines as (
    select
        purchase_orders.warehouse_id,
        purchase_orders.status,
        purchase_orders.ordered_date,
        purchase_order_lines.sku,
        purchase_order_lines.ordered_quantity,
        least(purchase_order_lines.received_quantity, purchase_order_lines.ordered_quantity)
            as received_quantity,
        coalesce(
            purchase_order_lines.received_date,
            purchase_order_lines.expected_date,
            purchase_orders.expected_date,
            purchase_orders.ordered_date
        ) as received_date
    from purchase_order_lines
    inner join purchase_orders
        on purchase_order_lines.po_id = purchase_orders.po_id
    where purchase_orders.status != 'cancelled'
),

on_order_changes as (
    select
        sku,
        warehouse_id,
        ordered_date as change_date,
        0 as movement_quantity,
        0 as units_received,
        0 as units_sold,
        0 as units_returned,
        0 as count_variance,
        0 as counts_taken,
        ordered_quantity as on_order_change,
        0 as committed_change
    from open_po_lines
    union all
    select
        sku,
        warehouse_id,
        received_date as change_date,
        0 as movement_quantity,
        0 as units_received,
        0 as units_sold,
        0 as units_returned,
        0 as count_variance,
        0 as counts_taken,
        -(case when status = 'received' then ordered_quantity else received_quantity end)
            as on_order_change,
        0 as committed_change
    from open_po_lines
    where status = 'received' or received_quantity > 0
),

allocated_lines as (
    select
        order_lines.sku,
        orders.warehouse_id,
        {{ local_date('orders.allocated_at') }} as allocated_date,
        {{ local_date(
            'case when orders.shipped_at is null then orders.cancelled_at'
            ~ ' when orders.cancelled_at is null then orders.shipped_at'
            ~ ' else least(orders.shipped_at, orders.cancelled_at) end'
        ) }} as released_date,
        order_lines.quantity
    from orders
    inner join order_lines
        on orders.order_id = order_lines.order_id
    where orders.allocated_at is not null and orders.warehouse_id is not null
),

committed_changes as (
    select
        sku,
        warehouse_id,
        allocated_date as change_date,
        0 as movement_quantity,
        0 as units_received,
        0 as units_sold,
        0 as units_returned,
        0 as count_variance,
        0 as counts_taken,
        0 as on_order_change,
        quantity as committed_change
    from allocated_lines
    union all
    select
        sku,
        warehouse_id,
        released_date as change_date,
        0 as movement_quantity,
        0 as units_received,
        0 as units_sold,
        0 as units_returned,
        0 as count_variance,
        0 as counts_taken,
        0 as on_order_change,
        -quantity as committed_change
    from allocated_lines
    where released_date is not null
),

all_changes as (
    select * from movement_changes
    union all
    select * from count_changes
    union all
    select * from on_order_changes
    union all
    select * from committed_changes
),

first_movements as (
    select * from known_pairs
    union all
    select
        movement_changes.sku,
        movement_changes.warehouse_id,
        min(movement_changes.change_date) as first_movement_date
    from movement_changes
    semi join new_pairs
        on
            movement_changes.sku = new_pairs.sku
            and movement_changes.warehouse_id = new_pairs.warehouse_id
    group by movement_changes.sku, movement_changes.warehouse_id
),

dated as (
    select
        all_changes.sku,
        all_changes.warehouse_id,
        greatest(all_changes.change_date, first_movements.first_movement_date) as change_date,
        all_changes.movement_quantity,
        all_changes.units_received,
        all_changes.units_sold,
        all_changes.units_returned,
        all_changes.count_variance,
        all_changes.counts_taken,
        all_changes.on_order_change,
        all_changes.committed_change
    from all_changes
    inner join first_movements
        on
            all_changes.sku = first_movements.sku
            and all_changes.warehouse_id = first_movements.warehouse_id
    cross join clock
    where all_changes.change_date <= clock.clock_date
),

in_window as (
    -- A run replaces whole days: only days of its window (a late change of an older day
    -- waits for a full refresh).
    select * from dated
    where change_date >= (select first_date from window_start)
),

final as (
    select
        sku,
        warehouse_id,
        change_date,
        cast(sum(movement_quantity) as bigint) as movement_quantity,
        cast(sum(units_received) as bigint) as units_received,
        cast(sum(units_sold) as bigint) as units_sold,
        cast(sum(units_returned) as bigint) as units_returned,
        cast(sum(count_variance) as bigint) as count_variance,
        cast(sum(counts_taken) as bigint) as counts_taken,
        cast(sum(on_order_change) as bigint) as on_order_change,
        cast(sum(committed_change) as bigint) as committed_change
    from in_window
    group by sku, warehouse_id, change_date
)

select * from final
