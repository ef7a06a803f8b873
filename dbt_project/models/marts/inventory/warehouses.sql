-- One row per warehouse: the warehouse dimension readers join for names and regions.
with warehouses as (
    select * from {{ ref('stg_warehouses') }}
),

final as (
    select
        warehouse_id,
        warehouse_name,
        region,
        city
    from warehouses
)

select * from final
