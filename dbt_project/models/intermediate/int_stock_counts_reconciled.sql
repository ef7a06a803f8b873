{{ config(
    materialized='incremental',
    window={'partition': 'counted_date', 'grain': 'day', 'changes': ['stock'], 'onward': true},
) }}
-- One row per sku x warehouse x day with a physical count: the quantity counted last
-- that day and the count variance (counted minus book stock at the moment of counting).
-- Book stock at a count = the previous count (0 before the first) plus every movement
-- between the two counts, so each count resets the book and its variance is reported
-- once, on its own day. Movements stamped at the very moment of a count are in it.
-- Incremental: a run re-derives the days from the first one whose stock changed on (a
-- movement or count changes the book of the counts after it); a count's book needs only
-- the movements since the count before it.
with movements as (
    select * from {{ ref('stg_stock_movements') }}
),

stock_counts as (
    select * from {{ ref('stg_stock_counts') }}
),

counts as (
    select
        sku,
        warehouse_id,
        counted_at,
        counted_quantity,
        lag(counted_at) over pair_counts as previous_counted_at,
        coalesce(lag(counted_quantity) over pair_counts, 0) as previous_counted_quantity
    from stock_counts
    window pair_counts as (partition by sku, warehouse_id order by counted_at)
),

recent_counts as (
    select * from counts
    where {{ in_window(local_date('counted_at')) }}
),

moved_between as (
    -- Movements after the previous count (or ever, before the first) up to this count.
    select
        recent_counts.sku,
        recent_counts.warehouse_id,
        recent_counts.counted_at,
        sum(movements.quantity) as movement_quantity
    from recent_counts
    inner join movements
        on
            recent_counts.sku = movements.sku
            and recent_counts.warehouse_id = movements.warehouse_id
            and movements.moved_at <= recent_counts.counted_at
            and (
                recent_counts.previous_counted_at is null
                or movements.moved_at > recent_counts.previous_counted_at
            )
    group by recent_counts.sku, recent_counts.warehouse_id, recent_counts.counted_at
),

booked as (
    select
        recent_counts.sku,
        recent_counts.warehouse_id,
        recent_counts.counted_at,
        recent_counts.counted_quantity,
        recent_counts.previous_counted_quantity + coalesce(moved_between.movement_quantity, 0)
            as book_quantity
    from recent_counts
    left join moved_between
        on
            recent_counts.sku = moved_between.sku
            and recent_counts.warehouse_id = moved_between.warehouse_id
            and recent_counts.counted_at = moved_between.counted_at
),

final as (
    select
        sku,
        warehouse_id,
        {{ local_date('counted_at') }} as counted_date,
        cast(max_by(counted_quantity, counted_at) as bigint) as counted_quantity,
        cast(sum(counted_quantity - book_quantity) as bigint) as count_variance
    from booked
    group by sku, warehouse_id, {{ local_date('counted_at') }}
)

select
    *,
    {{ absorbed_batch() }} as absorbed_batch_id
from final
