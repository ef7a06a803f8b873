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

Orders whose events are out of order, added for this module (tests/fixtures/out_of_order.py,
week of Mon 2025-12-01, web and phone, WH-E):
  X1 web         rec 12-01 08:00, conf +1h, alloc +3h, ship 12-02 11:00, deliv 12-01 20:00
                 (before shipping), paid 12-02 12:00 (after delivery, by card); promised 12-03
  X2 web approval rec 12-02 08:00, conf +1h, alloc 09:30, ship 10:00, appr 12-03 09:00
                 (handed to the carrier before approval), deliv 12-08 10:00 > promised 12-05
  X3 phone       rec 12-03 06:00, conf +1h, alloc +2h, cancelled 10:00, shipped 12:00
  X4 web         cash on delivery: deliv 12-04 12:00, paid 13:00 (in order for it); on time
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.fixtures.business import load_business_raw
from tests.fixtures.out_of_order import business_with_out_of_order_events
from tests.fixtures.warehouse import dbt_build_selected

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("dbt_efficiency")]


@pytest.fixture(scope="module")
def business(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return business_with_out_of_order_events(tmp_path_factory.mktemp("efficiency") / "business")


@pytest.fixture(scope="module")
def marts(
    tmp_path_factory: pytest.TempPathFactory, business: Path
) -> Iterator[duckdb.DuckDBPyConnection]:
    work_dir = tmp_path_factory.mktemp("dbt_efficiency")
    warehouse = work_dir / "warehouse.duckdb"
    load_business_raw(warehouse, business)
    dbt_build_selected(warehouse, work_dir, "+marts.efficiency", "+order_event_anomalies")
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


def test_weeks_rolled_up_by_their_counts_give_the_order_level_on_time_rate(marts, business):
    # Independently of the marts: each order's delivery date (its first delivered event, or
    # its parcels' last delivery) against its promised date, over the orders with both.
    orders = pl.read_csv(business / "orders.csv", infer_schema=False)
    events = pl.read_csv(business / "order_events.csv", infer_schema=False)
    parcels = pl.read_csv(business / "shipments.csv", infer_schema=False)
    delivered = (
        events.filter(pl.col("event_type") == "delivered")
        .group_by("order_id")
        .agg(pl.col("event_at").min().alias("event_delivered_at"))
    )
    parcel_delivered = parcels.group_by("order_id").agg(
        pl.col("delivered_at").max().alias("parcel_delivered_at")
    )
    judged = (
        orders.join(delivered, on="order_id", how="left")
        .join(parcel_delivered, on="order_id", how="left")
        .with_columns(
            pl.coalesce("event_delivered_at", "parcel_delivered_at")
            .str.slice(0, 10)
            .alias("delivered_day")
        )
        .filter(pl.col("delivered_day").is_not_null() & pl.col("promised_date").is_not_null())
    )
    on_time = judged.filter(pl.col("delivered_day") <= pl.col("promised_date")).height
    # O4, O7 and X2 arrived late; the other eight delivered orders on time.
    assert (on_time, judged.height) == (8, 11)

    weeks = marts.sql(
        "select on_time_orders, on_time_known_orders, on_time_rate "
        "from marts.fulfilment_rates_weekly"
    ).pl()
    assert weeks["on_time_orders"].sum() / weeks["on_time_known_orders"].sum() == pytest.approx(
        on_time / judged.height
    )
    # Averaging the weekly rates instead weighs the week with X1, X2 and X4 like a week of one.
    assert weeks["on_time_rate"].mean() != pytest.approx(on_time / judged.height)


def test_every_weekly_rate_is_its_numerator_over_its_denominator(marts):
    pairs = {
        "on_time_rate": ("on_time_orders", "on_time_known_orders"),
        "in_full_rate": ("in_full_orders", "in_full_known_orders"),
        "otif_rate": ("otif_orders", "otif_known_orders"),
        "perfect_order_rate": ("perfect_orders", "perfect_known_orders"),
        "fill_rate": ("units_shipped", "units_ordered"),
        "cancellation_rate": ("cancelled_orders", "orders"),
        "modification_rate": ("modified_orders", "orders"),
        "return_rate": ("returned_orders", "delivered_orders"),
    }
    rows = _rows(marts, "select * from marts.fulfilment_rates_weekly")
    for row in rows:
        for rate, (numerator, denominator) in pairs.items():
            expected = row[numerator] / row[denominator] if row[denominator] else None
            assert row[rate] == pytest.approx(expected), (row["week_start"], rate)
    (week,) = _rows(
        marts,
        "select * from marts.fulfilment_rates_weekly where week_start = ? and channel = 'web'",
        [date(2025, 12, 1)],
    )
    # X1 and X4 on time, X2 late; all three shipped in full (no lines to fall short on).
    assert (week["on_time_orders"], week["on_time_known_orders"]) == (2, 3)
    assert (week["in_full_orders"], week["in_full_known_orders"]) == (3, 3)
    (phone,) = _rows(
        marts,
        "select * from marts.fulfilment_rates_weekly where week_start = ? and channel = 'phone'",
        [date(2025, 12, 1)],
    )
    # X3 was cancelled: OTIF is known (false), on time is not.
    assert (phone["on_time_known_orders"], phone["otif_known_orders"]) == (0, 1)


def test_carrier_on_time_rate_sits_beside_its_counts(marts):
    (row,) = _rows(
        marts,
        "select * from marts.carrier_scorecard where carrier = 'SF Express' and month_start = ?",
        [date(2026, 2, 1)],
    )
    # S5 on time, S7 late: two delivered parcels with a promise.
    assert (row["on_time_shipments"], row["on_time_known_shipments"]) == (1, 2)


def test_shares_sit_beside_their_denominators(marts):
    (shipped,) = _rows(
        marts,
        "select * from marts.stage_performance_weekly where week_start = ? "
        "and warehouse_id = 'WH-E' and channel = 'web' and stage = 'allocated_to_shipped'",
        [date(2026, 1, 19)],
    )
    assert shipped["mean_cycle_hours"] == 63.0  # O3's whole cycle
    (week,) = _rows(
        marts, "select * from marts.bottleneck_stages where week_start = ?", [date(2026, 1, 19)]
    )
    assert week["stage_means_total_hours"] == 1 + 2 + 24 + 36


def test_out_of_order_events_are_each_counted_once_per_rule(marts):
    rows = _rows(
        marts,
        "select order_id, rule_code, expected_first_event, expected_second_event, "
        "hours_out_of_order, stage_left_out, ordered_date from marts.order_event_anomalies "
        "order by order_id, rule_code",
    )
    assert [
        (r["order_id"], r["rule_code"], r["hours_out_of_order"], r["stage_left_out"]) for r in rows
    ] == [
        # delivered 12-01 20:00, 15 hours before it was shipped (12-02 11:00)
        ("X1", "delivered_before_shipped", 15.0, "shipped_to_delivered"),
        ("X1", "paid_after_delivered", 16.0, None),  # paid 12-02 12:00, by card
        ("X2", "allocated_before_approved", 23.5, "approved_to_allocated"),
        ("X2", "shipped_before_approved", 23.0, None),  # handed to the carrier first
        ("X3", "shipped_after_cancelled", 2.0, None),
        # X4 paid after delivery, but cash on delivery: in order. O1-O10: in order.
    ]
    handed = next(r for r in rows if r["rule_code"] == "shipped_before_approved")
    assert (handed["expected_first_event"], handed["expected_second_event"]) == (
        "approved",
        "shipped",
    )
    assert handed["ordered_date"] == date(2025, 12, 2)


def test_an_order_out_of_order_loses_only_the_stage_it_breaks(marts):
    stages = {
        (r["order_id"], r["stage"]): (r["duration_hours"], r["stage_status"])
        for r in _rows(
            marts,
            "select order_id, stage, duration_hours, stage_status "
            "from marts.order_stage_durations where order_id in ('X1', 'X2')",
        )
    }
    assert stages == {
        # X1: delivered before shipped -> no shipped_to_delivered row; its cycle still counts.
        ("X1", "received_to_confirmed"): (1.0, "completed"),
        ("X1", "approved_to_allocated"): (2.0, "completed"),
        ("X1", "allocated_to_shipped"): (24.0, "completed"),
        ("X1", "order_cycle"): (12.0, "completed"),
        # X2: allocated before approval -> no approved_to_allocated row.
        ("X2", "received_to_confirmed"): (1.0, "completed"),
        ("X2", "confirmed_to_approved"): (24.0, "completed"),
        ("X2", "allocated_to_shipped"): (0.5, "completed"),
        ("X2", "shipped_to_delivered"): (144.0, "completed"),
        ("X2", "order_cycle"): (146.0, "completed"),
    }
    # Each left-out stage is the one its anomaly names.
    left_out = {
        (r["order_id"], r["stage_left_out"])
        for r in _rows(
            marts,
            "select order_id, stage_left_out from marts.order_event_anomalies "
            "where stage_left_out is not null",
        )
    }
    assert left_out == {("X1", "shipped_to_delivered"), ("X2", "approved_to_allocated")}
    # The weekly marts read the kept stages only: the week of 12-01 counts no delivery stage
    # of X1.
    (delivery,) = _rows(
        marts,
        "select orders from marts.stage_performance_weekly where week_start = ? "
        "and stage = 'shipped_to_delivered' and channel = 'web'",
        [date(2025, 12, 1)],
    )
    assert delivery["orders"] == 1  # X4 only (X2's delivery ended in the week of 12-08)
