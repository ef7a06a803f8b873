"""Customers page and a customer's own page: RFM, migration, cohorts, value, satisfaction.

Customer marts have no channel or warehouse: the region filter applies through the
customer's home region, the date range to cohorts and migrations.
"""

# ruff: noqa: S608 - statements are composed only of this package's constant fragments
# (allow-listed identifiers); every value a user chooses is a bound $parameter.

from __future__ import annotations

from dashboards.lib.filters import Filters
from dashboards.lib.queries.common import in_list
from dashboards.lib.serving import Section, Serving, run

# The customer marts carry the home region: no join with the million-row accounts table.
_REGION = in_list("regions", "region")
LTV_BINS = 20

SEGMENTS_SQL = f"""
    select r.segment, count(*) as customers,
        cast(sum(r.monetary) as double) as monetary,
        avg(r.recency_days) as recency_days, avg(r.frequency) as frequency
    from marts.customer_rfm as r
    where {_REGION}
    group by all
    order by monetary desc
"""

MIGRATIONS_SQL = """
    select from_segment, to_segment, cast(sum(customers) as bigint) as customers
    from marts.customer_segment_migrations
    where month_end between $start and $end and from_segment <> to_segment
    group by all
    order by customers desc
"""

COHORTS_SQL = """
    select cohort_month, months_since_first, cohort_size, active_customers, retention_rate,
        repeat_purchase_rate
    from marts.customer_cohorts
    where cohort_month between date_trunc('month', $start) and $end
    order by cohort_month, months_since_first
"""

# Repeat rate over the cohorts in range, from the mart's own per-cohort counts.
REPEAT_SQL = """
    select cast(sum(repeat_customers) as double) / nullif(sum(cohort_size), 0) as repeat_rate
    from marts.customer_cohorts
    where months_since_first = 0 and cohort_month between date_trunc('month', $start) and $end
"""

SUMMARY_SQL = f"""
    select count(*) filter (where s.orders > 0) as customers,
        cast(sum(s.lifetime_value) as double) as lifetime_value,
        cast(avg(s.lifetime_value) filter (where s.orders > 0) as double) as average_ltv,
        cast(sum(s.complaints) as bigint) as complaints,
        avg(s.average_satisfaction) as satisfaction
    from marts.customer_summary as s
    where {_REGION}
"""

CHURN_SQL = f"""
    select s.churn_risk, count(*) as customers, cast(sum(s.complaints) as bigint) as complaints,
        avg(s.average_satisfaction) as satisfaction
    from marts.customer_summary as s
    where {_REGION} and s.orders > 0
    group by all
    order by s.churn_risk
"""

# Lifetime value in equal-width bins, counted in SQL: a million customers never leave DuckDB.
LTV_SQL = f"""
    with ltv_values as (
        select cast(s.lifetime_value as double) as ltv
        from marts.customer_summary as s
            where {_REGION} and s.orders > 0
    ),
    bounds as (
        select min(ltv) as low, (max(ltv) - min(ltv)) / {LTV_BINS} as width from ltv_values
    ),
    binned as (
        select coalesce(
            least(cast(floor((ltv - low) / nullif(width, 0)) as integer), {LTV_BINS - 1}), 0
        ) as bin, low, width
        from ltv_values, bounds
    )
    select bin, low + bin * width as bin_start, low + (bin + 1) * width as bin_end,
        count(*) as customers
    from binned
    group by bin, low, width
    order by bin
"""

# The 500 most valuable customers first, then their segment: the join touches 500 rows.
TOP_CUSTOMERS_SQL = f"""
    with top as (
        select customer_id, customer_name, region, orders, lifetime_value, last_order_date,
            churn_risk, complaints, average_satisfaction
        from marts.customer_summary
        where {_REGION} and orders > 0
        order by lifetime_value desc, customer_id
        limit 500
    )
    select top.customer_id, top.customer_name, top.region, r.segment, top.orders,
        cast(top.lifetime_value as double) as lifetime_value, top.last_order_date,
        top.churn_risk, top.complaints, top.average_satisfaction
    from top
    left join marts.customer_rfm as r on r.customer_id = top.customer_id
    order by top.lifetime_value desc, top.customer_id
"""

CUSTOMER_SQL = """
    select s.customer_id, s.customer_name, s.region, s.city, s.first_order_date,
        s.last_order_date, s.orders, s.units, cast(s.net_revenue as double) as net_revenue,
        cast(s.average_order_value as double) as average_order_value, s.returns,
        cast(s.refund_amount as double) as refund_amount,
        cast(s.lifetime_value as double) as lifetime_value, s.complaints,
        s.average_satisfaction, s.days_since_last_order, s.churn_risk,
        r.segment, r.r_score, r.f_score, r.m_score
    from marts.customer_summary as s
    left join marts.customer_rfm as r on r.customer_id = s.customer_id
    where s.customer_id = $customer_id
"""

CUSTOMER_HISTORY_SQL = """
    select month_end, segment, recency_days, frequency, cast(monetary as double) as monetary,
        r_score, f_score, m_score
    from marts.customer_segment_monthly
    where customer_id = $customer_id
    order by month_end
"""

_WITH_CUSTOMERS = ("marts.customer_summary",)


def page_data(srv: Serving, filters: Filters) -> dict[str, Section]:
    """Everything the customers page shows."""
    params = filters.params()
    return {
        "summary": run(srv, SUMMARY_SQL, params, _WITH_CUSTOMERS),
        "segments": run(srv, SEGMENTS_SQL, params, ("marts.customer_rfm",)),
        "migrations": run(srv, MIGRATIONS_SQL, params, ("marts.customer_segment_migrations",)),
        "cohorts": run(srv, COHORTS_SQL, params, ("marts.customer_cohorts",)),
        "repeat": run(srv, REPEAT_SQL, params, ("marts.customer_cohorts",)),
        "churn": run(srv, CHURN_SQL, params, _WITH_CUSTOMERS),
        "ltv": run(srv, LTV_SQL, params, _WITH_CUSTOMERS),
        "top": run(srv, TOP_CUSTOMERS_SQL, params, (*_WITH_CUSTOMERS, "marts.customer_rfm")),
    }


def customer_data(srv: Serving, customer_id: str) -> dict[str, Section]:
    """A customer's own page."""
    params = {"customer_id": customer_id}
    return {
        "customer": run(
            srv,
            CUSTOMER_SQL,
            params,
            (*_WITH_CUSTOMERS, "marts.customer_rfm"),
        ),
        "history": run(srv, CUSTOMER_HISTORY_SQL, params, ("marts.customer_segment_monthly",)),
    }
