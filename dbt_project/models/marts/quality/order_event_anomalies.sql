-- One row per order x rule it breaks: two of its status events came in the opposite order
-- of the one the rule expects (the FIRST occurrence of each event type, as in
-- int_order_events_pivoted; received falls back to the order's ordered_at there).
-- hours_out_of_order is how long before the expected-first event the expected-second one
-- happened. stage_left_out names the stage of order_stage_durations that gets no row for
-- the order because of it (its end precedes its start), null when the rule bounds no stage
-- of the order's path. Events at the same instant are not out of order.
-- Built as a full table: one pass over one row per order costs little, and a rebuild can
-- never leave the row of an order whose events were corrected since.
{#- (code, expected first event, expected second event): the order's lifecycle from
    int_order_events_pivoted and the stages of order_stage_durations, plus payment and
    cancellation. -#}
{%- set rules = [
    ('confirmed_before_received', 'received', 'confirmed'),
    ('approved_before_confirmed', 'confirmed', 'approved'),
    ('allocated_before_confirmed', 'confirmed', 'allocated'),
    ('allocated_before_approved', 'approved', 'allocated'),
    ('picked_before_allocated', 'allocated', 'picked'),
    ('packed_before_picked', 'picked', 'packed'),
    ('shipped_before_packed', 'packed', 'shipped'),
    ('shipped_before_allocated', 'allocated', 'shipped'),
    ('shipped_before_approved', 'approved', 'shipped'),
    ('delivered_before_shipped', 'shipped', 'delivered'),
    ('delivered_before_received', 'received', 'delivered'),
    ('returned_before_delivered', 'delivered', 'returned'),
    ('paid_after_delivered', 'paid', 'delivered'),
    ('shipped_after_cancelled', 'shipped', 'cancelled'),
    ('delivered_after_cancelled', 'delivered', 'cancelled'),
] %}
with pivoted as (
    select * from {{ ref('int_order_events_pivoted') }}
),

orders as (
    select * from {{ ref('stg_orders') }}
),

timelines as (
    select
        pivoted.*,
        -- Cash on delivery and invoices are paid after delivery by design.
        coalesce(orders.payment_method in ('cash_on_delivery', 'invoice'), false)
            as is_paid_after_delivery
    from pivoted
    left join orders
        on pivoted.order_id = orders.order_id
),

broken_rules as (
    {% for code, first_event, second_event in rules %}
        select
            order_id,
            '{{ code }}' as rule_code,
            '{{ first_event }}' as expected_first_event,
            {{ first_event }}_at as expected_first_at,
            '{{ second_event }}' as expected_second_event,
            {{ second_event }}_at as expected_second_at,
            needs_approval,
            ordered_date,
            channel,
            warehouse_id
        from timelines
        where
            {{ second_event }}_at < {{ first_event }}_at
            {%- if code == 'paid_after_delivered' %}
                and not is_paid_after_delivery
            {%- endif %}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
),

final as (
    select
        order_id,
        rule_code,
        expected_first_event,
        expected_first_at,
        expected_second_event,
        expected_second_at,
        {{ hours_between('expected_second_at', 'expected_first_at') }} as hours_out_of_order,
        case
            when rule_code = 'confirmed_before_received' then 'received_to_confirmed'
            when rule_code = 'approved_before_confirmed' and needs_approval
                then 'confirmed_to_approved'
            when rule_code = 'allocated_before_approved' and needs_approval
                then 'approved_to_allocated'
            when rule_code = 'allocated_before_confirmed' and not needs_approval
                then 'approved_to_allocated'
            when rule_code = 'shipped_before_allocated' then 'allocated_to_shipped'
            when rule_code = 'delivered_before_shipped' then 'shipped_to_delivered'
            when rule_code = 'delivered_before_received' then 'order_cycle'
        end as stage_left_out,
        ordered_date,
        channel,
        warehouse_id
    from broken_rules
)

select * from final
