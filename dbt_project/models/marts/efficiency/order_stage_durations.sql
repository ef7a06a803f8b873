{{ config(
    materialized='incremental',
    window={'partition': 'ordered_date', 'grain': 'month', 'changes': ['order', 'fulfilment']},
) }}
-- One row per order per stage. Stages run between the FIRST occurrence of two status
-- events (int_order_events_pivoted):
--   received_to_confirmed, confirmed_to_approved (only orders needing approval),
--   approved_to_allocated (from confirmed when no approval is needed),
--   allocated_to_shipped, shipped_to_delivered, and order_cycle (received to delivered).
-- A stage is `completed` when both ends exist (in order); `in_progress` when it is the
-- stage the order sits in now (its start is the latest milestone reached, no delivery);
-- `cancelled` when the order was cancelled while in it. A stage whose start or end is
-- missing while later milestones exist (a gap in the source) gets no row.
-- Incremental: a run re-derives the order months holding changed orders (int_changes).
with orders as (
    select * from {{ ref('int_order_events_pivoted') }}
    where {{ in_window('ordered_date') }}
),

milestones as {{ not_materialized() }} (
    select
        *,
        case
            when delivered_at is not null then 6
            when shipped_at is not null then 5
            when allocated_at is not null then 4
            when needs_approval and approved_at is not null then 3
            when confirmed_at is not null then 2
            else 1
        end as last_milestone
    from orders
),

stages as (
    select
        *,
        'received_to_confirmed' as stage,
        1 as stage_number,
        received_at as started_at,
        confirmed_at as ended_at,
        1 as start_milestone
    from milestones
    union all
    select
        *,
        'confirmed_to_approved' as stage,
        2 as stage_number,
        confirmed_at as started_at,
        approved_at as ended_at,
        2 as start_milestone
    from milestones
    where needs_approval
    union all
    select
        *,
        'approved_to_allocated' as stage,
        3 as stage_number,
        case when needs_approval then approved_at else confirmed_at end as started_at,
        allocated_at as ended_at,
        case when needs_approval then 3 else 2 end as start_milestone
    from milestones
    union all
    select
        *,
        'allocated_to_shipped' as stage,
        4 as stage_number,
        allocated_at as started_at,
        shipped_at as ended_at,
        4 as start_milestone
    from milestones
    union all
    select
        *,
        'shipped_to_delivered' as stage,
        5 as stage_number,
        shipped_at as started_at,
        delivered_at as ended_at,
        5 as start_milestone
    from milestones
    union all
    select
        *,
        'order_cycle' as stage,
        6 as stage_number,
        received_at as started_at,
        delivered_at as ended_at,
        -- The whole cycle is open for as long as the order is not delivered.
        last_milestone as start_milestone
    from milestones
),

kept as (
    select *
    from stages
    where
        (started_at is not null and ended_at is not null and ended_at >= started_at)
        or (
            started_at is not null
            and ended_at is null
            and delivered_at is null
            and start_milestone = last_milestone
        )
),

final as (
    select
        order_id,
        stage,
        cast(stage_number as bigint) as stage_number,
        started_at,
        ended_at,
        case
            when ended_at is not null then {{ hours_between('started_at', 'ended_at') }}
        end as duration_hours,
        case
            when ended_at is not null then 'completed'
            when cancelled_at is not null then 'cancelled'
            else 'in_progress'
        end as stage_status,
        warehouse_id,
        channel,
        carrier,
        ordered_date,
        needs_approval,
        cancelled_at
    from kept
)

select
    *,
    {{ absorbed_batch() }} as absorbed_batch_id
from final
