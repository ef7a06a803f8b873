"""Inventory marts on the hand-computed fixture business, after a real `dbt build`.

The stock story of the fixture (unit costs A 10, B 40, C 15, D 5; stock clock 2026-03-12,
the latest movement, R2's return of one SKU-C to WH-S):
- SKU-A @ WH-E: +6 on 01-02, -2 (O1) 01-05, +1 (return R3) 01-15, count 01-31 finds 3
  (book 5), -3 (O6, short of 4) 02-10 -> stockout until +12 (PO4) on 03-02; count 03-05
  finds 12. PO4 ordered 24 on 02-11, 12 received.
- SKU-B @ WH-E: +10 01-02, -1 (O1) 01-05, -6 (O4) 01-27, -2 (O7) 02-15; O8 (3 units)
  allocated 03-02 and never shipped; PO5 (10) ordered 03-03.
- SKU-D @ WH-S: +4 on 2025-11-20, never sold.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import duckdb
import pytest

from tests.fixtures.business import load_business_raw
from tests.fixtures.warehouse import dbt_build_selected

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dbt_inventory")]


@pytest.fixture(scope="module")
def marts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    work_dir = tmp_path_factory.mktemp("dbt_inventory")
    warehouse = work_dir / "warehouse.duckdb"
    load_business_raw(warehouse)
    dbt_build_selected(warehouse, work_dir, "+marts.inventory")
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con
    con.close()


def _row(con: duckdb.DuckDBPyConnection, sql: str, params: list[object]) -> dict[str, object]:
    rows = con.sql(sql, params=params).pl().to_dicts()
    assert len(rows) == 1, rows
    return rows[0]


def _position(con: duckdb.DuckDBPyConnection, day: str, sku: str, warehouse: str) -> dict:
    return _row(
        con,
        "select * from marts.daily_stock_positions "
        "where position_date = ? and sku = ? and warehouse_id = ?",
        [date.fromisoformat(day), sku, warehouse],
    )


def test_positions_run_from_first_movement_to_stock_clock(marts) -> None:
    spans = marts.sql(
        "select sku, warehouse_id, min(position_date), max(position_date), count(*) "
        "from marts.daily_stock_positions group by all"
    ).fetchall()
    spans_by_pair = {(sku, wh): (first, last, n) for sku, wh, first, last, n in spans}
    # 2026-01-02 .. 2026-03-12: 30 January days + 28 + 12 = 70 rows.
    assert spans_by_pair[("SKU-A", "WH-E")] == (date(2026, 1, 2), date(2026, 3, 12), 70)
    # 2025-11-20 .. 2026-03-12: 11 + 31 + 31 + 28 + 12 = 113 rows.
    assert spans_by_pair[("SKU-D", "WH-S")] == (date(2025, 11, 20), date(2026, 3, 12), 113)
    # SKU-A never moved in WH-S: no positions at all.
    assert ("SKU-A", "WH-S") not in spans_by_pair


def test_count_resets_on_hand_and_reports_variance_on_its_day(marts) -> None:
    before = _position(marts, "2026-01-30", "SKU-A", "WH-E")
    counted = _position(marts, "2026-01-31", "SKU-A", "WH-E")
    assert before["on_hand"] == 5  # 6 - 2 + 1
    assert counted["on_hand"] == 3  # the count found 3
    assert counted["count_variance"] == -2  # 3 counted - 5 on the book
    assert counted["is_counted"] is True
    assert counted["value_at_cost"] == pytest.approx(30)  # 3 x 10
    second_count = _position(marts, "2026-03-05", "SKU-A", "WH-E")
    assert (second_count["on_hand"], second_count["count_variance"]) == (12, 0)  # 0 + 12


def test_stockout_and_open_purchase_order(marts) -> None:
    sold_out = _position(marts, "2026-02-10", "SKU-A", "WH-E")
    assert (sold_out["on_hand"], sold_out["is_stockout"], sold_out["on_order"]) == (0, True, 0)
    ordered = _position(marts, "2026-02-11", "SKU-A", "WH-E")
    assert ordered["on_order"] == 24  # PO4 placed
    received = _position(marts, "2026-03-02", "SKU-A", "WH-E")
    assert (received["on_hand"], received["on_order"]) == (12, 12)  # 24 - 12 received


def test_committed_units_until_shipped_or_cancelled(marts) -> None:
    # O4 (6 x SKU-B) allocated 01-26, shipped 01-27: committed for one day.
    o4 = _position(marts, "2026-01-26", "SKU-B", "WH-E")
    assert (o4["on_hand"], o4["committed"], o4["available"]) == (9, 6, 3)
    assert _position(marts, "2026-01-27", "SKU-B", "WH-E")["committed"] == 0
    # O8 (3 x SKU-B) allocated 03-02, never shipped: 1 on hand - 3 = -2 available.
    o8 = _position(marts, "2026-03-12", "SKU-B", "WH-E")
    assert (o8["on_hand"], o8["committed"], o8["available"], o8["on_order"]) == (1, 3, -2, 10)
    # O9 (2 x SKU-D) allocated 03-02, cancelled 03-03.
    assert _position(marts, "2026-03-02", "SKU-D", "WH-E")["committed"] == 2
    assert _position(marts, "2026-03-03", "SKU-D", "WH-E")["committed"] == 0
    # The cancelled PO6 (30 x SKU-C for WH-S) is never on order.
    assert _position(marts, "2026-03-12", "SKU-C", "WH-S")["on_order"] == 0


def _turnover(marts, month: str, sku: str, warehouse: str) -> dict:
    return _row(
        marts,
        "select * from marts.monthly_inventory_turnover "
        "where month_start = ? and sku = ? and warehouse_id = ?",
        [date.fromisoformat(month), sku, warehouse],
    )


def test_monthly_turnover_of_sku_a_in_january(marts) -> None:
    row = _turnover(marts, "2026-01-01", "SKU-A", "WH-E")
    # on hand 6 x 3 days + 4 x 10 + 5 x 16 + 3 x 1 = 141 unit-days over 30 days, at 10
    assert row["days_observed"] == 30
    assert float(row["average_inventory_value"]) == pytest.approx(47.0)  # 1410 / 30
    assert float(row["cogs"]) == pytest.approx(20.0)  # 2 sold x 10
    assert row["turnover"] == pytest.approx(20 / 47)
    assert row["days_of_inventory"] == pytest.approx(30 * 47 / 20)  # 70.5
    assert row["sell_through"] == pytest.approx(2 / (2 + 3))
    assert (row["units_sold"], row["units_sold_and_left"]) == (2, 2 + 3)
    assert row["stockout_days"] == 0


def test_monthly_turnover_and_lost_demand_of_sku_a_in_february(marts) -> None:
    row = _turnover(marts, "2026-02-01", "SKU-A", "WH-E")
    # on hand 3 for 9 days, 0 for 19 days: mean value 3 x 9 x 10 / 28 = 270 / 28
    assert float(row["average_inventory_value"]) == pytest.approx(270 / 28, abs=0.005)
    assert row["turnover"] == pytest.approx(30 / (270 / 28))  # COGS 3 x 10
    assert row["days_of_inventory"] == pytest.approx(9.0)  # 28 x (270/28) / 30
    assert row["sell_through"] == pytest.approx(1.0)  # 3 / (3 + 0)
    assert row["units_sold_and_left"] == 3
    assert row["stockout_days"] == 19  # 02-10 .. 02-28
    # In-stock days in 02-01..02-28: 02-01..02-09 and 02-10 (sold 3 before running out):
    # 3 units / 10 days = 0.3 a day; 19 stockout days x 0.3 = 5.7 units lost.
    assert row["lost_demand_units"] == pytest.approx(5.7)


def test_monthly_turnover_of_sku_b_and_kitchen_category(marts) -> None:
    row = _turnover(marts, "2026-01-01", "SKU-B", "WH-E")
    # on hand 10 x 3 + 9 x 22 + 3 x 5 = 243 unit-days / 30 x 40 = 324; COGS 7 x 40 = 280
    assert float(row["average_inventory_value"]) == pytest.approx(324.0)
    assert row["turnover"] == pytest.approx(280 / 324)
    assert row["sell_through"] == pytest.approx(7 / (7 + 3))
    category = _row(
        marts,
        "select * from marts.monthly_inventory_turnover_by_category "
        "where month_start = ? and category = 'kitchen' and warehouse_id = 'WH-E'",
        [date(2026, 1, 1)],
    )
    # Kitchen = A + B, both stocked every day: mean daily value 47 + 324 = 371; COGS 300
    assert float(category["average_inventory_value"]) == pytest.approx(371.0)
    assert category["turnover"] == pytest.approx(300 / 371)


def test_stock_ageing_is_fifo_and_flags_dead_stock(marts) -> None:
    rows = {
        (r["sku"], r["warehouse_id"]): r
        for r in marts.sql("select * from marts.stock_ageing").pl().to_dicts()
    }
    buckets = ("units_0_30", "units_31_60", "units_61_90", "units_91_180", "units_over_180")

    def split(sku: str, warehouse: str) -> tuple[int, ...]:
        return tuple(rows[(sku, warehouse)][bucket] for bucket in buckets)

    assert split("SKU-A", "WH-E") == (12, 0, 0, 0, 0)  # all from the 03-02 receipt (10 days)
    # 8 on hand: 1 from the 03-12 return (0 days), 7 of the 01-02 receipt (69 days)
    assert split("SKU-C", "WH-S") == (1, 0, 7, 0, 0)
    # 4 from 2025-11-20: 10 + 31 + 31 + 28 + 12 = 112 days
    assert split("SKU-D", "WH-S") == (0, 0, 0, 4, 0)
    assert rows[("SKU-D", "WH-S")]["is_dead_stock"] is True  # never sold, stocked 112 days
    assert rows[("SKU-B", "WH-S")]["is_dead_stock"] is False  # last sale 01-07: 64 days ago
    assert rows[("SKU-B", "WH-S")]["days_since_last_sale"] == 64


def test_inventory_alerts(marts) -> None:
    alerts = {
        (r["sku"], r["warehouse_id"]): r
        for r in marts.sql("select * from marts.inventory_alerts").pl().to_dicts()
    }
    low = alerts[("SKU-B", "WH-E")]
    # sold 2 in 02-13..03-12 -> 2/28 a day; available -2 -> -2 / (2/28) = -28 days < 14
    assert low["alert_type"] == "low_stock"
    assert low["days_of_supply"] == pytest.approx(-28.0)
    assert low["lead_time_days"] == 14
    # SKU-C @ WH-S: 10 sold -> 8 / (10/28) = 22.4 days: above lead time 7, below 180.
    assert ("SKU-C", "WH-S") not in alerts
    # SKU-D @ WH-E: 1 sold -> 4 / (1/28) = 112 days: no alert either.
    assert ("SKU-D", "WH-E") not in alerts
    # Stock with no sale in 28 days is over-stock.
    assert alerts[("SKU-D", "WH-S")]["alert_type"] == "over_stock"
    assert alerts[("SKU-D", "WH-S")]["alert_reason"] == "no_sales_in_28_days"
