-- One row per supplier: the supplier dimension, with the lead time it quotes (the
-- replenishment plan's fallback where its own receipts say too little).
with suppliers as (
    select * from {{ ref('stg_suppliers') }}
),

final as (
    select
        supplier_id,
        supplier_name,
        country,
        lead_time_days,
        currency
    from suppliers
)

select * from final
