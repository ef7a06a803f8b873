from datetime import date

import polars as pl
import pytest

from pipelines.forecasting.transfers import net_transfers, suggest_transfers

AS_OF = date(2025, 5, 1)


def _status(stockout: date | None) -> pl.DataFrame:
    # WH1: position 300, ROP 100, review demand 50 -> surplus floor(300 - 150) = 150.
    # WH2: position 20 <= ROP 100 -> need ceil(100 + 50 - 20) = 130; would order 200 units.
    return pl.DataFrame(
        {
            "sku": ["A", "A"],
            "warehouse_id": ["WH1", "WH2"],
            "position": [300.0, 20.0],
            "reorder_point": [100.0, 100.0],
            "review_demand": [50.0, 50.0],
            "lead_time_mean": [14.0, 14.0],
            "unit_cost": [10.0, 10.0],
            "order_qty": [0, 200],
            "stockout_date": [None, stockout],
        },
        schema_overrides={"stockout_date": pl.Date},
    )


# Buying+holding per unit for WH2: 50 / 200 + 10 * 0.25 * (14 + 7) / 365 = 0.25 + 0.143836
BUY = 50 / 200 + 10 * 0.25 * 21 / 365


def test_transfer_suggested_when_cheaper_and_in_time():
    out = suggest_transfers(
        _status(date(2025, 5, 6)), AS_OF, review_days=7, cost_per_unit=0.2, lead_days=2
    )
    row = out.row(0, named=True)
    assert (row["from_warehouse_id"], row["to_warehouse_id"]) == ("WH1", "WH2")
    assert row["quantity"] == 130  # the whole need; surplus 150 covers it
    assert row["arrival_date"] == date(2025, 5, 3)
    assert row["buy_cost_per_unit"] == pytest.approx(BUY)


def test_no_transfer_when_it_arrives_after_the_stockout():
    out = suggest_transfers(
        _status(date(2025, 5, 2)), AS_OF, review_days=7, cost_per_unit=0.2, lead_days=2
    )
    assert out.is_empty()


def test_no_transfer_when_buying_is_cheaper():
    out = suggest_transfers(
        _status(date(2025, 5, 6)), AS_OF, review_days=7, cost_per_unit=BUY + 0.01, lead_days=2
    )
    assert out.is_empty()


def test_lane_table_overrides_the_flat_cost_and_lead_time():
    lanes = pl.DataFrame(
        {
            "from_warehouse_id": ["WH1"],
            "to_warehouse_id": ["WH2"],
            "cost_per_unit": [0.1],
            "lead_days": [10],
        }
    )
    out = suggest_transfers(
        _status(date(2025, 5, 6)), AS_OF, review_days=7, lanes=lanes, cost_per_unit=0.1
    )
    assert out.is_empty()  # 10 days on that lane: arrives 2025-05-11, after the stockout


def test_surplus_is_shared_between_receivers_most_urgent_first():
    status = pl.concat(
        [
            _status(date(2025, 5, 20)),
            _status(date(2025, 5, 6))
            .filter(pl.col("warehouse_id") == "WH2")
            .with_columns(warehouse_id=pl.lit("WH3")),
        ]
    )
    out = suggest_transfers(status, AS_OF, review_days=7, cost_per_unit=0.2, lead_days=2)
    moved = dict(zip(out["to_warehouse_id"], out["quantity"], strict=True))
    assert moved == {"WH3": 130, "WH2": 20}  # WH3 runs out first; 150 - 130 = 20 left for WH2
    net = net_transfers(out).sort("warehouse_id")
    assert net.get_column("transfer_out").to_list() == [150, 0, 0]
