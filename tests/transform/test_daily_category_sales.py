"""daily_category_sales on the fixture business: daily_sales summed per category, day by day.

Categories (tests/fixtures/business/products.csv): kitchen = SKU-A, SKU-B; gadgets = SKU-C,
SKU-D. The business and its order events are those of test_sales_marts (O5 cancelled).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.fixtures.warehouse import run_dbt
from tests.transform.test_sales_marts import build_business_warehouse

MEASURES = (
    "units",
    "gross_revenue",
    "discount_amount",
    "net_revenue",
    "returned_units",
    "refund_amount",
    "net_revenue_after_returns",
    "cost_of_goods",
    "gross_margin",
)
# Per day, every measure of daily_sales against daily_category_sales; a day missing on
# either side shows up with nulls there.
DAY_TOTALS_SQL = f"""
    with skus as (
        select sales_date, {", ".join(f"sum({m}) as {m}" for m in MEASURES)}
        from marts.daily_sales group by sales_date
    ),
    categories as (
        select sales_date, {", ".join(f"sum({m}) as {m}" for m in MEASURES)}
        from marts.daily_category_sales group by sales_date
    )
    select coalesce(skus.sales_date, categories.sales_date) as sales_date,
        {", ".join(f"skus.{m}, categories.{m} as category_{m}" for m in MEASURES)}
    from skus full outer join categories on skus.sales_date = categories.sales_date
    order by 1
"""  # noqa: S608 - column names from the constant above


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield build_business_warehouse(tmp_path_factory.mktemp("category_sales"))


def query(warehouse: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def assert_days_match(warehouse: Path) -> list[date]:
    """Every day has the same totals in both marts; returns the days compared."""
    rows = query(warehouse, DAY_TOTALS_SQL)
    for row in rows:
        day, values = row[0], row[1:]
        assert values[0::2] == values[1::2], day  # daily_sales vs daily_category_sales
    return [row[0] for row in rows]


def test_daily_category_sales_totals_per_day_equal_daily_sales(warehouse: Path) -> None:
    days = assert_days_match(warehouse)
    # 9 counted order days (O5 cancelled) plus the return days 01-15, 02-05 and 03-12.
    assert len(days) == 12


def test_daily_category_sales_sums_the_skus_of_a_category(warehouse: Path) -> None:
    rows = query(
        warehouse,
        "select category, warehouse_id, channel, ship_to_region, units, net_revenue, "
        "cost_of_goods, gross_margin from marts.daily_category_sales "
        "where sales_date = '2026-01-05'",
    )
    # O1: SKU-A 2 x 25 and SKU-B 1 x 100, both kitchen: one row; cost 20 + 40.
    assert rows == [
        ("kitchen", "WH-E", "web", "Shanghai", 3, Decimal("150"), Decimal("60"), Decimal("90"))
    ]


def test_daily_category_sales_keeps_the_return_without_an_order(warehouse: Path) -> None:
    # R3 has no order: its category is known from the SKU, the rest is unknown.
    assert query(
        warehouse,
        "select category, warehouse_id, channel, ship_to_region, units, refund_amount "
        "from marts.daily_category_sales where sales_date = '2026-01-15'",
    ) == [("kitchen", None, None, None, 0, Decimal("25.00"))]


def test_daily_category_sales_incremental_run_stays_equal_to_daily_sales(
    warehouse: Path, tmp_path: Path
) -> None:
    """A new day and a later batch's correction of an old day enter both marts."""
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(warehouse, copy)
    with duckdb.connect(str(copy)) as con:
        con.execute(
            "insert into raw.orders (order_id, customer_id, channel, ordered_at, currency, "
            "order_discount, shipping_fee, needs_approval, _batch_id) values "
            "('O11', 'C5', 'web', '2026-03-11 09:00:00', 'CNY', 0, 0, false, 1)"
        )
        con.execute(
            "insert into raw.order_lines (order_id, line_number, sku, quantity, unit_price, "
            "discount_amount, _batch_id) values ('O11', 1, 'SKU-C', 3, 30.00, 0.00, 1)"
        )
        # O1 (01-05) corrected by the same batch: 9 units of SKU-A instead of 2.
        con.execute(
            "update raw.order_lines set quantity = 9, _batch_id = 1 "
            "where order_id = 'O1' and sku = 'SKU-A'"
        )
    result = run_dbt(
        copy,
        tmp_path,
        "run",
        "--select",
        "+daily_category_sales",
    )
    assert result.returncode == 0, result.stdout[-4000:]
    assert query(
        copy,
        "select sales_date, category, units, net_revenue from marts.daily_category_sales "
        "where sales_date in ('2026-01-05', '2026-03-11') order by sales_date",
    ) == [
        # O1 corrected: 9 x 25 of SKU-A + 1 x 100 of SKU-B
        (date(2026, 1, 5), "kitchen", 10, Decimal("325")),
        # O11: 3 x 30
        (date(2026, 3, 11), "gadgets", 3, Decimal("90")),
    ]
    assert len(assert_days_match(copy)) == 13
