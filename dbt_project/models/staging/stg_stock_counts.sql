with source as (
    select * from {{ current_rows('raw', 'stock_counts') }}
),

renamed as (
    select
        warehouse_id,
        sku,
        counted_at,
        counted_quantity,
        _batch_id as loaded_in_batch_id
    from source
)

select * from renamed
