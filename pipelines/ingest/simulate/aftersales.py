"""After the sale: returns (and refunds of cancelled paid orders) and service tickets.

Late, damaged and lost parcels raise the return and complaint rates and lower satisfaction,
so the customer and efficiency marts can find the link.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.ingest.simulate.calendar import Calendar
from pipelines.ingest.simulate.catalogue import CARRIERS, CATEGORIES, DAY_S, Products
from pipelines.ingest.simulate.convert import frame_of
from pipelines.ingest.simulate.demand import Lines, Orders
from pipelines.ingest.simulate.lifecycle import HOUR, Steps

# Reasons drawn for delivered lines (the contract's "cancelled" is for refunds of cancellations).
REASONS = ["damaged", "defective", "wrong_item", "late_delivery", "not_as_described",
           "changed_mind", "other"]  # fmt: skip
RESTOCKED = {"wrong_item", "late_delivery", "not_as_described", "changed_mind", "other"}
TOPIC_OF_REASON = {
    "damaged": "damaged",
    "wrong_item": "wrong_item",
    "late_delivery": "late_delivery",
}
INQUIRY_SHARE, ORDERLESS_INQUIRY_SHARE, RETURN_REQUEST_SHARE = 0.03, 0.005, 0.6


def _categorical(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """Column index per row; len(columns) means none (probabilities sum to at most 1)."""
    return (rng.random(len(probs))[:, None] > np.cumsum(probs, axis=1)).sum(axis=1)


def make_returns(
    rng: np.random.Generator,
    cal: Calendar,
    products: Products,
    orders: Orders,
    lines: Lines,
    steps: Steps,
) -> pl.DataFrame:
    """One row per returned line, plus refunds of lines of paid orders that were cancelled.

    Columns: contract columns with indices (order, customer, sku) still numeric, plus the
    warehouse index, for the writer and the stock movements.
    """
    o = lines.order
    delivered = steps.delivered[o]
    sold = ~np.isnan(delivered)
    factor = np.array([c[8] for c in CATEGORIES])[products.category[lines.sku]]
    damaged, late = steps.damaged[o], steps.late[o]
    base = np.stack(
        [
            np.where(damaged, 0.6, 0.002),
            np.full(len(o), 0.01),
            np.full(len(o), 0.004),
            np.where(late, 0.05, 0.0),
            0.008 * factor,
            0.025 * factor,
            np.full(len(o), 0.003),
        ],
        axis=1,
    )
    reason = _categorical(rng, base)
    hit = sold & (reason < len(REASONS))
    idx = np.flatnonzero(hit)
    qty = lines.qty[idx]
    back = np.where(qty > 1, rng.integers(1, qty + 1), 1)
    net = lines.qty[idx] * lines.price[idx] - lines.discount[idx]
    returned_at = delivered[idx] + (2 + rng.exponential(4.0, len(idx))) * DAY_S
    names = np.array(REASONS, dtype=object)[reason[idx]]
    cancelled = np.flatnonzero(~np.isnan(steps.cancelled[o]) & ~np.isnan(steps.paid[o]))
    frame = frame_of(
        {
            "line": np.concatenate([idx, cancelled]),
            "quantity": np.concatenate([back, lines.qty[cancelled]]).astype(np.int64),
            "reason": np.concatenate([names, np.full(len(cancelled), "cancelled", dtype=object)]),
            "refund_amount": np.round(
                np.concatenate(
                    [
                        net * back / qty,
                        lines.qty[cancelled] * lines.price[cancelled] - lines.discount[cancelled],
                    ]
                ),
                2,
            ),
            "returned_at": np.floor(
                np.concatenate([returned_at, steps.cancelled[o[cancelled]] + 600])
            ),
        },
        schema_overrides={"reason": pl.String},
    )
    line = frame["line"].to_numpy()
    order = o[line]
    return (
        frame.with_columns(
            order=order,
            sku=lines.sku[line],
            customer=orders.customer[order],
            wh=steps.warehouse[order],
            is_restocked=pl.col("reason").is_in(list(RESTOCKED)),
        )
        .filter(pl.col("returned_at") < cal.cutoff)
        .sort("returned_at", "line", "reason")
        .with_row_index("return_no", offset=1)
    )


def _resolution(rng: np.random.Generator, kind: np.ndarray) -> np.ndarray:
    """Hours to resolve: inquiries fast, complaints slower, return requests slowest."""
    median = np.select([kind == "inquiry", kind == "complaint"], [3.0, 20.0], 30.0)
    return median * rng.lognormal(0.0, 0.8, len(kind))


def make_tickets(
    rng: np.random.Generator,
    cal: Calendar,
    orders: Orders,
    steps: Steps,
    returns: pl.DataFrame,
) -> pl.DataFrame:
    """Service tickets: delivery complaints, inquiries, return requests."""
    n = len(orders.day)
    u = rng.random
    shipped = ~np.isnan(steps.shipped)
    lost, damaged, late = steps.lost, steps.damaged, steps.late & ~steps.lost
    p_complaint = np.select([lost, damaged, late], [0.9, 0.7, 0.3], 0.012) * shipped
    complaint = np.flatnonzero(u(n) < p_complaint)
    promise_over = cal.day_start(orders.promised_day + 1) + (10 + 8 * u(n)) * HOUR
    after_delivery = steps.delivered + (1 + 47 * u(n)) * HOUR
    opened = np.select(
        [lost, late],
        [steps.shipped + 7 * DAY_S, np.fmin(promise_over, after_delivery)],
        after_delivery,
    )
    topic = np.select([lost, damaged, late], ["lost", "damaged", "late_delivery"], "other")
    inquiry = np.flatnonzero(u(n) < INQUIRY_SHARE)
    inquiry_topic = np.array(["product_question", "billing", "other"], dtype=object)[
        (u(len(inquiry))[:, None] > np.array([0.6, 0.85])).sum(1)
    ]
    ret = returns.filter(pl.col("reason") != "cancelled", pl.col("order").is_first_distinct())
    ret = ret.filter(pl.Series(u(ret.height) < RETURN_REQUEST_SHARE))
    req_order = ret["order"].to_numpy()
    req_opened = np.fmax(
        ret["returned_at"].to_numpy() - (1 + 2 * u(ret.height)) * DAY_S,
        steps.delivered[req_order] + HOUR,
    )
    orderless = rng.integers(1, max(orders.customer.max(), 1) + 1, int(n * ORDERLESS_INQUIRY_SHARE))
    orderless_at = cal.epoch_start + u(len(orderless)) * cal.days * DAY_S
    carriers = np.array([c[0] for c in CARRIERS], dtype=object)
    frame = frame_of(
        {
            "order": np.concatenate([complaint, inquiry, req_order, np.full(len(orderless), -1)]),
            "customer": np.concatenate(
                [
                    orders.customer[complaint],
                    orders.customer[inquiry],
                    orders.customer[req_order],
                    orderless,
                ]
            ),  # fmt: skip
            "ticket_type": np.concatenate(
                [
                    np.full(len(complaint), "complaint", dtype=object),
                    np.full(len(inquiry), "inquiry", dtype=object),
                    np.full(len(req_order), "return_request", dtype=object),
                    np.full(len(orderless), "inquiry", dtype=object),
                ]
            ),  # fmt: skip
            "topic": np.concatenate(
                [
                    topic[complaint],
                    inquiry_topic,
                    np.array(
                        [TOPIC_OF_REASON.get(r, "other") for r in ret["reason"]], dtype=object
                    ),
                    np.full(len(orderless), "product_question", dtype=object),
                ]
            ),  # fmt: skip
            "carrier": np.concatenate(
                [
                    np.where(topic[complaint] != "other", carriers[steps.carrier[complaint]], None),
                    np.full(len(inquiry) + len(req_order) + len(orderless), None),
                ]
            ),  # fmt: skip
            "opened_at": np.floor(
                np.concatenate(
                    [
                        opened[complaint],
                        orders.ordered_at[inquiry] + (0.1 + 72 * u(len(inquiry))) * HOUR,
                        req_opened,
                        orderless_at,
                    ]
                )
            ),  # fmt: skip
            "trouble": np.concatenate(
                [
                    (late * 1.4 + damaged * 1.2 + lost * 2.0)[complaint],
                    np.zeros(len(inquiry)),
                    (late * 1.0 + damaged * 1.0)[req_order],
                    np.zeros(len(orderless)),
                ]
            ),  # fmt: skip
        },
        schema_overrides={"ticket_type": pl.String, "topic": pl.String, "carrier": pl.String},
    ).filter(pl.col("opened_at") < cal.cutoff)
    hours = _resolution(rng, frame["ticket_type"].to_numpy())
    resolved = np.floor(frame["opened_at"].to_numpy() + hours * HOUR)
    score = (
        4.5
        - frame["trouble"].to_numpy()
        - np.minimum(hours, 96) / 48
        + rng.normal(0, 0.7, len(hours))
    )
    score = np.where(u(len(hours)) < 0.3, np.nan, np.clip(np.round(score), 1, 5))
    open_now = resolved >= cal.cutoff
    return (
        frame.with_columns(
            resolved_at=pl.Series(np.where(open_now, np.nan, resolved)).fill_nan(None),
            satisfaction_score=pl.Series(np.where(open_now, np.nan, score))
            .fill_nan(None)
            .cast(pl.Int64),
        )
        .drop("trouble")
        .sort("opened_at", "order", "ticket_type")
        .with_row_index("ticket_no", offset=1)
    )
