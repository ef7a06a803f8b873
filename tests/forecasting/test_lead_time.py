from datetime import date, timedelta

import polars as pl
import pytest

from pipelines.forecasting.lead_time import lead_time_stats


def _lines(supplier: str, days: list[int | None]) -> pl.DataFrame:
    ordered = date(2025, 1, 1)
    return pl.DataFrame(
        {
            "supplier_id": supplier,
            "ordered_date": ordered,
            "received_date": [None if d is None else ordered + timedelta(days=d) for d in days],
        },
        schema_overrides={"received_date": pl.Date},
    )


SUPPLIERS = pl.DataFrame({"supplier_id": ["S1", "S2", "S3"], "lead_time_days": [20, 12, None]})


def test_measured_lead_time_with_enough_receipts():
    po = _lines("S1", [8, 10, 12, 10, 10, None])  # the open line does not count
    row = lead_time_stats(po, SUPPLIERS, min_receipts=5).filter(pl.col("supplier_id") == "S1")
    # mean 10; sample std sqrt((4 + 0 + 4 + 0 + 0) / 4) = sqrt(2)
    assert row.get_column("lead_time_mean").item() == pytest.approx(10.0)
    assert row.get_column("lead_time_std").item() == pytest.approx(2**0.5)
    assert row.get_column("lead_time_source").item() == "measured"


def test_few_receipts_fall_back_to_the_nominal_lead_time():
    po = _lines("S2", [30, 31])
    row = lead_time_stats(po, SUPPLIERS, min_receipts=5, default_cv=0.25).filter(
        pl.col("supplier_id") == "S2"
    )
    assert row.get_column("lead_time_mean").item() == 12.0
    assert row.get_column("lead_time_std").item() == pytest.approx(3.0)  # 0.25 * 12
    assert row.get_column("lead_time_source").item() == "nominal"


def test_few_receipts_without_a_quote_use_their_mean():
    row = lead_time_stats(_lines("S3", [6, 8]), SUPPLIERS).filter(pl.col("supplier_id") == "S3")
    assert row.get_column("lead_time_mean").item() == 7.0
    assert row.get_column("lead_time_source").item() == "few_receipts"
