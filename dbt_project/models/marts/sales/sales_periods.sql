{{ config(
    materialized='incremental',
    window={'partition': 'period_end', 'grain': 'day', 'changes': ['order'], 'onward': true},
) }}
-- One row per period type ('week', 'month') x period start x channel, plus one 'all'
-- channel row per period. Weeks start on Monday. Growth compares with the previous period
-- and with the same period a year before, by the one rule of docs/metrics.md (macros
-- comparison_start and growth_pct): a week with the week 364 days before, a month with
-- the same month a year before.
-- Incremental: a run re-derives every period that ends on or after the first day holding a
-- changed order (the periods holding it, and those that compare with them), reading older
-- periods back as comparison bases. Partitioned by period_end, since a week and a month
-- holding a changed day both start before it but both end on or after it.
with orders as {{ not_materialized() }} (
    select * from {{ ref('int_orders_priced') }}
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
    where {{ in_window(add_days(dbt.date_trunc('week', 'ordered_date'), 6)) }}
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
    where {{ in_window(dbt.last_day('ordered_date', 'month')) }}
),

periods as (
    -- Each order once per period type (order_id is the key of int_orders_priced): count(*)
    -- counts distinct orders. The channel-less grouping is the 'all' row.
    select
        period_type,
        period_start,
        case when grouping(channel) = 1 then 'all' else channel end as channel,
        count(*) as orders,
        count(distinct customer_id) as customers,
        sum(units) as units,
        sum(net_revenue) as net_revenue
    from orders_in_periods
    group by grouping sets ((period_type, period_start, channel), (period_type, period_start))
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
            period_type,
            period_start,
            channel,
            orders,
            net_revenue
        from {{ this }}
        where not ({{ in_window('period_end') }})
    {%- endif %}
),

with_bases as (
    select
        periods.*,
        {{ comparison_start('periods.period_type', 'periods.period_start', 'previous') }}
            as previous_period_start,
        {{ comparison_start('periods.period_type', 'periods.period_start', 'year_ago') }}
            as year_ago_period_start
    from periods
),

final as (
    select
        current_period.period_type,
        current_period.period_start,
        case
            when current_period.period_type = 'week'
                then {{ add_days('current_period.period_start', 6) }}
            else cast({{ dbt.last_day('current_period.period_start', 'month') }} as date)
        end as period_end,
        current_period.channel,
        cast(current_period.orders as bigint) as orders,
        cast(current_period.customers as bigint) as customers,
        cast(current_period.units as bigint) as units,
        cast(current_period.net_revenue as decimal(18, 2)) as net_revenue,
        cast({{ divide_rounded('current_period.net_revenue', 'current_period.orders') }} as decimal(18, 2))
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

select
    *,
    {{ absorbed_batch() }} as absorbed_batch_id
from final
