"""The policy simulation on a case worked out by hand, and its bookkeeping on a business.

Hand case: one SKU in one warehouse; 120 days of history selling 10 a day; then 14 replayed
days with demand 10, 10, 30, 10, ... 10. The forecast is 10 a day whatever the day; the
supplier's five past orders all took 2 days, so every lead time is 2 (mean 2, spread 0); the
target 50% makes z = 0, so safety stock = 0 and the reorder point = forecast demand over the
lead time = 20; order quantity = ROP - position + review-period demand (7 x 10) = 90 - position
(EOQ is negligible at an ordering cost of 1e-6, MOQ and pack 1). Starting stock: 12 on hand.

day  demand  stock in  met  lost  on hand  position  order (arrives)
  1      10        12   10     0        2         2  88 (day 3)
  2      10         2    2     8        0        88  -
  3      30        88   30     0       58        58  -
  4-6    10                  0  48 38 28         28  -
  7      10        28   10     0       18        18  72 (day 9)
  8      10        18   10     0        8        80  -
  9      10        80   10     0       70        70  -
 10-14   10                     60 50 40 30 20       (day 14: the last, nothing ordered)

Receipts on days 3 and 9 close two cycles: days 1-2 (a stockout on day 2) and days 3-8 (none):
cycle service level 1/2. Fill rate = 152 / 160 = 0.95. One stockout day, two orders (160
units), average stock 470 / 14 units, at unit cost 2.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import polars as pl
import pytest

from pipelines.forecasting.planner import PlanParams
from pipelines.forecasting.policy import PolicyParams
from pipelines.forecasting.simulation import PLAN, SimulationParams, simulate_policies

END = date(2025, 6, 30)
START = END - timedelta(days=13)
REPLAY = [10, 10, 30] + [10] * 11
HISTORY_DAYS = 120


def _hand_case() -> dict[str, object]:
    history = [START - timedelta(days=d) for d in range(HISTORY_DAYS, 0, -1)]
    days = history + [START + timedelta(days=i) for i in range(14)]
    sales = pl.DataFrame(
        {"sku": "X", "warehouse_id": "W", "date": days, "units": [10] * HISTORY_DAYS + REPLAY}
    )
    stock = pl.DataFrame(
        {
            "sku": ["X"],
            "warehouse_id": ["W"],
            "date": [START - timedelta(days=1)],
            "on_hand": [12],
            "is_stockout": [False],
        }
    )
    products = pl.DataFrame(
        {
            "sku": ["X"],
            "supplier_id": ["S"],
            "unit_cost": [2.0],
            "pack_size": [1],
            "min_order_qty": [1],
            "abc_class": ["A"],
        }
    )
    ordered = [START - timedelta(days=100 - 10 * k) for k in range(5)]
    po_lines = pl.DataFrame(
        {
            "supplier_id": "S",
            "ordered_date": ordered,
            "received_date": [d + timedelta(days=2) for d in ordered],
        }
    )
    return {
        "sales": sales,
        "stock_flags": None,
        "stock_history": stock,
        "products": products,
        "po_lines": po_lines,
        "as_of": END,
    }


def _flat_forecast(as_of: date) -> tuple[pl.DataFrame, pl.DataFrame]:
    days = [as_of + timedelta(days=k) for k in range(1, 31)]
    forecasts = pl.DataFrame({"sku": "X", "warehouse_id": "W", "date": days, "forecast": 10.0})
    classes = pl.DataFrame({"sku": ["X"], "warehouse_id": ["W"], "demand_class": ["smooth"]})
    return forecasts, classes


@pytest.fixture(scope="module")
def hand():
    params = SimulationParams(
        weeks=2,
        targets=(0.5,),
        plan=PlanParams(policy=PolicyParams(ordering_cost=1e-6)),
    )
    return simulate_policies(**_hand_case(), params=params, forecaster=_flat_forecast)


def test_every_simulated_day_matches_the_hand_computation(hand):
    days = hand.daily.filter(pl.col("policy") == PLAN).sort("date")
    assert days.get_column("date").to_list() == [START + timedelta(days=i) for i in range(14)]
    assert days.get_column("demand").to_list() == REPLAY
    assert days.get_column("met").to_list() == [10, 2, 30] + [10] * 11
    assert days.get_column("on_hand").to_list() == [
        2, 0, 58, 48, 38, 28, 18, 8, 70, 60, 50, 40, 30, 20
    ]  # fmt: skip
    orders = [0.0] * 14
    orders[0], orders[6] = 88, 72
    assert days.get_column("ordered").to_list() == orders
    received = [False] * 14
    received[2] = received[8] = True
    assert days.get_column("received").to_list() == received


def test_hand_case_cycle_service_level_fill_rate_and_stock(hand):
    row = hand.metrics.filter((pl.col("policy") == PLAN) & (pl.col("scope") == "series")).row(
        0, named=True
    )
    assert row["demand_units"] == 160
    assert row["met_units"] == 152
    assert row["lost_units"] == 8
    assert row["fill_rate"] == pytest.approx(0.95)
    assert row["cycles"] == 2
    assert row["cycles_without_stockout"] == 1
    assert row["cycle_service_level"] == pytest.approx(0.5)
    assert row["stockout_days"] == 1
    assert row["orders_placed"] == 2
    assert row["units_ordered"] == 160
    assert row["avg_stock_units"] == pytest.approx(470 / 14)
    # money to the cent: 2 x 470 / 14 = 67.142857...
    assert row["avg_stock_value"] == Decimal("67.14")
    assert row["start_date"] == START and row["end_date"] == END


def test_pooled_rows_add_up_the_series(hand):
    pooled = hand.metrics.filter((pl.col("policy") == PLAN) & (pl.col("scope") == "all"))
    row = pooled.row(0, named=True)
    assert row["n_series"] == 1
    assert row["cycle_service_level"] == pytest.approx(0.5)
    assert row["sku"] is None
