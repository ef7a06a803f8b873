"""Data quality page: the ingest ledger, the quarantine with reasons, orders whose events are
out of order, freshness of every mart.

The ledger and quarantine are operational records, not sales: global filters do not apply.
Rows a mapping excluded on purpose are a fate of their own (the ledger's `rows_excluded`),
not a quarantine: the figures by reason leave them out; the list shows them with their status.
"""

# ruff: noqa: S608 - statements are composed only of this package's constant fragments
# (allow-listed identifiers); every value a user chooses is a bound $parameter.

from __future__ import annotations

import polars as pl

from dashboards.lib.serving import Section, Serving, run, tables

LEDGER_SQL = """
    select batch_id, source, status, started_at, finished_at, rows_in, rows_loaded,
        rows_quarantined, rows_duplicate, rows_excluded, rows_released, message
    from ops.ingest_batches
    order by batch_id desc
    limit 500
"""

REASONS_SQL = """
    select table_name, reason_code, status, count(*) as rows
    from ops.quarantine
    where status != 'excluded'
    group by all
    order by rows desc, table_name, reason_code
"""

QUARANTINE_SQL = """
    select quarantine_id, batch_id, source, source_row, table_name, field, reason_code, reason,
        status
    from ops.quarantine
    order by quarantine_id desc
    limit 500
"""

ANOMALY_RULES_SQL = """
    select rule_code, count(*) as orders
    from marts.order_event_anomalies
    group by all
    order by orders desc, rule_code
"""

# The newest examples: the orders a user is most likely still able to check at the source.
ANOMALY_EXAMPLES_SQL = """
    select ordered_date, order_id, rule_code, expected_first_event, expected_first_at,
        expected_second_event, expected_second_at, hours_out_of_order, stage_left_out
    from marts.order_event_anomalies
    order by ordered_date desc, order_id, rule_code
    limit 200
"""

# Allow-list: each mart and the column that says how far its data reaches.
MART_CLOCKS: dict[str, str] = {
    "marts.daily_sales": "sales_date",
    "marts.daily_category_sales": "sales_date",
    "marts.sales_periods": "period_start",
    "marts.product_sales": "last_sale_date",
    "marts.customer_summary": "last_order_date",
    "marts.customer_rfm": "as_of_date",
    "marts.customer_segment_monthly": "month_end",
    "marts.customer_segment_migrations": "month_end",
    "marts.customer_cohorts": "cohort_month",
    "marts.daily_stock_positions": "position_date",
    "marts.monthly_inventory_turnover": "month_start",
    "marts.stock_ageing": "as_of_date",
    "marts.inventory_alerts": "as_of_date",
    "marts.monthly_inventory_turnover_by_category": "month_start",
    "marts.order_stage_durations": "started_at",
    "marts.stage_performance_weekly": "week_start",
    "marts.bottleneck_stages": "week_start",
    "marts.order_fulfilment": "ordered_date",
    "marts.fulfilment_rates_weekly": "week_start",
    "marts.orders_at_risk": "as_of_at",
    "marts.carrier_scorecard": "month_start",
    "marts.service_ticket_resolution": "week_start",
    "marts.order_event_anomalies": "ordered_date",
}


def freshness_sql(present: frozenset[str], columns: dict[str, frozenset[str]]) -> str | None:
    """One UNION ALL over the marts that exist (identifiers only from MART_CLOCKS)."""
    parts = []
    for table, column in MART_CLOCKS.items():
        if table not in present:
            continue
        clock = (
            f"cast(max({column}) as date)"
            if column in columns.get(table, frozenset())
            else ("cast(null as date)")
        )
        parts.append(f"select '{table}' as mart, count(*) as rows, {clock} as latest from {table}")
    return "\nunion all\n".join(parts) or None


_COLUMNS_SQL = """
    select table_schema || '.' || table_name as name, column_name
    from information_schema.columns
    where table_schema = 'marts'
"""


def freshness(srv: Serving) -> Section:
    present = tables(str(srv.path), srv.version)
    found = run(srv, _COLUMNS_SQL, {}, ())
    columns: dict[str, frozenset[str]] = {}
    if isinstance(found, pl.DataFrame):
        for name, column in found.iter_rows():
            columns[name] = columns.get(name, frozenset()) | {column}
    sql = freshness_sql(present, columns)
    return run(srv, sql or "select null as mart where false", {}, ())


def page_data(srv: Serving) -> dict[str, Section]:
    """Everything the data quality page shows."""
    return {
        "ledger": run(srv, LEDGER_SQL, {}, ("ops.ingest_batches",)),
        "reasons": run(srv, REASONS_SQL, {}, ("ops.quarantine",)),
        "quarantine": run(srv, QUARANTINE_SQL, {}, ("ops.quarantine",)),
        "anomaly_rules": run(srv, ANOMALY_RULES_SQL, {}, ("marts.order_event_anomalies",)),
        "anomalies": run(srv, ANOMALY_EXAMPLES_SQL, {}, ("marts.order_event_anomalies",)),
        "freshness": freshness(srv),
    }
