from datetime import date, timedelta

import polars as pl
import pytest

from pipelines.forecasting.classify import classify_demand


def _series(values: list[float | None]) -> pl.DataFrame:
    start = date(2025, 1, 1)
    return pl.DataFrame(
        {
            "sku": "A",
            "warehouse_id": "W",
            "date": [start + timedelta(days=i) for i in range(len(values))],
            "demand": values,
        },
        schema_overrides={"demand": pl.Float64},
    )


def _class(values: list[float | None]) -> str:
    return classify_demand(_series(values)).get_column("demand_class").item()


# 28 days each; ADI = days / non-zero days, CV2 = (sample std / mean)^2 of non-zero sizes.
SMOOTH = [10.0, 11.0, 9.0, 10.0] * 7  # ADI 1.0, CV2 = (0.8165/10)^2 = 0.0067
ERRATIC = [1.0, 20.0, 2.0, 30.0] * 7  # ADI 1.0, CV2 ~ 0.99
INTERMITTENT = [5.0, 0.0, 0.0, 6.0] * 7  # ADI 2.0, CV2 ~ 0.008
LUMPY = [1.0, 0.0, 0.0, 30.0] * 7  # ADI 2.0, CV2 ~ 0.87


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (SMOOTH, "smooth"),
        (ERRATIC, "erratic"),
        (INTERMITTENT, "intermittent"),
        (LUMPY, "lumpy"),
        ([0.0] * 40, "no_demand"),
        ([3.0, 4.0] * 5, "too_short"),
    ],
)
def test_known_series_get_their_class(values, expected):
    assert _class(values) == expected


def test_adi_and_cv2_values():
    row = classify_demand(_series(INTERMITTENT)).row(0, named=True)
    assert row["adi"] == pytest.approx(2.0)
    # sizes 5,6 repeated 7 times: mean 5.5, sample std 0.5189 -> CV2 0.0089
    assert row["cv2"] == pytest.approx((0.518875 / 5.5) ** 2, rel=1e-4)


def test_censored_days_do_not_count_as_zero_demand():
    # Stockouts on every zero day of the intermittent pattern leave a smooth series.
    censored = [v if v > 0 else None for v in INTERMITTENT] + [5.0, 6.0] * 10
    assert _class(censored) == "smooth"
