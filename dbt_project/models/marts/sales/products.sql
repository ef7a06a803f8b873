-- One row per SKU of the catalogue: the product dimension readers join for names,
-- categories, prices and ordering terms (staging has no contract; this mart has).
with products as (
    select * from {{ ref('stg_products') }}
),

final as (
    select
        sku,
        product_name,
        category,
        unit_cost,
        list_price,
        currency,
        pack_size,
        min_order_qty,
        supplier_id
    from products
)

select * from final
