"""Comparison periods and growth, defined once for the dashboards and the reports.

The marts' twins are the macros `comparison_start` (the previous and year-ago period starts)
and `growth_pct` in dbt_project/macros/; tests/transform/test_comparison_periods.py checks
that they agree. The rule, as docs/metrics.md states it:

- A period is a half-open date range [start, end) of a kind: day, week (Monday to Sunday),
  month, quarter, year, or a free range of days.
- The same period a year before: a month, quarter or year compares with the same calendar
  period a year earlier; a day, a week or a free range with the span 364 days earlier, so
  that weekdays line up (52 weeks).
- The previous period: the previous calendar month, quarter or year; for a day, a week or a
  free range, the span of the same length just before.
- Growth = (current - base) / |base|: a fraction (0.125 is +12.5 %), None when either is
  missing or the base is 0.

Dates come from the data's own clock (the latest date in the marts), never the wall clock.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

# Compared with the same calendar period a year earlier (the others: 364 days earlier).
CALENDAR_KINDS = ("month", "quarter", "year")
# 52 weeks: a year earlier on the same weekday.
YEAR_OF_WEEKS = dt.timedelta(days=364)
_MONTHS = {"month": 1, "quarter": 3, "year": 12}

Number = int | float | Decimal


def growth(current: Number | None, base: Number | None) -> float | None:
    """(current - base) / |base| as a fraction; None when either is missing or the base is 0.

    Dividing by |base| keeps the sign of the change: from -100 to -50 is +50 %, not -50 %.
    """
    if current is None or base is None or base == 0:
        return None
    return (float(current) - float(base)) / abs(float(base))


def _add_months(day: dt.date, months: int) -> dt.date:
    """The first of the month `months` after (or before) the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    kind: str
    start: dt.date
    end: dt.date  # exclusive

    @property
    def label(self) -> str:
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        if self.kind == "year":
            return str(self.start.year)
        if self.kind == "range":
            return f"{self.start.isoformat()}..{self.last_day.isoformat()}"
        return self.start.isoformat()

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    def previous(self) -> Period:
        """The previous calendar period, or the span of the same length just before."""
        if self.kind in CALENDAR_KINDS:
            return containing(self.kind, self.start - dt.timedelta(days=1))
        length = self.end - self.start
        return Period(self.kind, self.start - length, self.start)

    def year_ago(self) -> Period:
        """The same calendar period a year earlier, or the span 364 days earlier."""
        if self.kind in CALENDAR_KINDS:
            return containing(self.kind, _add_months(self.start, -12))
        return Period(self.kind, self.start - YEAR_OF_WEEKS, self.end - YEAR_OF_WEEKS)


def containing(kind: str, day: dt.date) -> Period:
    """The period of this kind that contains the day (a free range has no such period)."""
    if kind == "day":
        return Period(kind, day, day + dt.timedelta(days=1))
    if kind == "week":
        start = day - dt.timedelta(days=day.weekday())
        return Period(kind, start, start + dt.timedelta(days=7))
    if kind in _MONTHS:
        months = _MONTHS[kind]
        start = dt.date(day.year, (day.month - 1) // months * months + 1, 1)
        return Period(kind, start, _add_months(start, months))
    raise ValueError(f"unknown period kind {kind!r}; allowed: day, week, month, quarter, year")


def of_range(start: dt.date, last_day: dt.date) -> Period:
    """The period a date range (both ends included) is: a day, a Monday-to-Sunday week, a
    calendar month, quarter or year when it is exactly one, else a free range."""
    for kind in ("day", "week", "month", "quarter", "year"):
        period = containing(kind, start)
        if (period.start, period.last_day) == (start, last_day):
            return period
    return Period("range", start, last_day + dt.timedelta(days=1))


def last_complete(kind: str, clock: dt.date) -> Period:
    """The newest period that ends on or before the data clock's day.

    The clock's own period is still filling up unless the clock is its last day.
    """
    current = containing(kind, clock)
    return current if current.last_day == clock else current.previous()


_WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_period(kind: str, text: str | None, clock: dt.date) -> Period:
    """A period from the command line: `last` (default), `current`, `previous`, a label
    (`2026-W10`, `2026-03`, `2026-03-12`) or any date inside the period."""
    if text in (None, "", "last"):
        return last_complete(kind, clock)
    if text == "current":
        return containing(kind, clock)
    if text == "previous":
        return last_complete(kind, clock).previous()
    week = _WEEK.match(text)
    if week and kind == "week":
        return containing(kind, dt.date.fromisocalendar(int(week[1]), int(week[2]), 1))
    month = _MONTH.match(text)
    if month and kind == "month":
        return containing(kind, dt.date(int(month[1]), int(month[2]), 1))
    try:
        return containing(kind, dt.date.fromisoformat(text))
    except ValueError as exc:
        raise ValueError(
            f"period {text!r} is not understood for a {kind} report; use last, current, "
            "previous, 2026-W10 (week), 2026-03 (month) or a date such as 2026-03-12"
        ) from exc
