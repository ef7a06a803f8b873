with source as (
    select * from {{ current_rows('raw', 'warehouses') }}
),

renamed as (
    select
        warehouse_id,
        warehouse_name,
        region,
        city,
        _batch_id as loaded_in_batch_id
    from source
)

select * from renamed
