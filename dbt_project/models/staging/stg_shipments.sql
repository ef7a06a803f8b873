with source as (
    select * from {{ current_rows('raw', 'shipments') }}
),

renamed as (
    select
        shipment_id,
        order_id,
        warehouse_id,
        carrier,
        tracking_number,
        shipped_at,
        delivered_at,
        _batch_id as loaded_in_batch_id
    from source
)

select * from renamed
