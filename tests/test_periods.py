import datetime as dt
from decimal import Decimal

import pytest

from pipelines.periods import containing, growth, last_complete, of_range, parse_period

CLOCK = dt.date(2026, 3, 12)  # a Thursday


def test_last_complete_week_is_the_week_before_the_clock_when_the_clock_is_mid_week() -> None:
    period = last_complete("week", CLOCK)
    assert (period.start, period.end, period.label) == (
        dt.date(2026, 3, 2),
        dt.date(2026, 3, 9),
        "2026-W10",
    )


def test_last_complete_period_is_the_clock_period_when_the_clock_is_its_last_day() -> None:
    assert last_complete("month", dt.date(2026, 2, 28)).label == "2026-02"
    assert last_complete("day", CLOCK).start == CLOCK


def test_year_ago_of_a_week_is_52_weeks_earlier_and_of_a_month_12_months_earlier() -> None:
    assert containing("week", CLOCK).year_ago().start == dt.date(2025, 3, 10)
    assert containing("month", CLOCK).year_ago().label == "2025-03"


def test_parse_period_accepts_labels_dates_and_words() -> None:
    assert parse_period("week", "2026-W07", CLOCK).start == dt.date(2026, 2, 9)
    assert parse_period("month", "2026-01", CLOCK).end == dt.date(2026, 2, 1)
    assert parse_period("week", "2026-02-11", CLOCK).label == "2026-W07"
    assert parse_period("week", "current", CLOCK).label == "2026-W11"
    assert parse_period("week", "previous", CLOCK).label == "2026-W09"


def test_parse_period_rejects_text_it_does_not_understand() -> None:
    with pytest.raises(ValueError, match="not understood"):
        parse_period("week", "last week; drop table", CLOCK)


def test_a_day_a_week_or_a_free_range_compares_with_the_span_364_days_earlier() -> None:
    leap_day = containing("day", dt.date(2024, 2, 29))
    assert (leap_day.year_ago().start, leap_day.previous().start) == (
        dt.date(2023, 3, 2),  # a Thursday, like 29 February 2024
        dt.date(2024, 2, 28),
    )
    # ISO week 2025-W01 starts in 2024; its year-ago week is 2024-W01.
    week = containing("week", dt.date(2025, 1, 1))
    assert (week.year_ago().label, week.previous().label) == ("2024-W01", "2024-W52")
    ten_days = of_range(dt.date(2026, 3, 3), dt.date(2026, 3, 12))
    assert ten_days.kind == "range"
    assert (ten_days.previous().start, ten_days.previous().last_day) == (
        dt.date(2026, 2, 21),
        dt.date(2026, 3, 2),
    )
    assert (ten_days.year_ago().start, ten_days.year_ago().last_day) == (
        dt.date(2025, 3, 4),
        dt.date(2025, 3, 13),
    )


def test_a_month_quarter_or_year_compares_with_the_same_calendar_period() -> None:
    february = containing("month", dt.date(2024, 2, 29))
    assert (february.year_ago().start, february.year_ago().end) == (
        dt.date(2023, 2, 1),
        dt.date(2023, 3, 1),
    )
    assert containing("month", dt.date(2026, 1, 20)).previous().label == "2025-12"
    quarter = containing("quarter", dt.date(2026, 2, 10))
    assert (quarter.label, quarter.previous().label, quarter.year_ago().label) == (
        "2026-Q1",
        "2025-Q4",
        "2025-Q1",
    )
    assert quarter.end == dt.date(2026, 4, 1)
    year = containing("year", dt.date(2024, 2, 29))
    assert (year.previous().label, year.year_ago().label, year.end) == (
        "2023",
        "2023",
        dt.date(2025, 1, 1),
    )


def test_a_date_range_is_the_calendar_period_it_exactly_covers() -> None:
    kinds = {
        (dt.date(2026, 3, 12), dt.date(2026, 3, 12)): "day",
        (dt.date(2026, 3, 9), dt.date(2026, 3, 15)): "week",  # Monday to Sunday
        (dt.date(2026, 3, 10), dt.date(2026, 3, 16)): "range",  # seven days, not a week
        (dt.date(2024, 2, 1), dt.date(2024, 2, 29)): "month",
        (dt.date(2024, 2, 1), dt.date(2024, 2, 28)): "range",
        (dt.date(2026, 1, 1), dt.date(2026, 3, 31)): "quarter",
        (dt.date(2025, 1, 1), dt.date(2025, 12, 31)): "year",
    }
    assert {dates: of_range(*dates).kind for dates in kinds} == kinds


def test_growth_divides_by_the_absolute_base_and_is_none_without_one() -> None:
    assert growth(150, 100) == 0.5
    assert growth(-50, -100) == 0.5  # a loss halved is a rise
    assert growth(-150, -100) == -0.5
    assert growth(Decimal("600"), Decimal("1035")) == pytest.approx(-0.420290, abs=1e-6)
    assert [growth(1, 0), growth(None, 1), growth(1, None)] == [None, None, None]
