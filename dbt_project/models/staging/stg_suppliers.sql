with source as (
    select * from {{ current_rows('raw', 'suppliers') }}
),

renamed as (
    select
        supplier_id,
        supplier_name,
        country,
        lead_time_days,
        currency,
        _batch_id as loaded_in_batch_id
    from source
)

select * from renamed
