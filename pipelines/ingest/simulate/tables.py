"""Sales-side canonical tables from the simulation's arrays: orders, order lines, order events,
shipments, shipment events, returns and service tickets.

Frames keep a `channel` helper column where the writer splits files by channel; the writer
selects exactly the contract's columns.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.ingest.contract import MONEY
from pipelines.ingest.simulate.calendar import Calendar
from pipelines.ingest.simulate.catalogue import (
    ABROAD,
    CARRIERS,
    CHANNELS,
    CURRENCY,
    PAYMENT_METHODS,
    PROVINCES,
    TRACKING_PREFIX,
    WAREHOUSES,
)
from pipelines.ingest.simulate.convert import frame_of, money, pad, text, ts, ts_expr
from pipelines.ingest.simulate.demand import Lines, Orders
from pipelines.ingest.simulate.lifecycle import HOUR, Steps

ORDER_PREFIX = ["W", "A", "P", "E", "S", "M"]  # per channel: each system numbers its own way
DAY_S_F = 86_400.0
WAREHOUSE_IDS = [w[0] for w in WAREHOUSES]
CARRIER_NAMES = [c[0] for c in CARRIERS]
MODIFY_NOTES = ["delivery address changed", "delivery time changed", "invoice details changed"]


def order_ids(orders: Orders) -> pl.Series:
    letter = pl.Series(ORDER_PREFIX).gather(orders.channel)
    return letter + pad(np.arange(1, len(orders.day) + 1), 9)


def orders_frame(
    cal: Calendar, orders: Orders, ids: pl.Series, customer_ids: np.ndarray
) -> pl.DataFrame:
    abroad = orders.abroad >= 0
    region = np.array([p[0] for p in PROVINCES] + [None], dtype=object)[orders.province]
    region[abroad] = np.array([a[1] for a in ABROAD], dtype=object)[orders.abroad[abroad]]
    country = np.where(abroad, None, "China").astype(object)
    country[abroad] = np.array([a[0] for a in ABROAD], dtype=object)[orders.abroad[abroad]]
    promo = np.array([*cal.promo_codes, None], dtype=object)[orders.promo]
    return frame_of(
        {
            "order_id": ids,
            "customer_id": customer_ids[orders.customer],
            "channel": np.array(CHANNELS, dtype=object)[orders.channel],
            "ordered_at": ts(orders.ordered_at),
            "promised_date": pl.Series(
                np.datetime64(cal.start) + orders.promised_day.astype("timedelta64[D]")
            ).cast(pl.Date),
            "currency": CURRENCY,
            "order_discount": money(orders.coupon),
            "shipping_fee": money(orders.shipping),
            "total_amount": money(orders.net - orders.coupon + orders.shipping),
            "ship_to_region": region,
            "ship_to_city": orders.city,
            "ship_to_country": country,
            "payment_method": np.array(PAYMENT_METHODS, dtype=object)[orders.payment],
            "needs_approval": orders.needs_approval,
            "promotion_code": promo,
        },
        schema_overrides={
            c: pl.String
            for c in [
                "customer_id",
                "channel",
                "ship_to_region",
                "ship_to_city",
                "ship_to_country",
                "payment_method",
                "promotion_code",
            ]
        },  # fmt: skip
    ).with_columns(pl.col("currency").cast(pl.String))


def order_lines_frame(
    lines: Lines, ids: pl.Series, channel: pl.Series, skus: pl.Series
) -> pl.DataFrame:
    return frame_of(
        {
            "order_id": ids.gather(lines.order),
            "line_number": lines.number.astype(np.int64),
            "sku": skus.gather(lines.sku),
            "quantity": lines.qty,
            "unit_price": money(lines.price),
            "discount_amount": money(lines.discount),
            "channel": channel.gather(lines.order),
        }
    ).with_columns(pl.lit(None, MONEY).alias("line_amount"))  # the systems give unit prices


def _lookup(names: list[str], index: np.ndarray) -> pl.Series:
    """names[index] as text, null where index is -1 (no Python objects per row)."""
    return pl.Series([*names, None], dtype=pl.String).gather(np.where(index < 0, len(names), index))


def _events(
    kind: str, at: np.ndarray, with_place: bool, steps: Steps, note: pl.Series | None = None
) -> pl.DataFrame:
    idx = np.flatnonzero(~np.isnan(at))
    none = np.full(len(idx), -1)
    return pl.DataFrame(
        {
            "order": idx.astype(np.int64),
            "event_type": pl.Series([kind], dtype=pl.String).gather(np.zeros(len(idx), np.int64)),
            "event_at": at[idx],
            "warehouse_id": _lookup(WAREHOUSE_IDS, steps.warehouse[idx] if with_place else none),
            "carrier": _lookup(CARRIER_NAMES, steps.carrier[idx] if with_place else none),
            "note": note.gather(idx)
            if note is not None
            else pl.Series([None] * len(idx), dtype=pl.String),
        }
    )


def order_events_frame(
    rng: np.random.Generator,
    cal: Calendar,
    orders: Orders,
    steps: Steps,
    returned_at: np.ndarray,
    ids: pl.Series,
    channel: pl.Series,
) -> pl.DataFrame:
    n = len(orders.day)
    modify_note = _lookup(MODIFY_NOTES, rng.integers(0, len(MODIFY_NOTES), n))
    home = orders.home
    alloc_note = np.select(
        [
            (steps.warehouse >= 0) & (steps.warehouse != home),
            cal.day_of(steps.allocated) > cal.day_of(steps.ready),
        ],
        ["home warehouse out of stock: allocated elsewhere", "backorder released"],
        None,
    )
    parts = [
        _events("received", steps.received, False, steps),
        _events("confirmed", steps.confirmed, False, steps),
        _events("approved", steps.approved, False, steps),
        _events("paid", steps.paid, False, steps),
        _events("modified", steps.modified, False, steps, modify_note),
        _events("allocated", steps.allocated, True, steps, text(alloc_note)),
        _events("picked", steps.picked, True, steps),
        _events("packed", steps.packed, True, steps),
        _events("shipped", steps.shipped, True, steps),
        _events("delivered", steps.delivered, True, steps),
        _events("cancelled", steps.cancelled, False, steps, text(steps.cancel_note)),
        _events("returned", returned_at, True, steps),
    ]
    events = (
        pl.concat(parts)
        .filter(pl.col("event_at") < cal.cutoff)
        .sort("event_at", "order", maintain_order=True)
    )
    return events.select(
        ids.gather(events["order"]).alias("order_id"),
        "event_type",
        ts_expr("event_at").alias("event_at"),
        "warehouse_id",
        "carrier",
        "note",
        channel.gather(events["order"]).alias("channel"),
    )


def shipments_frames(
    cal: Calendar, orders: Orders, steps: Steps, ids: pl.Series
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Shipments (one parcel per shipped order) and their tracking events."""
    idx = np.flatnonzero(~np.isnan(steps.shipped))
    shipped, delivered = steps.shipped[idx], steps.delivered[idx]
    lost, damaged, late = steps.lost[idx], steps.damaged[idx], steps.late[idx]
    wh, carrier = steps.warehouse[idx], steps.carrier[idx]
    shipment_ids = "SH" + pad(idx + 1, 9)
    tracking = pl.Series(TRACKING_PREFIX).gather(carrier) + pad(idx * 7919 % 10**12, 12)
    shipments = frame_of(
        {
            "shipment_id": shipment_ids,
            "order_id": ids.gather(idx),
            "warehouse_id": np.array([w[0] for w in WAREHOUSES], dtype=object)[wh],
            "carrier": np.array([c[0] for c in CARRIERS], dtype=object)[carrier],
            "tracking_number": tracking,
            "shipped_at": ts(shipped),
            "delivered_at": ts(delivered),
        },
        schema_overrides={"warehouse_id": pl.String, "carrier": pl.String},
    )
    # Tracking times sit between hand-over and delivery (a day in transit when unknown).
    gap = np.where(np.isnan(delivered), DAY_S_F, delivered - shipped)
    hub = pl.Series([f"{w[3]}转运中心" for w in WAREHOUSES]).gather(wh)
    dest = pl.Series(orders.city[idx].astype(object), dtype=pl.String)
    origin = pl.Series([w[3] for w in WAREHOUSES]).gather(wh)
    nan = np.full(len(idx), np.nan)
    parts = [
        ("picked_up", shipped, origin),
        ("in_transit", shipped + 0.35 * gap, hub),
        ("damaged", np.where(damaged, shipped + 0.45 * gap, nan), hub),
        ("delayed", np.where(late & ~lost, shipped + 0.6 * gap, nan), hub),
        ("lost", np.where(lost, shipped + 6 * DAY_S_F, nan), hub),
        ("out_for_delivery", delivered - np.minimum(0.2 * gap, 3 * HOUR), dest),
        ("delivered", delivered, dest),
    ]
    events = pl.concat(
        frame_of(
            {
                "shipment_id": shipment_ids,
                "event_at": np.floor(at),
                "status": status,
                "location": where,
                "no": np.arange(len(idx)),
            }
        )
        for status, at, where in parts
    ).filter(pl.col("event_at").is_not_nan() & (pl.col("event_at") < cal.cutoff))
    events = events.sort("event_at", "no", maintain_order=True).select(
        "shipment_id", ts_expr("event_at").alias("event_at"), "status", "location"
    )
    return shipments, events


def returns_frame(
    returns: pl.DataFrame, ids: pl.Series, customer_ids: np.ndarray, skus: pl.Series
) -> pl.DataFrame:
    return returns.select(
        ("RT" + pad(returns["return_no"].to_numpy(), 8)).alias("return_id"),
        ids.gather(returns["order"]).alias("order_id"),
        pl.Series(customer_ids[returns["customer"].to_numpy()], dtype=pl.String).alias(
            "customer_id"
        ),
        skus.gather(returns["sku"]).alias("sku"),
        "quantity",
        "reason",
        pl.col("refund_amount").round(2).cast(MONEY),
        ts_expr("returned_at").alias("returned_at"),
        "is_restocked",
    )


def tickets_frame(tickets: pl.DataFrame, ids: pl.Series, customer_ids: np.ndarray) -> pl.DataFrame:
    order = tickets["order"].to_numpy()
    order_id = pl.select(
        pl.when(pl.Series(order >= 0)).then(ids.gather(np.maximum(order, 0)))
    ).to_series()
    return tickets.select(
        ("TK" + pad(tickets["ticket_no"].to_numpy(), 8)).alias("ticket_id"),
        pl.Series(customer_ids[tickets["customer"].to_numpy()], dtype=pl.String).alias(
            "customer_id"
        ),
        order_id.alias("order_id"),
        "ticket_type",
        "topic",
        "carrier",
        ts_expr("opened_at").alias("opened_at"),
        ts_expr("resolved_at").alias("resolved_at"),
        "satisfaction_score",
    )
