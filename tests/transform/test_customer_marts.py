"""The customer marts on the hand-computed fixture business (see test_sales_marts for the
orders, returns and the cancelled O5), built by a real `dbt build`.

Service tickets: T1 C3 complaint (score 2), T2 C3 inquiry (4), T3 C1 complaint (3),
T4 C2 return request (no score). Counted orders per customer:
  C1 O1 01-05 (150), O3 01-20 (85), O7 02-14 (200); refund R3 25
  C2 O2 01-06 (200), O10 03-10 (300); refund R2 30 (03-12)
  C3 O4 01-25 (600); refund R1 200 (02-05)
  C4 O6 02-10 (100), O9 03-02 (40)
  C5 O8 02-25 (300)
Data clock 2026-03-10.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tests.transform.test_sales_marts import (
    build_business_warehouse,
    query,
    rows_as_built,
    update_with_a_later_correction,
)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield build_business_warehouse(tmp_path_factory.mktemp("customer_marts"))


def test_customer_summary_figures_and_churn_risk(warehouse: Path) -> None:
    rows = query(
        warehouse,
        "select customer_id, first_order_date, last_order_date, orders, units, net_revenue, "
        "average_order_value, returns, refund_amount, lifetime_value, complaints, "
        "average_satisfaction, days_since_last_order, mean_order_gap_days, churn_risk "
        "from marts.customer_summary order by customer_id",
    )
    d, m = date, Decimal
    assert rows == [
        # C1: units 3+3+3; 435 / 3 = 145; 435 - 25; 03-10 - 02-14 = 24 days;
        # gap (02-14 - 01-05) / 2 = 40 / 2 = 20; 24 <= 1.5 x 20 -> low
        ("C1", d(2026, 1, 5), d(2026, 2, 14), 3, 9, m("435"), m("145"), 1, m("25"),
         m("410"), 1, 3.0, 24, 20.0, "low"),
        # C2: O5 cancelled; units 2+10; 500 / 2; 500 - 30; gap 63 days; 0 days -> low
        ("C2", d(2026, 1, 6), d(2026, 3, 10), 2, 12, m("500"), m("250"), 1, m("30"),
         m("470"), 0, None, 0, 63.0, "low"),
        # C3: one order; expected gap = median of repeat customers' gaps (20, 63, 20) = 20;
        # 44 days: 30 < 44 <= 60 -> medium; satisfaction (2 + 4) / 2
        ("C3", d(2026, 1, 25), d(2026, 1, 25), 1, 6, m("600"), m("600"), 1, m("200"),
         m("400"), 1, 3.0, 44, None, "medium"),
        # C4: gap 03-02 - 02-10 = 20; 8 days -> low
        ("C4", d(2026, 2, 10), d(2026, 3, 2), 2, 6, m("140"), m("70"), 0, m("0"),
         m("140"), 0, None, 8, 20.0, "low"),
        # C5: one order, 13 days <= 1.5 x 20 -> low
        ("C5", d(2026, 2, 25), d(2026, 2, 25), 1, 3, m("300"), m("300"), 0, m("0"),
         m("300"), 0, None, 13, None, "low"),
    ]  # fmt: skip


def test_customer_rfm_scores_and_segments_as_of_the_data_clock(warehouse: Path) -> None:
    rows = query(
        warehouse,
        "select customer_id, recency_days, frequency, monetary, r_score, f_score, m_score, "
        "fm_score, segment from marts.customer_rfm order by customer_id",
    )
    # 5 customers: ntile(5) gives one score each in order.
    # R (days desc): C3 44=1, C1 24=2, C5 13=3, C4 8=4, C2 0=5
    # F (asc, by id): C3 1=1, C5 1=2 -> tie 1; C2 2=3, C4 2=4 -> tie 3; C1 3=5
    # M (lifetime value asc): C4 140=1, C5 300=2, C3 400=3, C1 410=4, C2 470=5
    # fm = floor((f + m + 1) / 2): C1 5, C2 4, C3 2, C4 2, C5 2
    assert rows == [
        ("C1", 24, 3, Decimal("410"), 2, 5, 4, 5, "cant_lose"),
        ("C2", 0, 2, Decimal("470"), 5, 3, 5, 4, "champions"),
        ("C3", 44, 1, Decimal("400"), 1, 1, 3, 2, "lost"),
        ("C4", 8, 2, Decimal("140"), 4, 3, 1, 2, "potential_loyalists"),
        ("C5", 13, 1, Decimal("300"), 3, 1, 2, 2, "need_attention"),
    ]


def test_customer_segment_monthly_scores_each_month_end(warehouse: Path) -> None:
    rows = query(
        warehouse,
        "select customer_id, month_end, recency_days, frequency, monetary, segment "
        "from marts.customer_segment_monthly where month_end < '2026-03-01' "
        "order by month_end, customer_id",
    )
    d, m = date, Decimal
    assert rows == [
        # As of 01-31, three customers. R: C2 25=1, C1 11=2, C3 6=3. F: C2 1, C3 1 (tie), C1 3.
        # M: C2 200=1, C1 150+85-25=210 =2, C3 600=3. fm: C1 3, C2 1, C3 2.
        ("C1", d(2026, 1, 31), 11, 2, m("210"), "at_risk"),
        ("C2", d(2026, 1, 31), 25, 1, m("200"), "lost"),
        ("C3", d(2026, 1, 31), 6, 1, m("600"), "need_attention"),
        # As of 02-28. R: C2 53=1, C3 34=2, C4 18=3, C1 14=4, C5 3=5. F: four 1s tie at 1,
        # C1 3=5. M: C4 100=1, C2 200=2, C5 300=3, C3 600-200=400 =4, C1 410=5.
        # fm: C1 5, C2 2, C3 3, C4 1, C5 2.
        ("C1", d(2026, 2, 28), 14, 3, m("410"), "loyal"),
        ("C2", d(2026, 2, 28), 53, 1, m("200"), "lost"),
        ("C3", d(2026, 2, 28), 34, 1, m("400"), "at_risk"),
        ("C4", d(2026, 2, 28), 18, 1, m("100"), "need_attention"),
        ("C5", d(2026, 2, 28), 3, 1, m("300"), "potential_loyalists"),
    ]
    # The clock's month is scored as of the clock (03-10), like customer_rfm.
    assert query(
        warehouse,
        "select count(*) from marts.customer_segment_monthly as monthly "
        "join marts.customer_rfm as rfm using (customer_id) "
        "where monthly.month_end = '2026-03-31' and monthly.segment = rfm.segment "
        "and monthly.as_of_date = '2026-03-10'",
    ) == [(5,)]


def test_customer_segment_migrations_count_moves_between_month_ends(warehouse: Path) -> None:
    rows = query(
        warehouse,
        "select from_segment, to_segment, customers from marts.customer_segment_migrations "
        "where month_end = '2026-02-28' order by from_segment, to_segment",
    )
    assert rows == [
        ("at_risk", "loyal", 1),  # C1
        ("lost", "lost", 1),  # C2
        ("need_attention", "at_risk", 1),  # C3
        ("none", "need_attention", 1),  # C4, first order in February
        ("none", "potential_loyalists", 1),  # C5, first order in February
    ]
    # Every customer counted once per month: 3 in January, 5 in February and March.
    assert query(
        warehouse,
        "select month_end, sum(customers) from marts.customer_segment_migrations "
        "group by month_end order by month_end",
    ) == [(date(2026, 1, 31), 3), (date(2026, 2, 28), 5), (date(2026, 3, 31), 5)]


def test_customer_cohorts_retention_and_repeat_rate(warehouse: Path) -> None:
    rows = query(
        warehouse,
        "select cohort_month, months_since_first, cohort_size, active_customers, "
        "round(retention_rate, 4), round(repeat_purchase_rate, 4) "
        "from marts.customer_cohorts order by cohort_month, months_since_first",
    )
    assert rows == [
        # January cohort C1, C2, C3; repeaters C1 (3 orders), C2 (2): 2 / 3
        (date(2026, 1, 1), 0, 3, 3, 1.0, 0.6667),
        # February: only C1 (O7); C2's O5 was cancelled: 1 / 3
        (date(2026, 1, 1), 1, 3, 1, 0.3333, 0.6667),
        # March: only C2 (O10): 1 / 3
        (date(2026, 1, 1), 2, 3, 1, 0.3333, 0.6667),
        # February cohort C4, C5; repeater C4: 1 / 2
        (date(2026, 2, 1), 0, 2, 2, 1.0, 0.5),
        # March: C4 (O9): 1 / 2
        (date(2026, 2, 1), 1, 2, 1, 0.5, 0.5),
    ]


def test_churn_ratio_sits_beside_its_expected_gap(warehouse: Path) -> None:
    rows = query(
        warehouse,
        "select customer_id, days_since_last_order, expected_gap_days, churn_ratio "
        "from marts.customer_summary order by customer_id",
    )
    # Own mean gaps C1 20, C2 63, C4 20; one-order C3 and C5: their median, 20.
    assert [(r[0], r[2]) for r in rows] == [
        ("C1", 20.0),
        ("C2", 63.0),
        ("C3", 20.0),
        ("C4", 20.0),
        ("C5", 20.0),
    ]
    for _, days, expected_gap, ratio in rows:
        assert ratio == pytest.approx(days / expected_gap)


def test_monthly_customer_marts_update_re_derives_the_months_from_a_corrected_one_on(
    warehouse: Path, tmp_path: Path
) -> None:
    """A later batch corrects C4's O6 (02-10, net 100 -> 200): the update re-derives the
    months from February on, carrying January's running totals forward, and holds what a
    rebuild holds."""
    models = (
        "int_customers_rfm_monthly",
        "customer_segment_monthly",
        "customer_segment_migrations",
    )
    updated, rebuilt = update_with_a_later_correction(warehouse, tmp_path, *models)
    for table in (
        "intermediate.int_customers_rfm_monthly",
        "marts.customer_segment_monthly",
        "marts.customer_segment_migrations",
    ):
        assert rows_as_built(updated, table) == rows_as_built(rebuilt, table), table
    assert query(
        updated,
        "select distinct month_start from intermediate.int_customers_rfm_monthly "
        "where absorbed_batch_id = "
        "(select max(absorbed_batch_id) from intermediate.int_customers_rfm_monthly) "
        "order by month_start",
    ) == [(date(2026, 2, 1),), (date(2026, 3, 1),)]
    assert query(
        updated,
        "select month_end, monetary from marts.customer_segment_monthly "
        "where customer_id = 'C4' order by month_end",
    ) == [(date(2026, 2, 28), Decimal("200")), (date(2026, 3, 31), Decimal("240"))]
