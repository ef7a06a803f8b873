with source as (
    select * from {{ current_rows('raw', 'order_lines') }}
),

renamed as (
    select
        order_id,
        line_number,
        sku,
        quantity,
        unit_price,
        discount_amount,
        line_amount,
        _batch_id as loaded_in_batch_id
    from source
)

select * from renamed
