-- One row per line of a purchase order, with its order's supplier, warehouse, dates and
-- status: what the replenishment plan measures suppliers' lead times from.
with purchase_orders as (
    select * from {{ ref('stg_purchase_orders') }}
),

purchase_order_lines as (
    select * from {{ ref('stg_purchase_order_lines') }}
),

final as (
    select
        purchase_order_lines.po_id,
        purchase_order_lines.line_number,
        purchase_orders.supplier_id,
        purchase_orders.warehouse_id,
        purchase_order_lines.sku,
        purchase_orders.status,
        purchase_orders.ordered_date,
        purchase_order_lines.expected_date,
        purchase_order_lines.received_date,
        purchase_order_lines.ordered_quantity,
        purchase_order_lines.received_quantity,
        purchase_order_lines.unit_cost
    from purchase_order_lines
    inner join purchase_orders
        on purchase_order_lines.po_id = purchase_orders.po_id
)

select * from final
