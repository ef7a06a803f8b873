{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['period_type', 'period_start'],
    on_schema_change='fail',
) }}
-- One row per period type ('week', 'month') x period start x channel, plus one 'all'
-- channel row per period. Weeks start on Monday. Growth compares with the previous period
-- and with the same period a year before (52 weeks before for weeks, 12 months for months).
-- Incremental: a run re-derives the months from rebuild_from_month() on and the weeks from
-- the week holding that month's first day; older periods are read back as comparison bases.
with window_start as (
    select
        first_month,
        cast({{ dbt.date_trunc('week', 'first_month') }} as date) as first_week
    from (
        select
            {% if is_incremental() -%}
                {{ rebuild_from_month() }}
            {%- else -%}
                date '0001-01-01'
            {%- endif %} as first_month
    ) as months
),

orders as not materialized (
    select * from {{ ref('int_orders_priced') }}
    where ordered_date >= (select first_week from window_start)
),

orders_in_periods as (
    select
        'week' as period_type,
        cast({{ dbt.date_trunc('week', 'ordered_date') }} as date) as period_start,
        order_id,
        customer_id,
        channel,
        units,
        net_revenue
    from orders
    union all
    select
        'month' as period_type,
        cast({{ dbt.date_trunc('month', 'ordered_date') }} as date) as period_start,
        order_id,
        customer_id,
        channel,
        units,
        net_revenue
    from orders
),

by_channel as (
    select
        period_type,
        period_start,
        channel,
        count(distinct order_id) as orders,
        count(distinct customer_id) as customers,
        sum(units) as units,
        sum(net_revenue) as net_revenue
    from orders_in_periods
    group by period_type, period_start, channel
),

all_channels as (
    select
        period_type,
        period_start,
        'all' as channel,
        count(distinct order_id) as orders,
        count(distinct customer_id) as customers,
        sum(units) as units,
        sum(net_revenue) as net_revenue
    from orders_in_periods
    group by period_type, period_start
),

periods as (
    -- Only whole periods: a month is re-derived from its first day on.
    select grouped.*
    from (
        select * from by_channel
        union all
        select * from all_channels
    ) as grouped
    cross join window_start
    where grouped.period_type = 'week' or grouped.period_start >= window_start.first_month
),

comparable as (
    -- The periods' comparison bases: those re-derived now and those built before.
    select
        period_type,
        period_start,
        channel,
        orders,
        net_revenue
    from periods
    {% if is_incremental() -%}
        union all
        select
            built.period_type,
            built.period_start,
            built.channel,
            built.orders,
            built.net_revenue
        from {{ this }} as built
        cross join window_start
        where
            built.period_start
            < case
                when built.period_type = 'week' then window_start.first_week
                else window_start.first_month
            end
    {%- endif %}
),

with_bases as (
    select
        periods.*,
        case
            when periods.period_type = 'week'
                then cast({{ dbt.dateadd('week', -1, 'periods.period_start') }} as date)
            else cast({{ dbt.dateadd('month', -1, 'periods.period_start') }} as date)
        end as previous_period_start,
        case
            when periods.period_type = 'week'
                then cast({{ dbt.dateadd('week', -52, 'periods.period_start') }} as date)
            else cast({{ dbt.dateadd('month', -12, 'periods.period_start') }} as date)
        end as year_ago_period_start
    from periods
),

final as (
    select
        current_period.period_type,
        current_period.period_start,
        current_period.channel,
        cast(current_period.orders as bigint) as orders,
        cast(current_period.customers as bigint) as customers,
        cast(current_period.units as bigint) as units,
        cast(current_period.net_revenue as decimal(18, 2)) as net_revenue,
        cast(round(current_period.net_revenue / current_period.orders, 2) as decimal(18, 2))
            as average_order_value,
        cast(previous_period.orders as bigint) as previous_orders,
        cast(current_period.orders - previous_period.orders as bigint)
            as orders_change_vs_previous,
        {{ growth_pct('current_period.orders', 'previous_period.orders') }}
            as orders_growth_vs_previous_pct,
        cast(previous_period.net_revenue as decimal(18, 2)) as previous_net_revenue,
        cast(current_period.net_revenue - previous_period.net_revenue as decimal(18, 2))
            as net_revenue_change_vs_previous,
        {{ growth_pct('current_period.net_revenue', 'previous_period.net_revenue') }}
            as net_revenue_growth_vs_previous_pct,
        cast(year_ago.orders as bigint) as year_ago_orders,
        cast(current_period.orders - year_ago.orders as bigint) as orders_change_vs_year_ago,
        {{ growth_pct('current_period.orders', 'year_ago.orders') }}
            as orders_growth_vs_year_ago_pct,
        cast(year_ago.net_revenue as decimal(18, 2)) as year_ago_net_revenue,
        cast(current_period.net_revenue - year_ago.net_revenue as decimal(18, 2))
            as net_revenue_change_vs_year_ago,
        {{ growth_pct('current_period.net_revenue', 'year_ago.net_revenue') }}
            as net_revenue_growth_vs_year_ago_pct
    from with_bases as current_period
    left join comparable as previous_period
        on
            current_period.period_type = previous_period.period_type
            and current_period.channel = previous_period.channel
            and current_period.previous_period_start = previous_period.period_start
    left join comparable as year_ago
        on
            current_period.period_type = year_ago.period_type
            and current_period.channel = year_ago.channel
            and current_period.year_ago_period_start = year_ago.period_start
)

select * from final
