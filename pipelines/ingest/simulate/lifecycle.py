"""When each step of each order happens: before allocation (received ... paid) and after it
(picked ... delivered), as vectors of UTC seconds with NaN for "did not happen (yet)".

The slow warehouse and the approval queue are the bottlenecks; the late carrier and
congested peak days make deliveries miss their promised date.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from pipelines.ingest.simulate.calendar import Calendar
from pipelines.ingest.simulate.catalogue import (
    CAPACITY_RATIO,
    CARRIER_BY_CHANNEL,
    CARRIERS,
    CHANNELS,
    DAY_S,
    INTERNATIONAL_CARRIER,
    LOCAL_OFFSET_S,
    PAYMENT_METHODS,
    PROVINCES,
    SLOW_PAYMENTS,
    WAREHOUSES,
    ZONE_DAYS,
)
from pipelines.ingest.simulate.demand import Orders

HOUR = 3600.0
CUSTOMER_CANCEL_SHARE = 0.025
APPROVAL_REJECT_SHARE = 0.08
MODIFIED_SHARE = 0.04
BACKORDER_SHARE = 0.4  # customers willing to wait when the item is out of stock
LOST_SHARE, DAMAGED_SHARE = 0.003, 0.015
SHIFT_START, SHIFT_END = 8.0, 22.0  # warehouse hours, local time
PICKUPS = np.array([12.0, 18.0])  # carrier collection times, local


@dataclass(frozen=True)
class Steps:
    received: np.ndarray
    confirmed: np.ndarray
    approved: np.ndarray
    paid: np.ndarray
    modified: np.ndarray
    cancelled: np.ndarray
    cancel_note: np.ndarray  # object: why it was cancelled
    ready: np.ndarray  # released to the warehouse (NaN: never)
    backorder: np.ndarray  # bool: would wait for stock
    allocated: np.ndarray | None = None
    picked: np.ndarray | None = None
    packed: np.ndarray | None = None
    shipped: np.ndarray | None = None
    delivered: np.ndarray | None = None
    warehouse: np.ndarray | None = None  # index, -1 none
    carrier: np.ndarray | None = None  # index, -1 none
    damaged: np.ndarray | None = None
    lost: np.ndarray | None = None
    late: np.ndarray | None = None  # delivered after the promised date (or lost)
    delivery_days: np.ndarray | None = None


def _local_hour(t: np.ndarray) -> np.ndarray:
    return ((t + LOCAL_OFFSET_S) % DAY_S) / HOUR


def _next_shift(t: np.ndarray) -> np.ndarray:
    """The first moment at or after t inside warehouse hours."""
    h = _local_hour(t)
    midnight = t - h * HOUR
    return np.where(
        h < SHIFT_START,
        midnight + SHIFT_START * HOUR,
        np.where(h >= SHIFT_END - 1, midnight + DAY_S + SHIFT_START * HOUR, t),
    )


def _skip_night(t: np.ndarray) -> np.ndarray:
    """Work that runs past closing time resumes the next morning."""
    h = _local_hour(t)
    night = (h >= SHIFT_END) | (h < SHIFT_START)
    return np.where(night, t + (24 - SHIFT_END + SHIFT_START) * HOUR, t)


def before_allocation(rng: np.random.Generator, orders: Orders) -> Steps:
    n = len(orders.day)
    ch = orders.channel
    u = rng.random
    received = orders.ordered_at + np.select(
        [ch == CHANNELS.index("phone"), ch == CHANNELS.index("email")],
        [60 + 540 * u(n), 600 + rng.exponential(2 * HOUR, n)],
        1 + 29 * u(n),
    )
    manual = np.isin(ch, [CHANNELS.index("phone"), CHANNELS.index("email")])
    confirmed = received + np.where(manual, rng.exponential(0.5 * HOUR, n), 30 + 270 * u(n))
    # Manual approval of large orders: a queue that takes most of a working day or more.
    approval = 2 * HOUR + rng.exponential(20 * HOUR, n)
    approved = np.where(orders.needs_approval, confirmed + approval, np.nan)
    rejected = orders.needs_approval & (u(n) < APPROVAL_REJECT_SHARE)
    slow = np.isin(orders.payment, [PAYMENT_METHODS.index(m) for m in SLOW_PAYMENTS])
    pay_delay = np.where(slow, (4 + 68 * u(n)) * HOUR, 10 + 290 * u(n))
    paid = np.fmax(confirmed, np.nan_to_num(approved, nan=0.0)) + pay_delay
    customer_cancel = ~rejected & (u(n) < CUSTOMER_CANCEL_SHARE)
    before_paying = customer_cancel & (u(n) < 0.5)
    cancelled = np.select(
        [rejected, before_paying, customer_cancel],
        [approved, confirmed + (paid - confirmed) * (0.1 + 0.8 * u(n)), paid + 60 + 1740 * u(n)],
        np.nan,
    )
    note = np.select(
        [rejected, customer_cancel], ["approval rejected", "cancelled by customer"], None
    ).astype(object)
    approved = np.where(rejected, np.nan, approved)
    paid = np.where(rejected | before_paying, np.nan, paid)
    gap = np.fmin(paid, cancelled) - confirmed
    modified = np.where(
        u(n) < MODIFIED_SHARE, confirmed + np.nan_to_num(gap, nan=HOUR) * (0.2 + 0.6 * u(n)), np.nan
    )
    ready = np.where(np.isnan(cancelled), paid, np.nan)
    return Steps(
        received=np.floor(received),
        confirmed=np.floor(confirmed) + 1,
        approved=np.floor(approved) + 2,
        paid=np.floor(paid) + 3,
        modified=np.floor(modified) + 2,
        cancelled=np.floor(cancelled) + 4,
        cancel_note=note,
        ready=np.floor(ready) + 3,
        backorder=u(n) < BACKORDER_SHARE,
    )


def _transit_days(
    rng: np.random.Generator, cal: Calendar, orders: Orders, wh: np.ndarray, carrier: np.ndarray,
    ship_day: np.ndarray,
) -> np.ndarray:  # fmt: skip
    n = len(wh)
    base = np.array([c[1] for c in CARRIERS])[carrier]
    delay_share = np.array([c[2] for c in CARRIERS])[carrier]
    region = np.array([p[2] for p in PROVINCES] + [0])[orders.province]
    zone = np.where(orders.abroad >= 0, 0.0, ZONE_DAYS[wh, region])
    days = rng.gamma(8.0, (base + zone) / 8.0)
    days += (rng.random(n) < delay_share) * rng.uniform(2, 6, n)
    days += cal.peak[np.clip(ship_day, 0, len(cal.peak) - 1)] * 1.5
    return np.maximum(np.round(days), 1)


def after_allocation(
    rng: np.random.Generator,
    cal: Calendar,
    orders: Orders,
    steps: Steps,
    alloc_day: np.ndarray,
    alloc_wh: np.ndarray,
    oos_day: np.ndarray,
) -> Steps:
    n = len(alloc_day)
    u = rng.random
    done = alloc_day >= 0
    wh = np.where(done, alloc_wh, 0)
    ready_day = cal.day_of(steps.ready)
    allocated = np.where(
        alloc_day == ready_day,
        steps.ready + 30 + 570 * u(n),
        cal.day_start(alloc_day) + (7 + 2 * u(n)) * HOUR,
    )
    allocated = np.where(done, np.floor(allocated), np.nan)
    # Queues: picking slows down when a warehouse's day is far above its capacity.
    load = np.zeros((cal.days, len(WAREHOUSES)))
    np.add.at(load, (alloc_day[done], wh[done]), 1)
    capacity = (
        np.array([np.median(col[col > 0]) if (col > 0).any() else 1.0 for col in load.T])
        * CAPACITY_RATIO
    )
    strain = np.maximum(1.0, load[np.clip(alloc_day, 0, None), wh] / capacity[wh]) ** 2
    pick_h = np.array([w[4] for w in WAREHOUSES])[wh] * strain
    pack_h = np.array([w[5] for w in WAREHOUSES])[wh]
    picked = _skip_night(_next_shift(allocated) + rng.exponential(pick_h) * HOUR + 120)
    packed = _skip_night(picked + rng.exponential(pack_h) * HOUR + 60)
    h = _local_hour(packed)
    after = np.where(
        h < PICKUPS[0], PICKUPS[0], np.where(h < PICKUPS[1], PICKUPS[1], 24 + PICKUPS[0])
    )
    shipped = packed + (after - h) * HOUR + 60 + 1200 * u(n)
    domestic = (u(n)[:, None] > np.cumsum(CARRIER_BY_CHANNEL, axis=1)[orders.channel]).sum(1)
    carrier = np.where(
        orders.abroad >= 0, INTERNATIONAL_CARRIER, np.minimum(domestic, INTERNATIONAL_CARRIER - 1)
    )
    ship_day = cal.day_of(shipped)
    days = _transit_days(rng, cal, orders, wh, carrier, ship_day)
    delivered = cal.day_start(ship_day + days) + (9 + 11 * u(n)) * HOUR
    delivered = np.fmax(delivered, shipped + 4 * HOUR)
    lost = done & (u(n) < LOST_SHARE)
    damaged = done & ~lost & (u(n) < DAMAGED_SHARE)
    delivered = np.where(lost, np.nan, delivered)
    cutoff = cal.cutoff

    def happened(t: np.ndarray) -> np.ndarray:
        return np.where(done & (t < cutoff), np.floor(t), np.nan)

    oos = oos_day >= 0
    oos_at = np.where(
        oos_day == ready_day,
        steps.ready + (0.5 + 1.5 * u(n)) * HOUR,
        cal.day_start(oos_day) + (9 + u(n)) * HOUR,
    )
    cancelled = np.where(oos, np.floor(oos_at), steps.cancelled)
    cancelled = np.where(cancelled < cutoff, cancelled, np.nan)
    note = np.where(oos, "out of stock", steps.cancel_note)
    delivered_day = cal.day_of(delivered)
    shipped_ok = happened(shipped)
    late = done & ~np.isnan(shipped_ok) & (lost | (delivered_day > orders.promised_day))
    return replace(
        steps,
        allocated=happened(allocated),
        picked=happened(picked),
        packed=happened(packed),
        shipped=shipped_ok,
        delivered=happened(delivered),
        cancelled=cancelled,
        cancel_note=note,
        warehouse=np.where(done, wh, -1),
        carrier=np.where(done, carrier, -1),
        damaged=damaged & ~np.isnan(shipped_ok),
        lost=lost & ~np.isnan(shipped_ok),
        late=late & (~np.isnan(happened(delivered)) | lost),
        delivery_days=days,
    )
