with source as (
    select * from {{ current_rows('raw', 'orders') }}
),

renamed as (
    select
        order_id,
        customer_id,
        channel,
        ordered_at,
        promised_date,
        currency,
        order_discount,
        shipping_fee,
        total_amount,
        ship_to_region,
        ship_to_city,
        ship_to_country,
        payment_method,
        needs_approval,
        promotion_code,
        _batch_id as loaded_in_batch_id
    from source
)

select * from renamed
