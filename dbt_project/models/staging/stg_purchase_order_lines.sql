with source as (
    select * from {{ current_rows('raw', 'purchase_order_lines') }}
),

renamed as (
    select
        po_id,
        line_number,
        sku,
        ordered_quantity,
        unit_cost,
        expected_date,
        received_quantity,
        received_date,
        _batch_id as loaded_in_batch_id
    from source
)

select * from renamed
