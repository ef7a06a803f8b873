with source as (
    select * from {{ current_rows('raw', 'shipment_events') }}
),

renamed as (
    select
        shipment_id,
        event_at,
        status,
        location,
        _batch_id as loaded_in_batch_id
    from source
)

select * from renamed
