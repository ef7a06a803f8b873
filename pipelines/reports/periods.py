"""Report periods on the data's own clock (the latest date in the marts), never the wall clock.

A period is a half-open date range [start, end). Its comparisons: the previous period, and
the same period a year before (52 weeks for weeks, 364 days for days so weekdays line up,
12 months for months, matching the sales marts).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Period:
    kind: str  # day, week or month
    start: dt.date
    end: dt.date  # exclusive

    @property
    def label(self) -> str:
        if self.kind == "week":
            year, week, _ = self.start.isocalendar()
            return f"{year}-W{week:02d}"
        if self.kind == "month":
            return f"{self.start:%Y-%m}"
        return self.start.isoformat()

    @property
    def last_day(self) -> dt.date:
        return self.end - dt.timedelta(days=1)

    def previous(self) -> Period:
        return containing(self.kind, self.start - dt.timedelta(days=1))

    def year_ago(self) -> Period:
        if self.kind == "month":
            return containing("month", self.start.replace(year=self.start.year - 1))
        days = 364
        return containing(self.kind, self.start - dt.timedelta(days=days))


def containing(kind: str, day: dt.date) -> Period:
    """The period of this kind that contains the day."""
    if kind == "day":
        return Period(kind, day, day + dt.timedelta(days=1))
    if kind == "week":
        start = day - dt.timedelta(days=day.weekday())
        return Period(kind, start, start + dt.timedelta(days=7))
    if kind == "month":
        start = day.replace(day=1)
        end = (start + dt.timedelta(days=32)).replace(day=1)
        return Period(kind, start, end)
    raise ValueError(f"unknown period kind {kind!r}; allowed: day, week, month")


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
