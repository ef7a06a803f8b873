with source as (
    select * from {{ current_rows('raw', 'products') }}
),

renamed as (
    select
        sku,
        product_name,
        category,
        unit_cost,
        list_price,
        currency,
        pack_size,
        min_order_qty,
        supplier_id,
        _batch_id as loaded_in_batch_id
    from source
)

select * from renamed
