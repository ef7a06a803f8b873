import datetime as dt

import pytest

from pipelines.reports.periods import containing, last_complete, parse_period

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
