with source as (
    select * from {{ current_rows('raw', 'returns') }}
),

renamed as (
    select
        return_id,
        order_id,
        customer_id,
        sku,
        quantity,
        reason,
        refund_amount,
        returned_at,
        is_restocked,
        _batch_id as loaded_in_batch_id
    from source
)

select * from renamed
