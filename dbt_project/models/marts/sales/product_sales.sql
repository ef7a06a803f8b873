-- One row per SKU of the catalogue (SKUs never sold included, with zero sales).
with daily_sales as {{ not_materialized() }} (
    select * from {{ ref('daily_sales') }}
),

products as (
    select * from {{ ref('stg_products') }}
),

clock as (
    select {{ data_clock_date() }} as clock_date
),

per_sku as (
    select
        sku,
        sum(units) as units,
        sum(net_revenue) as net_revenue,
        sum(gross_margin) as gross_margin,
        min(case when units > 0 then sales_date end) as first_sale_date,
        max(case when units > 0 then sales_date end) as last_sale_date
    from daily_sales
    group by sku
),

recent as (
    -- The last 28 days of the data clock, the clock day included.
    select
        daily_sales.sku,
        sum(daily_sales.units) as units_last_28_days
    from daily_sales
    cross join clock
    where daily_sales.sales_date > cast({{ dbt.dateadd('day', -28, 'clock.clock_date') }} as date)
    group by daily_sales.sku
),

catalogue as (
    select
        products.sku,
        coalesce(per_sku.units, 0) as units,
        coalesce(per_sku.net_revenue, 0) as net_revenue,
        coalesce(per_sku.gross_margin, 0) as gross_margin,
        per_sku.first_sale_date,
        per_sku.last_sale_date,
        coalesce(recent.units_last_28_days, 0) as units_last_28_days
    from products
    left join per_sku
        on products.sku = per_sku.sku
    left join recent
        on products.sku = recent.sku
),

ranked as (
    select
        *,
        row_number() over (order by net_revenue desc, sku asc) as revenue_rank,
        sum(net_revenue) over () as total_net_revenue,
        sum(net_revenue) over (
            order by net_revenue desc, sku asc
            rows between unbounded preceding and current row
        ) as cumulative_net_revenue,
        sum(case when units_last_28_days > 0 then 1 else 0 end) over () as recent_selling_skus,
        case
            when units_last_28_days > 0
                then row_number() over (
                    order by
                        case when units_last_28_days > 0 then 0 else 1 end,
                        units_last_28_days desc,
                        sku asc
                )
        end as recent_rank_from_top,
        case
            when units_last_28_days > 0
                then row_number() over (
                    order by
                        case when units_last_28_days > 0 then 0 else 1 end,
                        units_last_28_days asc,
                        sku desc
                )
        end as recent_rank_from_bottom
    from catalogue
),

classified as (
    select
        *,
        case
            when total_net_revenue > 0
                then cast(cumulative_net_revenue as double) / cast(total_net_revenue as double)
        end as cumulative_revenue_share,
        -- Share of revenue held by the SKUs ranked above this one: a SKU is A when that is
        -- under 80 % (so the SKU that crosses 80 % is A), B when under 95 %, else C.
        case
            when total_net_revenue > 0
                then
                    cast(cumulative_net_revenue - net_revenue as double)
                    / cast(total_net_revenue as double)
        end as preceding_revenue_share
    from ranked
),

final as (
    select
        sku,
        cast(units as bigint) as units,
        cast(net_revenue as decimal(18, 2)) as net_revenue,
        cast(gross_margin as decimal(18, 2)) as gross_margin,
        first_sale_date,
        last_sale_date,
        cast(revenue_rank as bigint) as revenue_rank,
        cast(cumulative_net_revenue as decimal(18, 2)) as cumulative_net_revenue,
        cast(total_net_revenue as decimal(18, 2)) as total_net_revenue,
        cumulative_revenue_share,
        case
            when net_revenue <= 0 or preceding_revenue_share is null then 'C'
            when preceding_revenue_share < 0.80 then 'A'
            when preceding_revenue_share < 0.95 then 'B'
            else 'C'
        end as abc_class,
        cast(units_last_28_days as bigint) as units_last_28_days,
        -- Top and slow are the first and last fifth (rounded up) of the SKUs that sold in
        -- the last 28 days, by units; a SKU in both (few sellers) counts as top.
        case
            when units_last_28_days = 0 then 'no_sales'
            when recent_rank_from_top <= ceil(recent_selling_skus * 0.2) then 'top'
            when recent_rank_from_bottom <= ceil(recent_selling_skus * 0.2) then 'slow'
            else 'regular'
        end as mover_class
    from classified
)

select * from final
