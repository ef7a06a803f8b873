-- One row per sku x warehouse x day with a physical count: the quantity counted last
-- that day and the count variance (counted minus book stock at the moment of counting).
-- Book stock at a count = the previous count (0 before the first) plus every movement
-- between the two counts, so each count resets the book and its variance is reported
-- once, on its own day. Movements stamped at the very moment of a count are in it.
with movements as (
    select * from {{ ref('stg_stock_movements') }}
),

counts as (
    select * from {{ ref('stg_stock_counts') }}
),

counted_pairs as (
    select distinct
        sku,
        warehouse_id
    from counts
),

stock_events as (
    -- Only pairs that were ever counted need their movements in this stream.
    select
        movements.sku,
        movements.warehouse_id,
        movements.moved_at as event_at,
        0 as is_count,
        movements.quantity as movement_quantity,
        cast(null as bigint) as counted_quantity
    from movements
    inner join counted_pairs
        on
            movements.sku = counted_pairs.sku
            and movements.warehouse_id = counted_pairs.warehouse_id
    union all
    select
        sku,
        warehouse_id,
        counted_at as event_at,
        1 as is_count,
        0 as movement_quantity,
        counted_quantity
    from counts
),

running as (
    select
        *,
        sum(movement_quantity) over (
            partition by sku, warehouse_id
            order by event_at, is_count
            rows between unbounded preceding and current row
        ) as movements_to_date
    from stock_events
),

count_rows as (
    select
        sku,
        warehouse_id,
        event_at as counted_at,
        counted_quantity,
        movements_to_date
    from running
    where is_count = 1
),

booked as (
    select
        *,
        coalesce(lag(counted_quantity) over pair_counts, 0)
        + movements_to_date
        - coalesce(lag(movements_to_date) over pair_counts, 0) as book_quantity
    from count_rows
    window pair_counts as (partition by sku, warehouse_id order by counted_at)
),

final as (
    select
        sku,
        warehouse_id,
        cast(counted_at as date) as counted_date,
        cast(max_by(counted_quantity, counted_at) as bigint) as counted_quantity,
        cast(sum(counted_quantity - book_quantity) as bigint) as count_variance
    from booked
    group by sku, warehouse_id, cast(counted_at as date)
)

select * from final
