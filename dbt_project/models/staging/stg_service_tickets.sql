with source as (
    select * from {{ current_rows('raw', 'service_tickets') }}
),

renamed as (
    select
        ticket_id,
        customer_id,
        order_id,
        ticket_type,
        topic,
        carrier,
        opened_at,
        resolved_at,
        satisfaction_score,
        _batch_id as loaded_in_batch_id
    from source
)

select * from renamed
