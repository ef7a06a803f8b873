"""The business calendar: how many orders each day expects, and the promotions running.

Volume = trend x weekday x season x holidays x promotions x daily noise. The planners know
the deterministic part (`planned`) in advance; the noise is what surprises them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from pipelines.ingest.simulate.catalogue import DAY_S, LOCAL_OFFSET_S

WEEKDAY = np.array([0.92, 0.90, 0.92, 0.95, 1.05, 1.22, 1.18])  # Mon..Sun
YEARLY_GROWTH = 0.25
# Chinese New Year (first day of the lunar year).
LUNAR_NEW_YEAR = {
    2019: (2, 5), 2020: (1, 25), 2021: (2, 12), 2022: (2, 1), 2023: (1, 22), 2024: (2, 10),
    2025: (1, 29), 2026: (2, 17), 2027: (2, 6), 2028: (1, 26), 2029: (2, 13), 2030: (2, 3),
    2031: (1, 23), 2032: (2, 11),
}  # fmt: skip
PLANNING_HORIZON_DAYS = 200  # the calendar runs on past the end so reorder maths can look ahead


@dataclass(frozen=True)
class Calendar:
    start: dt.date
    days: int  # simulated days; arrays below are longer (PLANNING_HORIZON_DAYS more)
    dates: np.ndarray  # datetime64[D]
    weekday: np.ndarray  # 0 = Monday
    planned: np.ndarray  # expected relative order volume (known to planners)
    realised: np.ndarray  # planned x noise: the volume that happens
    promo: np.ndarray  # index into promo_codes, -1 when no promotion runs
    promo_codes: list[str]
    peak: np.ndarray  # bool: logistics are congested (promise and transit take longer)

    @property
    def epoch_start(self) -> float:
        """UTC seconds at local midnight of the first day."""
        days = (self.start - dt.date(1970, 1, 1)).days
        return float(days * DAY_S - LOCAL_OFFSET_S)

    def day_start(self, day: np.ndarray) -> np.ndarray:
        """UTC seconds at local midnight of day index `day`."""
        return self.epoch_start + np.asarray(day, dtype=float) * DAY_S

    def day_of(self, seconds: np.ndarray) -> np.ndarray:
        """Local day index of UTC seconds (NaN stays NaN via -1)."""
        day = np.floor((seconds - self.epoch_start) / DAY_S)
        return np.where(np.isnan(day), -1, day).astype(np.int64)

    @property
    def cutoff(self) -> float:
        """UTC seconds at the end of the last simulated day: nothing happens after it."""
        return self.epoch_start + self.days * DAY_S


def _holidays(dates: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[tuple[str, np.ndarray]]]:
    """Volume multiplier, congestion flag and the holiday campaigns (code, mask) per day."""
    n = len(dates)
    mult = np.ones(n)
    peak = np.zeros(n, dtype=bool)
    campaigns: list[tuple[str, np.ndarray]] = []
    years = sorted({int(str(d)[:4]) for d in dates})

    def window(first: dt.date, last: dt.date) -> np.ndarray:
        return (dates >= np.datetime64(first)) & (dates <= np.datetime64(last))

    for y in years:
        d11 = dt.date(y, 11, 11)
        presale = window(dt.date(y, 10, 31), dt.date(y, 11, 10))
        mult[window(dt.date(y, 10, 20), dt.date(y, 10, 30))] *= 0.85  # shoppers wait for 11.11
        mult[presale] *= 1.6
        mult[window(d11, d11)] *= 6.5  # Singles' Day: the biggest day of the year
        mult[window(dt.date(y, 11, 12), dt.date(y, 11, 12))] *= 1.8
        peak |= window(dt.date(y, 11, 9), dt.date(y, 11, 20))
        campaigns.append((f"DOUBLE11-{y}", presale | window(d11, d11)))
        thanksgiving = dt.date(y, 11, 1) + dt.timedelta(days=(3 - dt.date(y, 11, 1).weekday()) % 7)
        black_friday = thanksgiving + dt.timedelta(days=22)
        mult[window(black_friday, black_friday)] *= 2.6
        mult[window(black_friday + dt.timedelta(days=3), black_friday + dt.timedelta(days=3))] *= (
            1.6
        )
        campaigns.append((f"BLACKFRIDAY-{y}", window(black_friday, black_friday + dt.timedelta(3))))
        d618 = dt.date(y, 6, 18)
        mult[window(dt.date(y, 6, 1), dt.date(y, 6, 17))] *= 1.3
        mult[window(d618, d618)] *= 3.5
        peak |= window(dt.date(y, 6, 17), dt.date(y, 6, 22))
        campaigns.append((f"618-{y}", window(dt.date(y, 6, 1), d618)))
        d1212 = dt.date(y, 12, 12)
        mult[window(d1212, d1212)] *= 2.0
        campaigns.append((f"DOUBLE12-{y}", window(d1212, d1212)))
        mult[window(dt.date(y, 10, 1), dt.date(y, 10, 7))] *= 0.85  # Golden Week travel
        if y in LUNAR_NEW_YEAR:
            cny = dt.date(y, *LUNAR_NEW_YEAR[y])
            before = window(cny - dt.timedelta(days=24), cny - dt.timedelta(days=9))
            mult[before] *= 1.2  # New Year shopping
            campaigns.append((f"CNY-{y}", before))
            dip = window(cny - dt.timedelta(days=5), cny + dt.timedelta(days=7))
            mult[dip] *= 0.4  # couriers and shoppers go home
            peak |= window(cny - dt.timedelta(days=8), cny + dt.timedelta(days=8))
    return mult, peak, campaigns


def make_calendar(rng: np.random.Generator, end_date: dt.date, days: int) -> Calendar:
    start = end_date - dt.timedelta(days=days - 1)
    n = days + PLANNING_HORIZON_DAYS
    dates = np.datetime64(start) + np.arange(n).astype("timedelta64[D]")
    weekday = (dates.astype("datetime64[D]").view("int64") + 3) % 7  # 1970-01-01 was a Thursday
    day_of_year = (dates - dates.astype("datetime64[Y]")).astype(int)
    trend = (1 + YEARLY_GROWTH) ** (np.arange(n) / 365.0)
    season = 1 + 0.10 * np.cos(2 * np.pi * (day_of_year - 350) / 365.0)  # winter high
    mult, peak, campaigns = _holidays(dates)
    promo = np.full(n, -1)
    codes: list[str] = []
    for code, mask in campaigns:
        if mask.any():
            promo[mask] = len(codes)
            codes.append(code)
    # One short campaign a month on top of the holidays (a few days, +35%).
    months = dates.astype("datetime64[M]")
    for month in np.unique(months):
        idx = np.flatnonzero((months == month) & (promo < 0))
        if len(idx) < 10:
            continue
        first = idx[rng.integers(0, len(idx) - 4)]
        span = np.arange(first, first + int(rng.integers(2, 5)))
        span = span[promo[span] < 0]
        promo[span] = len(codes)
        mult[span] *= 1.35
        codes.append(f"PROMO-{str(month).replace('-', '')}")
    planned = trend * WEEKDAY[weekday] * season * mult
    realised = planned * rng.gamma(30.0, 1 / 30.0, n)
    return Calendar(start, days, dates, weekday, planned, realised, promo, codes, peak)
