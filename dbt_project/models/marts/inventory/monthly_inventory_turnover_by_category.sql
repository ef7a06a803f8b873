-- One row per month x product category x warehouse: the turnover of the category's
-- stock as a whole. The average inventory value is the mean of the category's DAILY
-- total value (not the sum of SKU averages, which would over-weight SKUs stocked only
-- part of the month).
with positions as (
    select * from {{ ref('daily_stock_positions') }}
),

category_days as (
    select
        position_date,
        cast({{ dbt.date_trunc('month', 'position_date') }} as date) as month_start,
        category,
        warehouse_id,
        sum(units_sold) as units_sold,
        sum(units_sold * unit_cost) as cogs,
        sum(value_at_cost) as value_at_cost,
        sum(case when is_stockout then 1 else 0 end) as stockout_sku_days
    from positions
    group by position_date, category, warehouse_id
),

monthly as (
    select
        month_start,
        category,
        warehouse_id,
        count(*) as days_observed,
        sum(units_sold) as units_sold,
        sum(cogs) as cogs,
        {{ mean_of('value_at_cost', scale=2) }} as average_inventory_value,
        {{ divide_rounded('sum(value_at_cost)', 'count(value_at_cost)') }} as average_inventory_value_cents,
        sum(stockout_sku_days) as stockout_sku_days
    from category_days
    group by month_start, category, warehouse_id
),

final as (
    select
        month_start,
        category,
        warehouse_id,
        cast(days_observed as bigint) as days_observed,
        cast(units_sold as bigint) as units_sold,
        cast(cogs as decimal(18, 2)) as cogs,
        cast(average_inventory_value_cents as decimal(18, 2)) as average_inventory_value,
        {{ inventory_turnover('cogs', 'average_inventory_value') }} as turnover,
        {{ days_of_inventory('days_observed', 'cogs', 'average_inventory_value') }}
            as days_of_inventory,
        cast(stockout_sku_days as bigint) as stockout_sku_days
    from monthly
)

select * from final
