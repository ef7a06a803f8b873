-- One row per order that a row of an ingest batch newer than the last whole build touches
-- (macros/test_scope.sql: last_built_batch): its header, lines, events, sale movements,
-- shipments, returns, tickets, or its customer's or a product's master row. The order-keyed
-- incremental models re-derive exactly these orders; a first build lists every order.
with watermark as (
    select {{ last_built_batch() }} as batch_id
),

orders as not materialized (
    select * from {{ ref('stg_orders') }}
),

order_lines as not materialized (
    select * from {{ ref('stg_order_lines') }}
),

touched as (
    select order_id from orders
    where loaded_in_batch_id > (select batch_id from watermark)
    union
    select order_id from order_lines
    where loaded_in_batch_id > (select batch_id from watermark)
    union
    select order_id from {{ ref('stg_order_events') }}
    where loaded_in_batch_id > (select batch_id from watermark)
    union
    select reference_id as order_id from {{ ref('stg_stock_movements') }}
    where
        movement_type = 'sale'
        and reference_id is not null
        and loaded_in_batch_id > (select batch_id from watermark)
    union
    select order_id from {{ ref('stg_shipments') }}
    where loaded_in_batch_id > (select batch_id from watermark)
    union
    select order_id from {{ ref('stg_returns') }}
    where order_id is not null and loaded_in_batch_id > (select batch_id from watermark)
    union
    select order_id from {{ ref('stg_service_tickets') }}
    where order_id is not null and loaded_in_batch_id > (select batch_id from watermark)
    union
    select orders.order_id from orders
    inner join {{ ref('stg_customers') }} as customers
        on orders.customer_id = customers.customer_id
    where customers.loaded_in_batch_id > (select batch_id from watermark)
    union
    select order_lines.order_id from order_lines
    inner join {{ ref('stg_products') }} as products
        on order_lines.sku = products.sku
    where products.loaded_in_batch_id > (select batch_id from watermark)
)

-- Only orders that exist: a return or ticket may name an order not loaded.
select touched.order_id
from touched
semi join orders
    on touched.order_id = orders.order_id
