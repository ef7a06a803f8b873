"""Demand: who orders, when, through which channel, which SKUs, how many, at what price.

All vectorised: orders are drawn per customer by inverting the cumulative daily volume over
the customer's active span, so weekday, season, holidays and churn all shape the days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.ingest.simulate.calendar import Calendar
from pipelines.ingest.simulate.catalogue import (
    CATEGORIES,
    CHANNEL_BY_WEEKDAY,
    CHANNELS,
    EXPORT_WAREHOUSE,
    EXTRA_LINES,
    EXTRA_UNITS,
    INTERNATIONAL_CHANNELS,
    INTERNATIONAL_PAYMENT,
    INTERNATIONAL_PROMISE_DAYS,
    PAYMENT_BY_CHANNEL,
    PROMISE_DAYS,
    PROVINCES,
    Products,
)
from pipelines.ingest.simulate.customers import Customers

# Share of orders per hour of day (local time) for online, office and store channels.
ONLINE_HOURS = [2, 1, .5, .3, .3, .4, .8, 1.5, 2.5, 3, 3.2, 3.5, 3.8, 3.3, 3.2, 3.4, 3.5, 3.6,
                4, 4.8, 5.5, 6, 5.5, 3.5]  # fmt: skip
OFFICE_HOURS = [0] * 8 + [4, 6, 6, 5, 3, 5, 6, 6, 5, 3] + [0] * 6
STORE_HOURS = [0] * 10 + [3, 4, 4, 4, 4, 5, 5, 5, 6, 6, 5, 3] + [0] * 2
HOURS_BY_CHANNEL = np.array(
    [ONLINE_HOURS, ONLINE_HOURS, OFFICE_HOURS, OFFICE_HOURS, STORE_HOURS, ONLINE_HOURS], float
)
STORE = CHANNELS.index("store")
B2B = [CHANNELS.index("phone"), CHANNELS.index("email")]
GUEST_SHARE_IN_STORE = 0.5
COUPONS = np.array([5.0, 10.0, 20.0, 50.0])
FREE_SHIPPING_FROM = 99.0
SHIPPING_FEE, INTERNATIONAL_FEE, INTERNATIONAL_FREE_FROM = 8.0, 150.0, 2000.0
APPROVAL_LIMIT, B2B_APPROVAL_LIMIT = 8000.0, 3000.0


@dataclass(frozen=True)
class Orders:
    """One entry per order, sorted by `ordered_at` (UTC seconds)."""

    customer: np.ndarray
    channel: np.ndarray
    ordered_at: np.ndarray
    day: np.ndarray
    province: np.ndarray  # ship-to province index, -1 abroad
    abroad: np.ndarray  # ship-to country index, -1 at home
    city: np.ndarray
    home: np.ndarray  # warehouse serving the ship-to region
    promo: np.ndarray  # promotion index applied, -1 none
    payment: np.ndarray
    promised_day: np.ndarray
    needs_approval: np.ndarray
    coupon: np.ndarray
    shipping: np.ndarray
    net: np.ndarray  # lines net of line discounts


@dataclass(frozen=True)
class Lines:
    """One entry per order line, grouped by order in order sequence."""

    order: np.ndarray
    number: np.ndarray
    sku: np.ndarray
    qty: np.ndarray
    price: np.ndarray
    discount: np.ndarray
    start: np.ndarray  # per order: index of its first line
    count: np.ndarray  # per order: number of lines


def _choose_rows(rng: np.random.Generator, probs: np.ndarray, row: np.ndarray) -> np.ndarray:
    """One categorical draw per element, from the probability row `probs[row]`."""
    cum = np.cumsum(probs, axis=1)
    cum /= cum[:, -1:]
    return (rng.random(len(row))[:, None] > cum[row]).sum(axis=1)


def _order_days(rng: np.random.Generator, cal: Calendar, c: Customers, n: int) -> np.ndarray:
    """Customer per order (multinomial on weight x active volume), then the day within."""
    realised = cal.realised[: cal.days]
    cdf = np.concatenate([[0.0], np.cumsum(realised)])
    active = np.clip(c.last_day + 1, 0, None)
    mass = np.where(c.last_day >= c.first_day, cdf[active] - cdf[c.first_day], 0.0)
    p = c.weight * mass
    counts = rng.multinomial(n, p / p.sum())
    customer = np.repeat(np.arange(len(counts)), counts)
    u = cdf[c.first_day[customer]] + rng.random(n) * mass[customer]
    day = np.clip(np.searchsorted(cdf, u, side="right") - 1, 0, cal.days - 1)
    return np.stack([customer, day])


def make_orders(rng: np.random.Generator, cal: Calendar, c: Customers, n: int) -> Orders:
    """Order headers, sorted by time, without money (filled in by `make_lines`)."""
    customer, day = _order_days(rng, cal, c, n)
    abroad = c.abroad[customer]
    channel = np.where(
        abroad >= 0,
        _choose_rows(rng, INTERNATIONAL_CHANNELS[None, :], np.zeros(n, dtype=int)),
        _choose_rows(rng, CHANNEL_BY_WEEKDAY, cal.weekday[day]),
    )
    hour = _choose_rows(rng, HOURS_BY_CHANNEL, channel)
    ordered_at = np.floor(cal.day_start(day) + (hour + rng.random(n)) * 3600)
    order = np.argsort(ordered_at, kind="stable")
    customer, day, channel, abroad, ordered_at = (
        a[order] for a in (customer, day, channel, abroad, ordered_at)
    )
    province = c.province[customer].copy()
    city = c.city[customer].copy()
    gift = (abroad < 0) & (rng.random(n) < 0.04)  # sent to someone elsewhere
    weights = np.array([p[3] for p in PROVINCES])
    province[gift] = rng.choice(len(PROVINCES), int(gift.sum()), p=weights / weights.sum())
    city[gift] = np.array([p[1][0] for p in PROVINCES], dtype=object)[province[gift]]
    customer = np.where((channel == STORE) & (rng.random(n) < GUEST_SHARE_IN_STORE), 0, customer)
    home = np.where(abroad >= 0, EXPORT_WAREHOUSE, np.array([p[2] for p in PROVINCES])[province])
    promo = np.where((cal.promo[day] >= 0) & (rng.random(n) < 0.7), cal.promo[day], -1)
    payment = np.where(
        abroad >= 0,
        _choose_rows(rng, INTERNATIONAL_PAYMENT[None, :], np.zeros(n, dtype=int)),
        _choose_rows(rng, PAYMENT_BY_CHANNEL, channel),
    )
    promise = np.where(
        abroad >= 0, INTERNATIONAL_PROMISE_DAYS, PROMISE_DAYS[channel] + 2 * cal.peak[day]
    )
    empty = np.zeros(n)
    return Orders(
        customer=customer, channel=channel, ordered_at=ordered_at, day=day,
        province=province, abroad=abroad, city=city, home=home, promo=promo,
        payment=payment, promised_day=day + promise, needs_approval=empty.astype(bool),
        coupon=empty, shipping=empty, net=empty,
    )  # fmt: skip


def _category_probs(cal: Calendar, products: Products) -> np.ndarray:
    """Days x categories: each category's share of lines, moved by its own season."""
    n_cat = len(CATEGORIES)
    share = np.bincount(products.category, weights=products.popularity, minlength=n_cat)
    day_of_year = (cal.dates - cal.dates.astype("datetime64[Y]")).astype(int)
    peak_doy = np.array([(c[6] - 1) * 30.5 + 15 for c in CATEGORIES])
    amplitude = np.array([c[7] for c in CATEGORIES])
    season = 1 + amplitude * np.cos(2 * np.pi * (day_of_year[:, None] - peak_doy) / 365.0)
    return share * season


def _skus(rng: np.random.Generator, products: Products, category: np.ndarray) -> np.ndarray:
    """A SKU within each line's category, by popularity (SKUs are sorted by category)."""
    cum = np.cumsum(products.popularity)
    n_cat = len(CATEGORIES)
    last = np.searchsorted(products.category, np.arange(n_cat), side="right") - 1
    first = np.searchsorted(products.category, np.arange(n_cat), side="left")
    low = np.where(first > 0, cum[np.maximum(first - 1, 0)], 0.0)[category]
    high = cum[last][category]
    sku = np.searchsorted(cum, low + rng.random(len(category)) * (high - low), side="right")
    return np.clip(sku, first[category], last[category])


def make_lines(
    rng: np.random.Generator, cal: Calendar, products: Products, orders: Orders
) -> tuple[Orders, Lines]:
    n = len(orders.day)
    count = 1 + rng.poisson(EXTRA_LINES[orders.channel])
    start = np.concatenate([[0], np.cumsum(count)[:-1]])
    order = np.repeat(np.arange(n), count)
    number = np.arange(len(order)) - start[order] + 1
    category = _choose_rows(rng, _category_probs(cal, products), orders.day[order])
    sku = _skus(rng, products, category)
    # Redraw a SKU that repeats within its order once (a few stay, as real baskets have).
    key = order.astype(np.int64) * len(products.price) + sku
    srt = np.argsort(key, kind="stable")
    repeat = np.zeros(len(key), dtype=bool)
    repeat[srt[1:]] = key[srt[1:]] == key[srt[:-1]]
    sku[repeat] = _skus(rng, products, category[repeat])
    qty = 1 + rng.poisson(EXTRA_UNITS[orders.channel[order]])
    price = products.price[sku]
    # Promotions discount most lines of an order placed under them; big B2B lines get 5%.
    holiday = np.array([not c.startswith("PROMO") for c in cal.promo_codes] + [False])
    rate = np.where(holiday[orders.promo], rng.uniform(0.15, 0.30, n), rng.uniform(0.05, 0.15, n))
    rate = np.where(orders.promo >= 0, rate, 0.0)[order] * (rng.random(len(order)) < 0.8)
    rate = rate + np.where(qty >= 10, 0.05, 0.0)
    gross = qty * price
    discount = np.round(gross * rate, 2)
    net = np.round(np.bincount(order, weights=gross - discount, minlength=n), 2)
    abroad = orders.abroad >= 0
    coupon = np.where(rng.random(n) < 0.1, rng.choice(COUPONS, n), 0.0)
    coupon = np.where(coupon * 4 <= net, coupon, 0.0)
    after = net - coupon
    shipping = np.where(
        abroad,
        np.where(after >= INTERNATIONAL_FREE_FROM, 0.0, INTERNATIONAL_FEE),
        np.where((after >= FREE_SHIPPING_FROM) | (orders.channel == STORE), 0.0, SHIPPING_FEE),
    )
    b2b = np.isin(orders.channel, B2B)
    needs_approval = (net >= APPROVAL_LIMIT) | (b2b & (net >= B2B_APPROVAL_LIMIT))
    orders = Orders(
        **{
            **orders.__dict__,
            "coupon": coupon,
            "shipping": shipping,
            "net": net,
            "needs_approval": needs_approval,
        }
    )
    lines = Lines(order, number, sku, qty.astype(np.int64), price, discount, start, count)
    return orders, lines
