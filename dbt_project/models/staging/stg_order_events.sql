with source as (
    select * from {{ current_rows('raw', 'order_events') }}
),

renamed as (
    select
        order_id,
        event_type,
        event_at,
        warehouse_id,
        carrier,
        note,
        _batch_id as loaded_in_batch_id
    from source
)

select * from renamed
