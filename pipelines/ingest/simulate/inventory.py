"""Stock, day by day, per SKU x warehouse: allocation, reorders, receipts, transfers, counts.

The loop runs over days only; within a day everything is vectorised over SKUs, warehouses
and the day's order lines. Orders are allocated whole to their home warehouse, else to the
nearest warehouse that has every line; otherwise they wait (backorder) or are cancelled.
Planners reorder on a weekly review with a reorder point over the quoted lead time, so
late or variable suppliers and demand peaks cause stockouts, as in real life.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pipelines.ingest.simulate.calendar import Calendar
from pipelines.ingest.simulate.catalogue import FALLBACK, SUPPLIERS, WAREHOUSES, Products
from pipelines.ingest.simulate.demand import Lines

MAX_BACKORDER_DAYS = 10
REVIEW_DAYS = 7
CYCLE_DAYS = 21  # cycle stock the order-up-to level adds on top of the reorder point
SAFETY_Z = 1.65
EMA_ALPHA = 1 / 28
MAX_LEAD_DAYS = 120
PARTIAL_SHARE = 0.08  # PO lines that arrive in two parts
CANCELLED_PO_SHARE = 0.015
SHRINK_RATE = 0.003  # units lost (theft, damage) found at a monthly count
TRANSFER_DAYS = (2, 5)


@dataclass(frozen=True)
class StockPlan:
    """What the planners and the warehouse did."""

    alloc_day: np.ndarray  # per order: day it was allocated, -1 never
    alloc_wh: np.ndarray  # per order: warehouse, -1 never
    oos_day: np.ndarray  # per order: day it was cancelled for lack of stock, -1 never
    opening: np.ndarray  # sku x warehouse units on day 0
    po: dict[str, np.ndarray]  # one entry per purchase-order line
    transfers: dict[str, np.ndarray]
    counts: dict[str, np.ndarray]  # count day, sku, warehouse, delta found vs book


def _grouped_cumsum(key: np.ndarray, qty: np.ndarray) -> np.ndarray:
    """Running total of qty within each key, in the given order."""
    order = np.argsort(key, kind="stable")
    ks, q = key[order], qty[order]
    cs = np.cumsum(q)
    starts = np.flatnonzero(np.r_[True, ks[1:] != ks[:-1]])
    base = np.repeat(cs[starts] - q[starts], np.diff(np.r_[starts, len(ks)]))
    out = np.empty_like(cs)
    out[order] = cs - base
    return out


def _expand(lines: Lines, orders: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Line indices of `orders`, and each line's position in `orders`."""
    count = lines.count[orders]
    local = np.repeat(np.arange(len(orders)), count)
    offset = np.arange(len(local)) - np.repeat(np.cumsum(count) - count, count)
    return lines.start[orders][local] + offset, local


class _Planner:
    """Reorder point and order-up-to levels from a running demand rate and the calendar."""

    def __init__(self, cal: Calendar, products: Products, rate: np.ndarray) -> None:
        self.cum = np.concatenate([[0.0], np.cumsum(cal.planned)])
        self.lead = np.array([s[3] for s in SUPPLIERS])[products.supplier]
        # Planners know each supplier's track record: lead-time spread in days.
        self.lead_sd = (np.array([s[4] * s[5] for s in SUPPLIERS])[products.supplier])[:, None]
        self.rate = rate

    def observe(self, demand: np.ndarray, volume: float) -> None:
        self.rate = (1 - EMA_ALPHA) * self.rate + EMA_ALPHA * demand / volume

    def levels(self, day: int) -> tuple[np.ndarray, np.ndarray]:
        cover = day + 1 + self.lead + REVIEW_DAYS
        expected = self.rate * (self.cum[cover] - self.cum[day + 1])[:, None]
        cycle = self.rate * (self.cum[cover + CYCLE_DAYS] - self.cum[cover])[:, None]
        daily = expected / (self.lead + REVIEW_DAYS)[:, None]
        rop = expected + SAFETY_Z * np.sqrt(expected + (daily * self.lead_sd) ** 2)
        return rop, rop + cycle


class _Records:
    def __init__(self) -> None:
        self.parts: dict[str, list[np.ndarray]] = {}

    def add(self, **columns: np.ndarray) -> None:
        for k, v in columns.items():
            self.parts.setdefault(k, []).append(np.asarray(v))

    def arrays(self, names: list[str]) -> dict[str, np.ndarray]:
        return {k: np.concatenate(self.parts.get(k, [np.zeros(0, dtype=np.int64)])) for k in names}


PO_FIELDS = ["po", "supplier", "wh", "sku", "qty", "day", "expected", "arrive1", "qty1",
             "arrive2", "qty2", "cancelled"]  # fmt: skip


class _Simulation:
    def __init__(
        self, rng: np.random.Generator, cal: Calendar, products: Products, rate: np.ndarray
    ) -> None:
        self.rng, self.cal, self.p = rng, cal, products
        self.n_sku, self.n_wh = len(products.price), len(WAREHOUSES)
        self.planner = _Planner(cal, products, rate)
        _, out = self.planner.levels(0)
        self.opening = (np.ceil(out / products.pack[:, None]) * products.pack[:, None]).astype(
            np.int64
        )
        self.stock = self.opening.copy()
        self.on_order = np.zeros_like(self.stock)
        self.incoming = np.zeros((cal.days + MAX_LEAD_DAYS + 20, self.n_sku, self.n_wh), np.int32)
        self.po, self.transfers, self.counts = _Records(), _Records(), _Records()
        self.po_seq = 0
        self.review_weekday = np.arange(len(SUPPLIERS)) % 5  # suppliers reviewed Mon..Fri

    def allocate(self, lines: Lines, cand: np.ndarray, home: np.ndarray) -> np.ndarray:
        """Warehouse per candidate order (-1 when no warehouse has all its lines)."""
        li, local = _expand(lines, cand)
        sku, qty = lines.sku[li], lines.qty[li]
        chosen = np.full(len(cand), -1)
        for rank in range(self.n_wh):
            open_line = chosen[local] < 0
            if not open_line.any():
                break
            target = FALLBACK[home[cand], rank]
            key = sku[open_line] * self.n_wh + target[local[open_line]]
            short = _grouped_cumsum(key, qty[open_line]) > self.stock.ravel()[key]
            bad = np.bincount(local[open_line][short], minlength=len(cand)) > 0
            accept = (chosen < 0) & ~bad
            taken = accept[local] & open_line
            used = np.bincount(
                sku[taken] * self.n_wh + target[local[taken]],
                weights=qty[taken],
                minlength=self.stock.size,
            )
            self.stock -= used.astype(np.int64).reshape(self.stock.shape)
            chosen[accept] = target[accept]
        return chosen

    def reorder(self, day: int, rop: np.ndarray, out: np.ndarray) -> None:
        reviewed = self.review_weekday[self.p.supplier] == self.cal.weekday[day]
        position = self.stock + self.on_order
        need = (position < rop) & reviewed[:, None]
        if not need.any():
            return
        sku, wh = np.nonzero(need)
        pack, moq = self.p.pack[sku], self.p.moq[sku]
        qty = np.maximum(np.ceil((out[sku, wh] - position[sku, wh]) / pack) * pack, moq)
        supplier = self.p.supplier[sku]
        order = np.lexsort((sku, wh, supplier))
        sku, wh, qty, supplier = sku[order], wh[order], qty[order].astype(np.int64), supplier[order]
        group = supplier * self.n_wh + wh
        first = np.r_[True, group[1:] != group[:-1]]
        po = self.po_seq + np.cumsum(first) - 1
        n_po = int(first.sum())
        self.po_seq += n_po
        mean = np.array([s[4] for s in SUPPLIERS])[supplier[first]]
        cv = np.array([s[5] for s in SUPPLIERS])[supplier[first]]
        sigma = np.sqrt(np.log1p(cv**2))
        lead = self.rng.lognormal(np.log(mean) - sigma**2 / 2, sigma)
        lead = np.clip(np.round(lead), 1, MAX_LEAD_DAYS).astype(np.int64)[po - po[0]]
        cancelled = (self.rng.random(n_po) < CANCELLED_PO_SHARE)[po - po[0]]
        partial = self.rng.random(len(sku)) < PARTIAL_SHARE
        qty1 = np.where(partial, np.floor(qty * self.rng.uniform(0.5, 0.9, len(sku))), qty)
        qty1 = np.maximum(qty1, 1).astype(np.int64)
        arrive1 = day + lead
        arrive2 = np.where(qty1 < qty, arrive1 + self.rng.integers(3, 11, len(sku)), -1)
        live = ~cancelled
        np.add.at(self.incoming, (arrive1[live], sku[live], wh[live]), qty1[live])
        two = live & (arrive2 >= 0)
        np.add.at(self.incoming, (arrive2[two], sku[two], wh[two]), (qty - qty1)[two])
        np.add.at(self.on_order, (sku[live], wh[live]), qty[live])
        expected = day + np.array([s[3] for s in SUPPLIERS])[supplier]
        self.po.add(
            po=po, supplier=supplier, wh=wh, sku=sku, qty=qty, day=np.full(len(sku), day),
            expected=expected, arrive1=arrive1, qty1=qty1, arrive2=arrive2, qty2=qty - qty1,
            cancelled=cancelled,
        )  # fmt: skip

    def transfer(self, day: int, rop: np.ndarray, out: np.ndarray) -> None:
        """Weekly rebalancing: the shortest warehouse gets stock from the one with most excess."""
        need = rop - (self.stock + self.on_order)
        surplus = self.stock - out
        rows = np.arange(self.n_sku)
        to, frm = need.argmax(axis=1), surplus.argmax(axis=1)
        qty = np.floor(np.minimum(need[rows, to], surplus[rows, frm]))
        ok = (qty >= 1) & (to != frm)
        sku, to, frm, qty = rows[ok], to[ok], frm[ok], qty[ok].astype(np.int64)
        arrive = day + self.rng.integers(*TRANSFER_DAYS, len(sku))
        self.stock[sku, frm] -= qty
        np.add.at(self.incoming, (arrive, sku, to), qty)
        np.add.at(self.on_order, (sku, to), qty)
        self.transfers.add(sku=sku, src=frm, dst=to, qty=qty, day=np.full(len(sku), day),
                           arrive=arrive)  # fmt: skip

    def count(self, day: int) -> None:
        """Month-end count: a little shrinkage, now and then a unit found."""
        lost = self.rng.binomial(self.stock, SHRINK_RATE)
        found = (self.rng.random(self.stock.shape) < 0.005).astype(np.int64)
        delta = found - lost
        self.stock += delta
        sku, wh = np.indices(self.stock.shape)
        self.counts.add(day=np.full(self.stock.size, day), sku=sku.ravel(), wh=wh.ravel(),
                        delta=delta.ravel())  # fmt: skip


def run_stock(
    rng: np.random.Generator,
    cal: Calendar,
    products: Products,
    lines: Lines,
    home: np.ndarray,
    ready_at: np.ndarray,
    backorder: np.ndarray,
) -> StockPlan:
    """Simulate stock over the span (`ready_at` NaN: the order never reaches the warehouse)."""
    n_orders = len(home)
    ready_day = cal.day_of(ready_at)
    ready_day = np.where((ready_day >= 0) & (ready_day < cal.days), ready_day, -1)
    n_wh = len(WAREHOUSES)
    units = np.bincount(lines.sku, weights=lines.qty, minlength=len(products.price))
    wh_share = np.bincount(home, minlength=n_wh) / max(n_orders, 1)
    # The annual plan: expected units per unit of planned volume, per SKU and warehouse.
    plan = units.sum() * products.popularity[:, None] * wh_share / cal.planned[: cal.days].sum()
    del units
    sim = _Simulation(rng, cal, products, plan)
    seq = np.flatnonzero(ready_day >= 0)
    seq = seq[np.lexsort((ready_at[seq], ready_day[seq]))]
    bounds = np.searchsorted(ready_day[seq], np.arange(cal.days + 1))
    alloc_day, alloc_wh, oos_day = (np.full(n_orders, -1) for _ in range(3))
    pending = np.zeros(0, dtype=np.int64)
    month = cal.dates.astype("datetime64[M]")
    for d in range(cal.days):
        sim.stock += sim.incoming[d]
        sim.on_order -= sim.incoming[d]
        new = seq[bounds[d] : bounds[d + 1]]
        cand = np.concatenate([pending, new])
        chosen = sim.allocate(lines, cand, home)
        alloc_day[cand[chosen >= 0]] = d
        alloc_wh[cand] = chosen
        waiting = cand[chosen < 0]
        keep = backorder[waiting] & (d - ready_day[waiting] < MAX_BACKORDER_DAYS)
        pending = waiting[keep]
        oos_day[waiting[~keep]] = d
        li, _ = _expand(lines, new)
        demand = np.bincount(
            lines.sku[li] * n_wh + home[lines.order[li]],
            weights=lines.qty[li],
            minlength=sim.stock.size,
        ).reshape(sim.stock.shape)
        sim.planner.observe(demand, cal.planned[d])
        rop, out = sim.planner.levels(d)
        if cal.weekday[d] == 0 and d > 0:
            sim.transfer(d, rop, out)
        sim.reorder(d, rop, out)
        if month[d + 1] != month[d]:
            sim.count(d)
    transfer_fields = ["sku", "src", "dst", "qty", "day", "arrive"]
    return StockPlan(
        alloc_day=alloc_day,
        alloc_wh=alloc_wh,
        oos_day=oos_day,
        opening=sim.opening,
        po=sim.po.arrays(PO_FIELDS),
        transfers=sim.transfers.arrays(transfer_fields),
        counts=sim.counts.arrays(["day", "sku", "wh", "delta"]),
    )
