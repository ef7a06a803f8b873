"""Order-efficiency marts on the hand-computed fixture business, after a real `dbt build`.

Order timelines of the fixture (order_events.csv; first occurrence of each event counts):
  O1 web WH-E    rec 01-05 02:00, conf +1h, alloc +2h, ship +10h, deliv +43h  (cycle 56h)
  O2 app WH-S    rec 01-06 03:30, conf +1h (again at +1.5h), alloc +2h, ship +24h, deliv +54h
  O3 web WH-E    rec 01-20 05:00, conf +1h, alloc +2h, ship +24h, deliv +36h  (cycle 63h)
  O4 mkt WH-E    approval: rec 01-25 11:00, conf +1h, appr +24h, alloc +2h, ship +24h,
                 deliv 02-03 (+168h) > promised 02-02; returned; DHL damage event + ticket T1
  O6 phone WH-E  3 of 4 units shipped; O7 web WH-E delivered 02-19 > promised 02-17
  O8 email WH-E  approval; allocated 03-02 21:00, not shipped: open at the clock
  O9 store WH-E  cancelled 03-03 after allocation
  O10 app WH-S   delivered 03-11 12:00, returned 03-12 08:00 (= the order clock)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import duckdb
import pytest

from tests.fixtures.business import load_business_raw
from tests.fixtures.warehouse import dbt_build_selected

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dbt_efficiency")]


@pytest.fixture(scope="module")
def marts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    work_dir = tmp_path_factory.mktemp("dbt_efficiency")
    warehouse = work_dir / "warehouse.duckdb"
    load_business_raw(warehouse)
    dbt_build_selected(warehouse, work_dir, "+marts.efficiency")
    con = duckdb.connect(str(warehouse), read_only=True)
    yield con
    con.close()


def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> list:
    return con.sql(sql, params=params or []).pl().to_dicts()


def test_stage_durations_of_an_approval_order(marts) -> None:
    rows = _rows(
        marts,
        "select stage, duration_hours, stage_status from marts.order_stage_durations "
        "where order_id = 'O4' order by stage_number",
    )
    assert [(r["stage"], r["duration_hours"]) for r in rows] == [
        ("received_to_confirmed", 1.0),
        ("confirmed_to_approved", 24.0),  # 01-25 12:00 -> 01-26 12:00
        ("approved_to_allocated", 2.0),
        ("allocated_to_shipped", 24.0),
        ("shipped_to_delivered", 168.0),  # 01-27 14:00 -> 02-03 14:00
        ("order_cycle", 219.0),  # 1 + 24 + 2 + 24 + 168
    ]


def test_repeated_confirmation_counts_once_at_its_first_time(marts) -> None:
    rows = _rows(
        marts,
        "select stage, duration_hours from marts.order_stage_durations "
        "where order_id = 'O2' and stage in ('received_to_confirmed', 'approved_to_allocated')",
    )
    # confirmed at 04:30 (and again at 05:00): 03:30 -> 04:30 = 1h, 04:30 -> 06:30 = 2h
    assert {r["stage"]: r["duration_hours"] for r in rows} == {
        "received_to_confirmed": 1.0,
        "approved_to_allocated": 2.0,
    }


def test_open_and_cancelled_orders_have_no_duration(marts) -> None:
    rows = _rows(
        marts,
        "select order_id, stage, stage_status, duration_hours from marts.order_stage_durations "
        "where order_id in ('O8', 'O9') and ended_at is null order by order_id, stage_number",
    )
    assert [(r["order_id"], r["stage"], r["stage_status"]) for r in rows] == [
        ("O8", "allocated_to_shipped", "in_progress"),
        ("O8", "order_cycle", "in_progress"),
        ("O9", "allocated_to_shipped", "cancelled"),
        ("O9", "order_cycle", "cancelled"),
    ]
    assert all(r["duration_hours"] is None for r in rows)


def test_weekly_stage_performance_and_orders_in_progress(marts) -> None:
    rows = {
        (r["stage"], r["channel"]): r
        for r in _rows(
            marts,
            "select * from marts.stage_performance_weekly "
            "where week_start = ? and warehouse_id = 'WH-E'",
            [date(2026, 1, 19)],
        )
    }
    # Week of Mon 01-19: O3 (web) completed its whole cycle of 63h.
    shipped = rows[("allocated_to_shipped", "web")]
    assert (shipped["orders"], shipped["mean_duration_hours"]) == (1, 24.0)
    assert shipped["share_of_cycle"] == pytest.approx(24 / 63)
    # O4 (marketplace) was confirmed on Sun 01-25 12:00 and approved only on 01-26:
    # in the approval stage at the week's end, with nothing completed there.
    waiting = rows[("confirmed_to_approved", "marketplace")]
    assert (waiting["orders"], waiting["orders_in_progress"]) == (0, 1)


def test_bottleneck_of_a_week(marts) -> None:
    (row,) = _rows(
        marts, "select * from marts.bottleneck_stages where week_start = ?", [date(2026, 1, 19)]
    )
    # Stage means that week: confirm (O3 1h, O4 1h) 1, allocate 2, ship 24, deliver 36.
    assert row["bottleneck_stage"] == "shipped_to_delivered"
    assert row["mean_duration_share"] == pytest.approx(36 / (1 + 2 + 24 + 36))


def test_order_fulfilment_flags(marts) -> None:
    orders = {r["order_id"]: r for r in _rows(marts, "select * from marts.order_fulfilment")}
    flags = ("is_on_time", "is_in_full", "is_otif", "is_perfect_order")

    def outcome(order_id: str) -> tuple:
        return tuple(orders[order_id][flag] for flag in flags)

    assert outcome("O1") == (True, True, True, True)
    assert outcome("O4") == (False, True, False, False)  # 02-03 > 02-02
    assert outcome("O6") == (True, False, False, False)  # 3 of 4 shipped
    assert outcome("O10") == (True, True, True, False)  # OTIF but returned
    assert outcome("O8") == (None, None, None, None)  # still open
    assert outcome("O9") == (None, False, False, False)  # cancelled
    assert (orders["O6"]["units_ordered"], orders["O6"]["units_shipped"]) == (4, 3)
    assert orders["O5"]["is_modified"] is True


def test_weekly_fulfilment_rates(marts) -> None:
    rows = _rows(
        marts,
        "select * from marts.fulfilment_rates_weekly "
        "where week_start = ? and channel = 'phone' and warehouse_id = 'WH-E'",
        [date(2026, 2, 9)],
    )
    (phone,) = rows
    assert phone["fill_rate"] == pytest.approx(3 / 4)  # O6
    assert (phone["on_time_rate"], phone["in_full_rate"], phone["otif_rate"]) == (1.0, 0.0, 0.0)
    (store,) = _rows(
        marts,
        "select * from marts.fulfilment_rates_weekly where week_start = ? and channel = 'store'",
        [date(2026, 3, 2)],
    )
    assert store["cancellation_rate"] == 1.0  # O9


def test_orders_at_risk(marts) -> None:
    (row,) = _rows(marts, "select * from marts.orders_at_risk")
    assert row["order_id"] == "O8"
    assert row["current_stage"] == "allocated_to_shipped"
    assert row["hours_in_current_stage"] == 227.0  # 03-02 21:00 -> 03-12 08:00
    # p50 over stages that ended after 02-12 08:00 (clock - 28 days):
    #   allocated_to_shipped: O7 24h, O10 6h -> 15h, already exceeded -> 0 left
    #   shipped_to_delivered: O6 40h, O7 96h, O10 20h -> 40h
    assert row["expected_remaining_hours"] == 40.0
    assert row["expected_delivery_at"] == datetime(2026, 3, 14, 0, 0)  # 03-12 08:00 + 40h
    # Promise holds to the end of 03-05 (03-06 00:00): 8 days late = 192h.
    assert row["hours_late"] == 192.0
    assert row["late_stage"] == "allocated_to_shipped"  # the promise passed already


def test_carrier_scorecard(marts) -> None:
    rows = {
        (r["carrier"], r["month_start"]): r
        for r in _rows(marts, "select * from marts.carrier_scorecard")
    }
    sf_february = rows[("SF Express", date(2026, 2, 1))]
    # S5 on time, S7 two days late (02-19 vs 02-17)
    assert (sf_february["shipments"], sf_february["on_time_rate"]) == (2, 0.5)
    assert sf_february["average_delay_days"] == 2.0
    dhl_january = rows[("DHL", date(2026, 1, 1))]
    # S4: a damaged tracking event AND ticket T1 on the same parcel: one complaint
    assert dhl_january["damage_and_loss_complaints"] == 1
    assert dhl_january["average_delay_days"] == 1.0  # 02-03 vs 02-02


def test_service_ticket_resolution(marts) -> None:
    rows = {
        (r["week_start"], r["ticket_type"], r["topic"]): r
        for r in _rows(marts, "select * from marts.service_ticket_resolution")
    }
    damaged = rows[(date(2026, 2, 2), "complaint", "damaged")]
    # T1 opened 02-04 10:00, resolved 02-06 10:00 = 48h, satisfaction 2
    assert (damaged["opened_tickets"], damaged["resolved_tickets"]) == (1, 1)
    assert (damaged["p50_resolution_hours"], damaged["average_satisfaction"]) == (48.0, 2.0)
    pending = rows[(date(2026, 3, 9), "return_request", "wrong_item")]
    assert (pending["opened_tickets"], pending["resolved_tickets"]) == (1, 0)  # T4 open
