with source as (
    select * from {{ current_rows('raw', 'customers') }}
),

renamed as (
    select
        customer_id,
        customer_name,
        email,
        phone,
        region,
        city,
        country,
        created_at,
        is_guest,
        _batch_id as loaded_in_batch_id
    from source
)

select * from renamed
