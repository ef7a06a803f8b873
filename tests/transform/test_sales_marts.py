"""The sales marts on the hand-computed fixture business, built by a real `dbt build`.

The business: tests/fixtures/business (orders O1..O10, returns R1..R3, tickets T1..T4)
plus the order events below, which this module owns so that its figures do not move
when the shared order_events fixture changes: O5 is cancelled, O1 and O10 are allocated
to one warehouse each, O4 is allocated to WH-S and then re-allocated to WH-E.

Counted orders (O5 cancelled), net = gross - line discount - order discount:
  O1 01-05 C1 web     WH-E  A 2x25=50, B 1x100=100          net 150  cost 20+40
  O2 01-06 C2 app     -     B 2x100=200                     net 200  cost 80
  O3 01-20 C1 web     -     C 3x30=90, order discount 5     net 85   cost 45
  O4 01-25 C3 mkt     WH-E  B 6x100=600                     net 600  cost 240
  O6 02-10 C4 phone   -     A 4x25=100                      net 100  cost 40
  O7 02-14 C1 web     -     B 2x100=200, D 1x20 less 20     net 200  cost 80+5
  O8 02-25 C5 email   -     B 3x100=300                     net 300  cost 120
  O9 03-02 C4 store   -     D 2x20=40                       net 40   cost 10
  O10 03-10 C2 app    WH-S  C 10x30=300                     net 300  cost 150
Returns: R1 O4 B 2 units 200.00 on 02-05; R2 O10 C 1 unit 30.00 on 03-12 (customer
from the order: C2); R3 no order, C1, A 1 unit 25.00 on 01-15.
Data clock = latest counted ordered date = 2026-03-10.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.fixtures.business import BUSINESS_DIR, load_business_raw
from tests.fixtures.warehouse import dbt_build_selected, run_dbt

# The base business plus this area's own files; order_events is written below.
FIXTURE_TABLES = [
    "suppliers",
    "customers",
    "warehouses",
    "products",
    "orders",
    "order_lines",
    "returns",
    "service_tickets",
]
ORDER_EVENTS_CSV = """\
order_id,event_type,event_at,warehouse_id,carrier,note
O1,allocated,2026-01-05T03:00:00Z,WH-E,,
O4,allocated,2026-01-25T12:00:00Z,WH-S,,
O4,allocated,2026-01-26T08:00:00Z,WH-E,,moved to the East DC
O5,allocated,2026-02-03T05:00:00Z,WH-S,,
O5,cancelled,2026-02-03T09:00:00Z,,,customer changed mind
O10,allocated,2026-03-10T08:00:00Z,WH-S,,
"""
# Staging for the relationship tests' parents, int_changes (every incremental model's
# window), then every model of the two areas.
SELECTION = ["staging", "int_changes", "int_orders_classified+", "int_order_lines_returned+"]


def build_business_warehouse(work_dir: Path) -> Path:
    """Load the fixture business into a fresh warehouse in work_dir and `dbt build` it."""
    folder = work_dir / "business"
    folder.mkdir()
    for table in FIXTURE_TABLES:
        shutil.copy(BUSINESS_DIR / f"{table}.csv", folder)
    (folder / "order_events.csv").write_text(ORDER_EVENTS_CSV, encoding="utf-8")
    warehouse = work_dir / "warehouse.duckdb"
    load_business_raw(warehouse, folder)
    dbt_build_selected(warehouse, work_dir, *SELECTION)
    return warehouse


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield build_business_warehouse(tmp_path_factory.mktemp("sales_marts"))


def query(warehouse: Path, sql: str, params: list[object] | None = None) -> list[tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def update_with_a_later_correction(warehouse: Path, work: Path, *models: str) -> tuple[Path, Path]:
    """A copy of the warehouse where a later batch corrects O6 (02-10, C4, phone: 8 units
    of SKU-A instead of 4, net 200 instead of 100) and `dbt run` updates `models` and what
    they read; and a copy of that with `models` rebuilt from scratch."""
    updated = work / "updated.duckdb"
    shutil.copy(warehouse, updated)
    with duckdb.connect(str(updated)) as con:
        con.execute("update raw.order_lines set quantity = 8, _batch_id = 1 where order_id = 'O6'")
    result = run_dbt(updated, work / "update", "run", "--select", *(f"+{m}" for m in models))
    assert result.returncode == 0, result.stdout[-4000:]
    rebuilt = work / "rebuilt.duckdb"
    shutil.copy(updated, rebuilt)
    result = run_dbt(rebuilt, work / "rebuild", "run", "--full-refresh", "--select", *models)
    assert result.returncode == 0, result.stdout[-4000:]
    return updated, rebuilt


def rows_as_built(warehouse: Path, table: str) -> list[tuple]:
    """Every row of a table but the batch its build had absorbed, sorted."""
    return query(warehouse, f"select * exclude (absorbed_batch_id) from {table} order by all")  # noqa: S608


def test_daily_sales_totals_exclude_the_cancelled_order(warehouse: Path) -> None:
    totals = query(
        warehouse,
        "select sum(orders), sum(units), sum(gross_revenue), sum(discount_amount), "
        "sum(net_revenue), sum(returned_units), sum(refund_amount), "
        "sum(net_revenue_after_returns), sum(cost_of_goods), sum(gross_margin) "
        "from marts.daily_sales",
    )[0]
    assert totals == (
        # 9 single-SKU order-days plus O1 and O7 on two SKUs each = 11 (O5 cancelled)
        11,
        # 3 + 2 + 3 + 6 + 4 + 3 + 3 + 2 + 10
        36,
        # 150 + 200 + 90 + 600 + 100 + 220 + 300 + 40 + 300
        Decimal("2000.00"),
        # O3 order discount 5 + O7 line discount 20
        Decimal("25.00"),
        # 2000 - 25
        Decimal("1975.00"),
        # R1 2 + R2 1 + R3 1
        4,
        # 200 + 30 + 25
        Decimal("255.00"),
        # 1975 - 255
        Decimal("1720.00"),
        # 60 + 80 + 45 + 240 + 40 + 85 + 120 + 10 + 150
        Decimal("830.00"),
        # 1975 - 830
        Decimal("1145.00"),
    )


def test_daily_sales_row_of_the_order_discount_and_of_the_free_line(warehouse: Path) -> None:
    rows = query(
        warehouse,
        "select sales_date, sku, warehouse_id, channel, gross_revenue, discount_amount, "
        "net_revenue, cost_of_goods, gross_margin from marts.daily_sales "
        "where sales_date in ('2026-01-20', '2026-02-14') order by sales_date, sku",
    )
    assert rows == [
        # O3: 3 x 30 = 90, order discount 5 on its only line; cost 3 x 15 = 45; 85 - 45
        (date(2026, 1, 20), "SKU-C", None, "web", *map(Decimal, ["90", "5", "85", "45", "40"])),
        # O7 SKU-B: 2 x 100, cost 2 x 40
        (date(2026, 2, 14), "SKU-B", None, "web", *map(Decimal, ["200", "0", "200", "80", "120"])),
        # O7 SKU-D: 1 x 20 less a 20 line discount; cost 5; margin 0 - 5
        (date(2026, 2, 14), "SKU-D", None, "web", *map(Decimal, ["20", "20", "0", "5", "-5"])),
    ]


def test_daily_sales_uses_the_latest_allocation_and_dates_returns_by_return(
    warehouse: Path,
) -> None:
    rows = query(
        warehouse,
        "select sales_date, warehouse_id, channel, ship_to_region, orders, units, "
        "returned_units, refund_amount, net_revenue_after_returns "
        "from marts.daily_sales where sku = 'SKU-B' and channel = 'marketplace' "
        "order by sales_date",
    )
    assert rows == [
        # O4: allocated WH-S, then re-allocated WH-E: the latest wins
        (date(2026, 1, 25), "WH-E", "marketplace", "Greater London", 1, 6, 0, Decimal("0"),
         Decimal("600")),
        # R1 on 02-05, attributed to O4's warehouse, channel and region: 0 - 200
        (date(2026, 2, 5), "WH-E", "marketplace", "Greater London", 0, 0, 2, Decimal("200"),
         Decimal("-200")),
    ]  # fmt: skip
    # R3 has no order: a row of its own with unknown warehouse, channel and region.
    assert query(
        warehouse,
        "select sku, warehouse_id, channel, ship_to_region, refund_amount "
        "from marts.daily_sales where sales_date = '2026-01-15'",
    ) == [("SKU-A", None, None, None, Decimal("25.00"))]


def test_daily_sales_has_nothing_of_the_cancelled_order(warehouse: Path) -> None:
    # O5 (02-03, app, SKU-C) was cancelled.
    rows = query(
        warehouse, "select count(*) from marts.daily_sales where sales_date = ?", ["2026-02-03"]
    )
    assert rows == [(0,)]


def test_sales_periods_months_for_all_channels_and_growth(warehouse: Path) -> None:
    rows = query(
        warehouse,
        "select period_start, orders, customers, units, net_revenue, average_order_value, "
        "net_revenue_change_vs_previous, round(net_revenue_growth_vs_previous_pct, 4), "
        "year_ago_net_revenue from marts.sales_periods "
        "where period_type = 'month' and channel = 'all' order by period_start",
    )
    assert rows == [
        # O1-O4: 4 orders of C1, C2, C3; units 3+2+3+6; net 150+200+85+600; 1035 / 4
        (date(2026, 1, 1), 4, 3, 14, Decimal("1035"), Decimal("258.75"), None, None, None),
        # O6, O7, O8 (O5 cancelled): units 4+3+3; net 100+200+300; 600 - 1035;
        # -435 / 1035 = -42.0290 %
        (date(2026, 2, 1), 3, 3, 10, Decimal("600"), Decimal("200"), Decimal("-435"),
         -42.029, None),
        # O9, O10: units 2+10; net 40+300; 340 - 600; -260 / 600 = -43.3333 %
        (date(2026, 3, 1), 2, 2, 12, Decimal("340"), Decimal("170"), Decimal("-260"),
         -43.3333, None),
    ]  # fmt: skip


def test_sales_periods_week_of_one_channel(warehouse: Path) -> None:
    rows = query(
        warehouse,
        "select period_start, orders, net_revenue, previous_net_revenue "
        "from marts.sales_periods where period_type = 'week' and channel = 'web' "
        "order by period_start",
    )
    assert rows == [
        # Monday 2026-01-05: O1 (150); 01-19: O3 (85); 02-09: O7 (200); no web week before
        # any of them, so no previous value
        (date(2026, 1, 5), 1, Decimal("150"), None),
        (date(2026, 1, 19), 1, Decimal("85"), None),
        (date(2026, 2, 9), 1, Decimal("200"), None),
    ]


def test_sales_periods_update_re_derives_the_periods_from_a_corrected_day_on(
    warehouse: Path, tmp_path: Path
) -> None:
    """A later batch corrects O6 (02-10): the update re-derives the periods ending on or
    after that day (the week of 02-09, February and all after them: March compares with
    February), keeps those that ended before, and holds what a rebuild holds."""
    updated, rebuilt = update_with_a_later_correction(warehouse, tmp_path, "sales_periods")
    assert rows_as_built(updated, "marts.sales_periods") == rows_as_built(
        rebuilt, "marts.sales_periods"
    )
    rederived = (
        "select period_type, min(period_start) from marts.sales_periods "
        "where absorbed_batch_id = (select max(absorbed_batch_id) from marts.sales_periods) "
        "group by period_type order by period_type"
    )
    assert query(updated, rederived) == [("month", date(2026, 2, 1)), ("week", date(2026, 2, 9))]
    months = (
        "select period_start, net_revenue, previous_net_revenue from marts.sales_periods "
        "where period_type = 'month' and channel = 'all' order by period_start"
    )
    assert query(updated, months) == [
        (date(2026, 1, 1), Decimal("1035"), None),
        (date(2026, 2, 1), Decimal("700"), Decimal("1035")),
        (date(2026, 3, 1), Decimal("340"), Decimal("700")),
    ]


def test_product_sales_abc_classes_and_movers(warehouse: Path) -> None:
    rows = query(
        warehouse,
        "select sku, units, net_revenue, gross_margin, revenue_rank, abc_class, "
        "units_last_28_days, mover_class, first_sale_date, last_sale_date "
        "from marts.product_sales order by revenue_rank",
    )
    # Net revenue: B 100+200+600+200+300 = 1400, C 85+300 = 385, A 50+100 = 150,
    # D 0+40 = 40; total 1975. Share ranked above: B 0 -> A; C 1400/1975 = 0.709 -> A;
    # A 1785/1975 = 0.904 -> B; D 1935/1975 = 0.980 -> C.
    # Last 28 days = 02-11..03-10: B 2+3 = 5, C 10, D 1+2 = 3, A none (02-10 is out);
    # 3 sellers -> ceil(0.6) = 1 top (C) and 1 slow (D).
    assert rows == [
        # margin B: 1400 - 40 x 14
        ("SKU-B", 14, Decimal("1400"), Decimal("840"), 1, "A", 5, "regular",
         date(2026, 1, 5), date(2026, 2, 25)),
        # margin C: 385 - 15 x 13
        ("SKU-C", 13, Decimal("385"), Decimal("190"), 2, "A", 10, "top",
         date(2026, 1, 20), date(2026, 3, 10)),
        # margin A: 150 - 10 x 6
        ("SKU-A", 6, Decimal("150"), Decimal("90"), 3, "B", 0, "no_sales",
         date(2026, 1, 5), date(2026, 2, 10)),
        # margin D: 40 - 5 x 3
        ("SKU-D", 3, Decimal("40"), Decimal("25"), 4, "C", 3, "slow",
         date(2026, 2, 14), date(2026, 3, 2)),
    ]  # fmt: skip


def test_product_sales_revenue_share_carries_its_numerator_and_denominator(
    warehouse: Path,
) -> None:
    rows = query(
        warehouse,
        "select sku, cumulative_net_revenue, total_net_revenue, cumulative_revenue_share "
        "from marts.product_sales order by revenue_rank",
    )
    # Cumulative net revenue by rank: B 1400, C 1785, A 1935, D 1975, of 1975 in all.
    total = Decimal("1975")
    expected = [("SKU-B", 1400), ("SKU-C", 1785), ("SKU-A", 1935), ("SKU-D", 1975)]
    assert [r[:3] for r in rows] == [(sku, Decimal(n), total) for sku, n in expected]
    assert [r[3] for r in rows] == pytest.approx([n / 1975 for _, n in expected])


def test_daily_sales_incremental_run_adds_a_new_day_and_keeps_the_rest(
    warehouse: Path, tmp_path: Path
) -> None:
    """A new batch rebuilds only the days it touched (int_changes)."""
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
            "discount_amount, _batch_id) values ('O11', 1, 'SKU-A', 3, 25.00, 0.00, 1)"
        )
        # An edit no new batch brought (01-05, absorbed already) is not picked up.
        con.execute(
            "update raw.order_lines set quantity = 9 where order_id = 'O1' and sku = 'SKU-A'"
        )
    result = run_dbt(
        copy,
        tmp_path,
        "run",
        "--select",
        "+daily_sales",  # the upstream tables rebuild in full, as in a pipeline run
    )
    assert result.returncode == 0, result.stdout[-4000:]
    rows = query(
        copy,
        "select sales_date, sku, units, net_revenue from marts.daily_sales "
        "where sales_date in ('2026-01-05', '2026-03-11') and sku = 'SKU-A' order by sales_date",
    )
    # 01-05 keeps its 2 units (no new batch touched it); 03-11 is new: 3 x 25 = 75.
    assert rows == [
        (date(2026, 1, 5), "SKU-A", 2, Decimal("50")),
        (date(2026, 3, 11), "SKU-A", 3, Decimal("75")),
    ]
    # The other days stay as they were: R2's refund on 03-12 is there once.
    assert query(copy, "select sum(refund_amount) from marts.daily_sales") == [(Decimal("255"),)]
