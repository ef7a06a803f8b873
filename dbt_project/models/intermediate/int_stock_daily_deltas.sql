{{ config(
    materialized='incremental',
    window={'partition': 'change_date', 'grain': 'day', 'changes': ['stock'], 'onward': true},
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
-- Incremental: a run re-derives the days from the first one whose stock changed on; a
-- pair whose first movement is in them takes its earlier changes onto that day again.
with stock_movements as {{ not_materialized() }} (
    select * from {{ ref('stg_stock_movements') }}
),

counts as (
    -- Few rows: they are dated (onto a first movement) before the window is taken.
    select * from {{ ref('int_stock_counts_reconciled') }}
),

purchase_orders as (
    select * from {{ ref('stg_purchase_orders') }}
),

purchase_order_lines as (
    select * from {{ ref('stg_purchase_order_lines') }}
),

order_events_pivoted as (
    select * from {{ ref('int_order_events_pivoted') }}
),

all_order_lines as (
    select * from {{ ref('stg_order_lines') }}
),

clock as (
    select {{ stock_clock_date() }} as clock_date
),

first_movements as (
    -- A pair's positions start on the day of its first movement.
    select
        sku,
        warehouse_id,
        min({{ local_date('moved_at') }}) as first_movement_date
    from stock_movements
    group by sku, warehouse_id
),

late_pairs as (
    -- Pairs whose first movement is in the window: their earlier changes land on it.
    select * from first_movements
    where {{ in_window('first_movement_date') }}
),

movements as (
    select * from stock_movements
    where {{ in_window(local_date('moved_at')) }}
),

allocated_orders as {{ not_materialized() }} (
    select
        order_id,
        warehouse_id,
        {{ local_date('allocated_at') }} as allocated_date,
        {{ local_date(least_of(['shipped_at', 'cancelled_at'])) }} as released_date
    from order_events_pivoted
    where allocated_at is not null and warehouse_id is not null
),

order_lines as (
    -- The lines of the orders that commit or release stock in the window, and those of
    -- late pairs' SKUs (committed before the first movement).
    select * from all_order_lines
    where
        order_id in (
            select order_id from allocated_orders
            where {{ in_window('allocated_date') }} or {{ in_window('released_date') }}
        )
        or sku in (select sku from late_pairs)
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
        {{ least_of([
            'purchase_order_lines.received_quantity',
            'purchase_order_lines.ordered_quantity',
        ]) }} as received_quantity,
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
        allocated_orders.warehouse_id,
        allocated_orders.allocated_date,
        allocated_orders.released_date,
        order_lines.quantity
    from order_lines
    inner join allocated_orders
        on order_lines.order_id = allocated_orders.order_id
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

dated as (
    select
        all_changes.sku,
        all_changes.warehouse_id,
        {{ greatest_of(['all_changes.change_date', 'first_movements.first_movement_date']) }}
            as change_date,
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
    select * from dated
    where {{ in_window('change_date') }}
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

select
    *,
    {{ absorbed_batch() }} as absorbed_batch_id
from final
