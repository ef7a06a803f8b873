with source as (
    select * from {{ current_rows('raw', 'purchase_orders') }}
),

renamed as (
    select
        po_id,
        supplier_id,
        warehouse_id,
        ordered_date,
        expected_date,
        status,
        _batch_id as loaded_in_batch_id
    from source
)

select * from renamed
