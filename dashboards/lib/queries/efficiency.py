"""Efficiency page: stage durations, bottleneck, work in progress, at-risk orders, OTIF,
carriers and service tickets.

Efficiency marts are weekly by warehouse and channel: those filters and the date range
apply; region and category do not (an order spans several products).
"""

# ruff: noqa: S608 - statements are composed only of this package's constant fragments
# (allow-listed identifiers); every value a user chooses is a bound $parameter.

from __future__ import annotations

from dashboards.lib.filters import Filters
from dashboards.lib.queries.common import in_list
from dashboards.lib.serving import Section, Serving, run

_DIMS = f"{in_list('channels', 'e.channel')} and {in_list('warehouses', 'e.warehouse_id')}"
_WEEKS = "e.week_start between cast(date_trunc('week', $start) as date) and $end"

STAGES_SQL = f"""
    select e.week_start, e.stage,
        cast(sum(e.orders) as bigint) as orders,
        cast(sum(e.p50_duration_hours * e.orders) / nullif(sum(e.orders), 0) as double)
            as p50_hours,
        cast(max(e.p90_duration_hours) as double) as p90_hours,
        cast(sum(e.mean_duration_hours * e.orders) / nullif(sum(e.orders), 0) as double)
            as mean_hours,
        cast(sum(e.orders_in_progress) as bigint) as in_progress
    from marts.stage_performance_weekly as e
    where {_WEEKS} and {_DIMS}
    group by all
    order by e.week_start, min(e.stage_number)
"""

BOTTLENECK_SQL = f"""
    select e.week_start, e.bottleneck_stage as stage, e.mean_duration_hours as mean_hours,
        e.p90_duration_hours as p90_hours, e.mean_duration_share as cycle_share
    from marts.bottleneck_stages as e
    where {_WEEKS}
    order by e.week_start
"""

# Rates over several weeks or groups: summed numerators over summed denominators (the mart
# keeps both beside every rate); an average of rates would weigh a quiet week like a busy one.
FULFILMENT_SQL = f"""
    select e.week_start,
        cast(sum(e.orders) as bigint) as orders,
        cast(sum(e.delivered_orders) as bigint) as delivered_orders,
        cast(sum(e.on_time_orders) / nullif(sum(e.on_time_known_orders), 0) as double)
            as on_time_rate,
        cast(sum(e.in_full_orders) / nullif(sum(e.in_full_known_orders), 0) as double)
            as in_full_rate,
        cast(sum(e.otif_orders) / nullif(sum(e.otif_known_orders), 0) as double) as otif_rate,
        cast(sum(e.perfect_orders) / nullif(sum(e.perfect_known_orders), 0) as double)
            as perfect_order_rate,
        cast(sum(e.units_shipped) / nullif(sum(e.units_ordered), 0) as double) as fill_rate
    from marts.fulfilment_rates_weekly as e
    where {_WEEKS} and {_DIMS}
    group by all
    order by e.week_start
"""

AT_RISK_SQL = f"""
    select e.order_id, e.channel, e.warehouse_id, e.current_stage, e.elapsed_hours,
        e.expected_remaining_hours, e.expected_delivery_at, e.promised_date, e.hours_late,
        e.late_stage
    from marts.orders_at_risk as e
    where {_DIMS}
    order by e.hours_late desc, e.order_id
"""

CARRIERS_SQL = """
    select e.carrier, cast(sum(e.shipments) as bigint) as shipments,
        cast(sum(e.on_time_shipments) / nullif(sum(e.on_time_known_shipments), 0)
            as double) as on_time_rate,
        cast(sum(e.average_delay_days * e.late_shipments)
            / nullif(sum(e.late_shipments) filter (where e.average_delay_days is not null), 0)
            as double) as average_delay_days,
        cast(sum(e.damage_and_loss_complaints) as bigint) as damage_loss
    from marts.carrier_scorecard as e
    where e.month_start between date_trunc('month', $start) and $end
    group by all
    order by shipments desc
"""

TICKETS_SQL = """
    select e.ticket_type, e.topic, cast(sum(e.opened_tickets) as bigint) as opened,
        cast(sum(e.resolved_tickets) as bigint) as resolved,
        cast(max(e.p50_resolution_hours) as double) as p50_hours,
        cast(max(e.p90_resolution_hours) as double) as p90_hours,
        cast(avg(e.average_satisfaction) as double) as satisfaction
    from marts.service_ticket_resolution as e
    where e.week_start between cast(date_trunc('week', $start) as date) and $end
    group by all
    order by opened desc
"""


def page_data(srv: Serving, filters: Filters) -> dict[str, Section]:
    """Everything the efficiency page shows."""
    params = filters.params()
    return {
        "stages": run(srv, STAGES_SQL, params, ("marts.stage_performance_weekly",)),
        "bottleneck": run(srv, BOTTLENECK_SQL, params, ("marts.bottleneck_stages",)),
        "fulfilment": run(srv, FULFILMENT_SQL, params, ("marts.fulfilment_rates_weekly",)),
        "at_risk": run(srv, AT_RISK_SQL, params, ("marts.orders_at_risk",)),
        "carriers": run(srv, CARRIERS_SQL, params, ("marts.carrier_scorecard",)),
        "tickets": run(srv, TICKETS_SQL, params, ("marts.service_ticket_resolution",)),
    }
