with source as (
    select * from {{ current_rows('raw', 'stock_movements') }}
),

renamed as (
    select
        movement_id,
        sku,
        warehouse_id,
        moved_at,
        movement_type,
        quantity,
        reference_id,
        _batch_id as loaded_in_batch_id
    from source
)

select * from renamed
