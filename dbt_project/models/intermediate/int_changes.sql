{{ config(materialized='incremental', incremental_strategy='append') }}
-- What each ingest batch changed, as the business dates it affects: the one list every
-- incremental model takes its partitions to replace from (macros/incremental_window.sql).
-- One row per batch x entity x key:
--   order   an order whose sales a row of the batch can change (its header, lines,
--           allocation or cancellation, its customer's or a product's master row); dated by
--           the order's local ordered date;
--   fulfilment  an order a row of the batch touched only in how it is fulfilled (its other
--           status events, sale movements, shipments and their tracking, returns, tickets);
--           dated by the order's local ordered date;
--   return  a return of an order listed as 'order', of a customer with a new master row, or a
--           new one; dated by its local returned date;
--   stock   a warehouse x SKU whose stock figures the batch can change (its movements,
--           counts, purchase orders, the orders allocated to it, its product's cost);
--           dated by the first local day they change. The key 'stock clock' dates the day
--           after the last stock clock when a batch moves the clock on (every pair has
--           positions up to the clock);
--   all     every date: a batch superseded an earlier one (whose rows it removed), or this
--           list was rebuilt from scratch while the models kept theirs.
-- An order or return seen before keeps the earlier of its old and new date, so a correction
-- that moves it re-derives both days. Appended build by build: the batches newer than the
-- newest it holds.
{% set first_day = "cast('0001-01-01' as date)" %}
-- A first build reads only some of the tables below (sqlfluff renders that one):
-- noqa: disable=ST03

with batches as (
    select coalesce(max(batch_id), -1) as absorbed_batch_id
    {% if is_incremental() -%}
        from {{ this }}
    {%- else -%}
        from (select cast(null as bigint) as batch_id) as none_yet
    {%- endif %}
),

orders as {{ not_materialized() }} (
    select
        order_id,
        customer_id,
        {{ local_date('ordered_at') }} as ordered_date,
        loaded_in_batch_id
    from {{ ref('stg_orders') }}
),

order_lines as {{ not_materialized() }} (
    select * from {{ ref('stg_order_lines') }}
),

shipments as {{ not_materialized() }} (
    select * from {{ ref('stg_shipments') }}
),

returns as {{ not_materialized() }} (
    select * from {{ ref('stg_returns') }}
),

order_events as {{ not_materialized() }} (
    select * from {{ ref('stg_order_events') }}
),

stock_movements as {{ not_materialized() }} (
    select * from {{ ref('stg_stock_movements') }}
),

stock_counts as {{ not_materialized() }} (
    select * from {{ ref('stg_stock_counts') }}
),

purchase_orders as {{ not_materialized() }} (
    select * from {{ ref('stg_purchase_orders') }}
),

purchase_order_lines as {{ not_materialized() }} (
    select * from {{ ref('stg_purchase_order_lines') }}
),

shipment_events as {{ not_materialized() }} (
    select * from {{ ref('stg_shipment_events') }}
),

service_tickets as {{ not_materialized() }} (
    select * from {{ ref('stg_service_tickets') }}
),

customers as {{ not_materialized() }} (
    select * from {{ ref('stg_customers') }}
),

products as {{ not_materialized() }} (
    select * from {{ ref('stg_products') }}
),

ingest_batches as (
    select * from {{ source('ops', 'ingest_batches') }}
),

{% if is_incremental() %}
    new_rows as (
        -- (order, batch, kind) of every new row that names an order, directly or through its
        -- shipment, customer or product. Kind 'order': a row that can change the order's
        -- sales (its header, lines, allocation or cancellation, its customer, a product);
        -- 'fulfilment': one that changes only how it is being fulfilled (other status
        -- events, sale movements, shipments and their tracking, returns, tickets).
        select order_id, loaded_in_batch_id as batch_id, 'order' as kind from orders
        where loaded_in_batch_id > (select absorbed_batch_id from batches)
        union all
        select order_id, loaded_in_batch_id as batch_id, 'order' as kind from order_lines
        where loaded_in_batch_id > (select absorbed_batch_id from batches)
        union all
        select
            order_id,
            loaded_in_batch_id as batch_id,
            case when event_type in ('allocated', 'cancelled') then 'order' else 'fulfilment' end as kind
        from order_events
        where loaded_in_batch_id > (select absorbed_batch_id from batches)
        union all
        select reference_id as order_id, loaded_in_batch_id as batch_id, 'fulfilment' as kind
        from stock_movements
        where
            movement_type = 'sale'
            and reference_id is not null
            and loaded_in_batch_id > (select absorbed_batch_id from batches)
        union all
        select order_id, loaded_in_batch_id as batch_id, 'fulfilment' as kind from shipments
        where loaded_in_batch_id > (select absorbed_batch_id from batches)
        union all
        select shipments.order_id, shipment_events.loaded_in_batch_id as batch_id, 'fulfilment' as kind
        from shipment_events
        inner join shipments on shipment_events.shipment_id = shipments.shipment_id
        where shipment_events.loaded_in_batch_id > (select absorbed_batch_id from batches)
        union all
        select order_id, loaded_in_batch_id as batch_id, 'fulfilment' as kind from returns
        where order_id is not null and loaded_in_batch_id > (select absorbed_batch_id from batches)
        union all
        select order_id, loaded_in_batch_id as batch_id, 'fulfilment' as kind from service_tickets
        where order_id is not null and loaded_in_batch_id > (select absorbed_batch_id from batches)
        union all
        select orders.order_id, customers.loaded_in_batch_id as batch_id, 'order' as kind
        from customers
        inner join orders on customers.customer_id = orders.customer_id
        where customers.loaded_in_batch_id > (select absorbed_batch_id from batches)
        union all
        select order_lines.order_id, products.loaded_in_batch_id as batch_id, 'order' as kind
        from products
        inner join order_lines on products.sku = order_lines.sku
        where products.loaded_in_batch_id > (select absorbed_batch_id from batches)
    ),

    touched_orders as (
        select
            new_rows.kind,
            orders.order_id,
            max(new_rows.batch_id) as batch_id,
            min(orders.ordered_date) as affected_date
        from new_rows
        inner join orders on new_rows.order_id = orders.order_id
        group by new_rows.kind, orders.order_id
    ),
{% else %}
    touched_orders as (
        -- A first build lists every order (the 'all' row below re-derives everything).
        select
            'order' as kind,
            order_id,
            loaded_in_batch_id as batch_id,
            ordered_date as affected_date
        from orders
    ),
{% endif %}

touched_returns as (
    select
        returns.return_id,
        {{ greatest_of(['returns.loaded_in_batch_id', 'coalesce(touched_orders.batch_id, -1)']) }} as batch_id,
        {{ local_date('returns.returned_at') }} as affected_date
    from returns
    left join touched_orders
        on returns.order_id = touched_orders.order_id and touched_orders.kind = 'order'
    where
        returns.loaded_in_batch_id > (select absorbed_batch_id from batches)
        or touched_orders.order_id is not null
        -- A return names its own customer (a guest flag, a region): a new master row of it.
        or returns.customer_id in (
            select customer_id from customers
            where loaded_in_batch_id > (select absorbed_batch_id from batches)
        )
),

{% if is_incremental() %}
    committing_orders as (
        -- Orders whose allocation, shipping or cancelling events or lines are new: the
        -- units they commit change from their first allocation day on.
        select order_id, max(loaded_in_batch_id) as batch_id
        from (
            select order_id, loaded_in_batch_id from order_events
            where
                event_type in ('allocated', 'shipped', 'cancelled')
                and loaded_in_batch_id > (select absorbed_batch_id from batches)
            union all
            select order_id, loaded_in_batch_id from order_lines
            where loaded_in_batch_id > (select absorbed_batch_id from batches)
        ) as new_rows
        group by order_id
    ),

    allocations as (
        -- Every warehouse an order was allocated to (a re-allocation moves its units from
        -- the first to the last), dated by its first allocation.
        select
            order_events.order_id,
            order_events.warehouse_id,
            committing_orders.batch_id,
            min({{ local_date('order_events.event_at') }}) over (
                partition by order_events.order_id
            ) as allocated_date
        from order_events
        inner join committing_orders on order_events.order_id = committing_orders.order_id
        where order_events.event_type = 'allocated'
    ),

    stock_changes as (
        -- (warehouse, sku, first local day changed, batch) of the new rows.
        select
            warehouse_id,
            sku,
            {{ local_date('moved_at') }} as affected_date,
            loaded_in_batch_id as batch_id
        from stock_movements
        where loaded_in_batch_id > (select absorbed_batch_id from batches)
        union all
        -- A count sets its day's stock and the book of the next count.
        select
            warehouse_id,
            sku,
            {{ local_date('counted_at') }} as affected_date,
            loaded_in_batch_id as batch_id
        from stock_counts
        where loaded_in_batch_id > (select absorbed_batch_id from batches)
        union all
        -- A purchase order line is on order from its order's date and received on a later
        -- one: a new or changed version changes its pair from the earliest of its dates
        -- (those of the version it replaced are gone with it).
        select
            purchase_orders.warehouse_id,
            purchase_order_lines.sku,
            {{ least_of([
                'purchase_orders.ordered_date',
                'purchase_orders.expected_date',
                'purchase_order_lines.expected_date',
                'purchase_order_lines.received_date',
            ]) }} as affected_date,
            {{ greatest_of([
                'purchase_orders.loaded_in_batch_id',
                'purchase_order_lines.loaded_in_batch_id',
            ]) }} as batch_id
        from purchase_order_lines
        inner join purchase_orders on purchase_order_lines.po_id = purchase_orders.po_id
        where
            purchase_orders.loaded_in_batch_id > (select absorbed_batch_id from batches)
            or purchase_order_lines.loaded_in_batch_id > (select absorbed_batch_id from batches)
        union all
        select
            allocations.warehouse_id,
            order_lines.sku,
            allocations.allocated_date,
            allocations.batch_id
        from allocations
        inner join order_lines on allocations.order_id = order_lines.order_id
        where allocations.warehouse_id is not null
        union all
        -- A product's new version values (cost) and labels (category) its stock: every day
        -- of its pairs, from their first movement.
        select
            stock_movements.warehouse_id,
            stock_movements.sku,
            min({{ local_date('stock_movements.moved_at') }}) as affected_date,
            products.loaded_in_batch_id as batch_id
        from products
        inner join stock_movements on products.sku = stock_movements.sku
        where products.loaded_in_batch_id > (select absorbed_batch_id from batches)
        group by stock_movements.warehouse_id, stock_movements.sku, products.loaded_in_batch_id
    ),
{% else %}
    stock_changes as (
        -- A first build lists every pair that has stock, from its first movement or count
        -- (the 'all' row below re-derives everything).
        select
            warehouse_id,
            sku,
            {{ local_date('min(moved_at)') }} as affected_date,
            max(loaded_in_batch_id) as batch_id
        from stock_movements
        group by warehouse_id, sku
        union all
        select
            warehouse_id,
            sku,
            {{ local_date('min(counted_at)') }} as affected_date,
            max(loaded_in_batch_id) as batch_id
        from stock_counts
        group by warehouse_id, sku
    ),
{% endif %}

stock_clock as (
    -- The stock clock (the latest movement day) ends every pair's positions: a batch that
    -- moves it on adds the days after the clock it had absorbed.
    select
        max(
            case
                when loaded_in_batch_id <= (select absorbed_batch_id from batches) then moved_at
            end
        ) as absorbed_clock_at,
        max(moved_at) as clock_at,
        max(loaded_in_batch_id) as batch_id
    from stock_movements
),

touched_stock as (
    select
        warehouse_id || '|' || sku as entity_key,
        max(batch_id) as batch_id,
        min(affected_date) as affected_date
    from stock_changes
    group by warehouse_id, sku
    union all
    select
        'stock clock' as entity_key,
        batch_id,
        {{ add_days(local_date('absorbed_clock_at'), 1) }} as affected_date
    from stock_clock
    where {{ local_date('clock_at') }} > {{ local_date('absorbed_clock_at') }}
),

everything as (
    -- A batch that superseded another removed rows whose dates are gone with them.
    select
        'superseded batch ' || cast(batch_id as {{ dbt.type_string() }}) as entity_key,
        superseded_by as batch_id
    from ingest_batches
    where superseded_by > (select absorbed_batch_id from batches)
    {% if not is_incremental() %}
        -- A first build: models that kept their tables while this list was rebuilt take
        -- everything once.
        union all
        select 'rebuilt list' as entity_key, coalesce(max(batch_id), -1) as batch_id
        from ingest_batches
    {% endif %}
),

changes as (
    select kind as entity, order_id as entity_key, batch_id, affected_date
    from touched_orders
    union all
    select 'return' as entity, return_id as entity_key, batch_id, affected_date
    from touched_returns
    union all
    select 'stock' as entity, entity_key, batch_id, affected_date
    from touched_stock
    union all
    select 'all' as entity, entity_key, batch_id, {{ first_day }} as affected_date
    from everything
),

{% if is_incremental() %}
    earlier as (
        -- The dates an order or return had before: a correction re-derives its old day too.
        select
            changed.entity,
            changed.entity_key,
            min(listed.first_affected_date) as affected_date
        from {{ this }} as listed
        inner join (select distinct entity, entity_key from changes) as changed
            on
                listed.entity_key = changed.entity_key
                and (listed.entity = 'return') = (changed.entity = 'return')
        where listed.entity in ('order', 'fulfilment', 'return')
        group by changed.entity, changed.entity_key
    ),
{% endif %}

final as (
    select
        cast(changes.batch_id as bigint) as batch_id,
        changes.entity,
        changes.entity_key,
        {% if is_incremental() %}
            cast({{ least_of(['changes.affected_date', 'coalesce(earlier.affected_date, changes.affected_date)']) }} as date)
        {% else %}
            cast(changes.affected_date as date)
        {% endif %}
            as first_affected_date,
        -- The zone its dates are in: a build in another zone must be a full one (OrderLens
        -- runs one; by hand, dbt build --full-refresh).
        '{{ business_timezone() }}' as business_timezone
    from changes
    {% if is_incremental() %}
        left join earlier
            on changes.entity = earlier.entity and changes.entity_key = earlier.entity_key
    {% endif %}
)

select * from final
order by batch_id
