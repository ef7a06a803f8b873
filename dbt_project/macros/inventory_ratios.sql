{#- Inventory ratios, written once and used by every turnover mart (per SKU and per
    category), so the formulas cannot drift apart. All are null where the denominator is
    zero or missing rather than infinite. -#}

{#- Turnover: cost of goods sold over average inventory value at cost. -#}
{% macro inventory_turnover(cogs, average_inventory_value) -%}
    case
        when {{ average_inventory_value }} > 0
            then cast({{ cogs }} as double)
            / cast({{ average_inventory_value }} as double)
    end
{%- endmacro %}

{#- Days of inventory: days in the period over turnover (= average value / daily COGS). -#}
{% macro days_of_inventory(days, cogs, average_inventory_value) -%}
    case
        when {{ cogs }} > 0 and {{ average_inventory_value }} > 0
            then cast({{ days }} as double)
            * cast({{ average_inventory_value }} as double)
            / cast({{ cogs }} as double)
    end
{%- endmacro %}

{#- Sell-through's denominator: units sold plus the units left at the period's end
    (negative book stock counts as none left). -#}
{% macro sell_through_base(units_sold, ending_on_hand) -%}
    ({{ units_sold }} + greatest({{ ending_on_hand }}, 0))
{%- endmacro %}

{#- Sell-through: units sold over sell_through_base. -#}
{% macro sell_through(units_sold, ending_on_hand) -%}
    case
        when {{ sell_through_base(units_sold, ending_on_hand) }} > 0
            then cast({{ units_sold }} as double)
            / cast({{ sell_through_base(units_sold, ending_on_hand) }} as double)
    end
{%- endmacro %}
