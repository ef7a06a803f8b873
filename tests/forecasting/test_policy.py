from datetime import date, timedelta

import polars as pl
import pytest

from pipelines.forecasting.policy import (
    PolicyParams,
    eoq,
    order_quantity,
    replenishment,
    round_up_to_pack,
    safety_stock,
    service_z,
)
from pipelines.forecasting.projection import demand_over, projected_stockout


def _value(expr: pl.Expr) -> float:
    return pl.select(expr).item()


def test_safety_stock_combines_demand_and_lead_time_variability():
    # z=2, L=9, sigma_d=2, d=10, sigma_L=1: 2 * sqrt(9*4 + 100*1) = 2 * sqrt(136) = 23.3238
    assert _value(safety_stock(2.0, 10.0, 2.0, 9.0, 1.0)) == pytest.approx(23.32381, abs=1e-5)


def test_safety_stock_with_certain_lead_time_is_z_sigma_sqrt_l():
    # sigma_L = 0: 1.645 * 3 * sqrt(16) = 19.74
    assert _value(safety_stock(1.645, 5.0, 3.0, 16.0, 0.0)) == pytest.approx(19.74)


def test_service_levels_map_to_normal_quantiles():
    assert service_z(0.95) == pytest.approx(1.644854, abs=1e-6)
    assert service_z(0.98) == pytest.approx(2.053749, abs=1e-6)
    assert service_z(0.90) == pytest.approx(1.281552, abs=1e-6)


def test_eoq_textbook_case():
    # D=1000/yr, S=50, c=10, h=0.25: sqrt(2*1000*50 / 2.5) = sqrt(40000) = 200
    assert _value(eoq(1000.0, 50.0, 10.0, 0.25)) == pytest.approx(200.0)


def test_eoq_is_null_without_unit_cost():
    assert _value(eoq(1000.0, 50.0, 0.0, 0.25)) is None


@pytest.mark.parametrize(
    ("qty", "pack", "expected"),
    [(13.0, 6.0, 18), (12.0, 6.0, 12), (12.000000001, 4.0, 12), (0.2, 1.0, 1), (0.0, 6.0, 0)],
)
def test_round_up_to_pack(qty, pack, expected):
    assert _value(round_up_to_pack(qty, pack)) == expected


def test_order_quantity_takes_the_largest_of_eoq_moq_and_shortfall_in_packs():
    # shortfall = ROP 100 - position 40 + review 30 = 90; EOQ 70, MOQ 50 -> 90 -> packs of 12 -> 96
    assert _value(order_quantity(40.0, 100.0, 30.0, 70.0, 50.0, 12.0)) == 96
    # EOQ wins: max(150, 50, 90) = 150 -> packs of 12 -> 156
    assert _value(order_quantity(40.0, 100.0, 30.0, 150.0, 50.0, 12.0)) == 156
    # MOQ wins (EOQ unknown): max(0, 200, 90) = 200 -> packs of 12 -> 204
    assert _value(order_quantity(40.0, 100.0, 30.0, pl.lit(None), 200.0, 12.0)) == 204


def test_no_order_above_the_reorder_point():
    assert _value(order_quantity(101.0, 100.0, 30.0, 70.0, 50.0, 12.0)) == 0


def _forecasts(daily: list[float], start: date = date(2025, 1, 2)) -> pl.DataFrame:
    days = pl.date_range(start, start + timedelta(days=len(daily) - 1), eager=True)
    return pl.DataFrame({"sku": "A", "warehouse_id": "W", "date": days, "forecast": daily})


def test_demand_over_fractional_lead_time_and_following_review_period():
    fc = _forecasts([1.0, 2.0, 3.0, 4.0, 5.0, 6.0])
    spans = pl.DataFrame({"sku": ["A"], "warehouse_id": ["W"], "lead_time_mean": [2.5]})
    out = demand_over(fc, spans.with_columns(review_days=pl.lit(2)))
    # lead: 1 + 2 + 0.5*3 = 4.5; review (2.5, 4.5]: 0.5*3 + 4 + 0.5*5 = 8.0
    assert out.get_column("lead_time_demand").item() == pytest.approx(4.5)
    assert out.get_column("review_demand").item() == pytest.approx(8.0)


def test_projected_stockout_is_first_day_cumulative_demand_exceeds_position():
    fc = _forecasts([2.0] * 10)
    positions = pl.DataFrame({"sku": ["A"], "warehouse_id": ["W"], "position": [10.0]})
    # cumulative 2, 4, 6, 8, 10, 12: exceeds 10 on day 6 = 2025-01-07
    out = projected_stockout(fc, positions)
    assert out.get_column("stockout_date").item() == date(2025, 1, 7)
    positions = positions.with_columns(position=pl.lit(100.0))
    assert projected_stockout(fc, positions).get_column("stockout_date").item() is None


def test_replenishment_hand_computed_line():
    frame = pl.DataFrame(
        {
            "sku": ["A"],
            "warehouse_id": ["W"],
            "abc_class": ["B"],
            "d": [10.0],
            "sigma_d": [2.0],
            "lead_time_mean": [9.0],
            "lead_time_std": [1.0],
            "lead_time_demand": [90.0],
            "review_demand": [70.0],
            "stockout_date": [date(2025, 1, 12)],
            "on_hand": [60],
            "on_order": [20],
            "committed": [5],
            "unit_cost": [4.0],
            "pack_size": [25],
            "min_order_qty": [100],
        }
    )
    row = replenishment(frame, date(2025, 1, 1), PolicyParams()).row(0, named=True)
    # z(0.95) = 1.644854; SS = 1.644854 * sqrt(9*4 + 100*1) = 1.644854 * 11.661904 = 19.18214
    assert row["safety_stock"] == pytest.approx(19.18214, abs=1e-4)
    # ROP = 90 + 19.18214 = 109.18214; position = 60 + 20 - 5 = 75
    assert row["reorder_point"] == pytest.approx(109.18214, abs=1e-4)
    assert row["position"] == 75.0
    # EOQ = sqrt(2 * 3650 * 50 / (4 * 0.25)) = sqrt(365000) = 604.152
    assert row["eoq"] == pytest.approx(604.152, abs=1e-3)
    # qty = max(604.152, 100, 109.18 - 75 + 70 = 104.18) = 604.152 -> packs of 25 -> 625
    assert row["needs_order"] and row["order_qty"] == 625
    # order by = stockout 2025-01-12 - ceil(9) days = 2025-01-03, not late on 2025-01-01
    assert row["order_by_date"] == date(2025, 1, 3)
    assert not row["is_late"]


def test_no_order_for_an_item_without_demand():
    # ROP 0, review demand 0, position 0: at the reorder point but nothing to cover.
    assert _value(order_quantity(0.0, 0.0, 0.0, pl.lit(None), 50.0, 1.0)) == 0
