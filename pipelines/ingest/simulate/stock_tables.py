"""Stock-side canonical tables: purchase orders and their lines, stock movements, stock counts.

Movements are the book: opening balance, receipts, sales at shipping, restocked returns,
transfers and count adjustments. Counts are the book at count time plus what the counters
found missing (or extra); the adjustment that follows brings the book in line.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from pipelines.ingest.simulate.calendar import Calendar
from pipelines.ingest.simulate.catalogue import SUPPLIERS, WAREHOUSES, Products
from pipelines.ingest.simulate.convert import money, ts_expr
from pipelines.ingest.simulate.demand import Lines
from pipelines.ingest.simulate.inventory import StockPlan
from pipelines.ingest.simulate.lifecycle import HOUR, Steps

COUNT_HOUR, RECEIPT_HOUR, TRANSFER_OUT_HOUR = 22.0, 5.0, 20.0
WAREHOUSE_IDS = pl.Series([w[0] for w in WAREHOUSES])


def _date(cal: Calendar, day: np.ndarray) -> pl.Series:
    return pl.Series(np.datetime64(cal.start) + day.astype("timedelta64[D]")).cast(pl.Date)


def purchase_frames(
    cal: Calendar, products: Products, plan: StockPlan, skus: pl.Series
) -> tuple[pl.DataFrame, pl.DataFrame]:
    po = plan.po
    live = ~po["cancelled"].astype(bool)
    got1 = live & (po["arrive1"] < cal.days)
    got2 = live & (po["arrive2"] >= 0) & (po["arrive2"] < cal.days)
    received = po["qty1"] * got1 + po["qty2"] * got2
    last = np.where(got2, po["arrive2"], np.where(got1, po["arrive1"], -1))
    po_ids = "PO" + pl.Series(po["po"] + 1).cast(pl.String).str.zfill(7)
    lines = pl.DataFrame(
        {
            "po_id": po_ids,
            "sku": skus.gather(po["sku"]),
            "ordered_quantity": po["qty"].astype(np.int64),
            "unit_cost": money(products.frame["unit_cost"].to_numpy()[po["sku"]]),
            "expected_date": _date(cal, po["expected"]),
            "received_quantity": received.astype(np.int64),
            "received_date": _date(cal, np.maximum(last, 0)).zip_with(
                pl.Series(last >= 0), pl.Series([None] * len(last), dtype=pl.Date)
            ),
            "_cancelled": po["cancelled"].astype(bool),
            "_full": received >= po["qty"],
            "_supplier": po["supplier"],
            "_wh": po["wh"],
            "_day": po["day"],
        }
    ).with_columns(pl.int_range(1, pl.len() + 1).over("po_id").cast(pl.Int64).alias("line_number"))
    headers = (
        lines.group_by("po_id", maintain_order=True)
        .agg(
            pl.col("_supplier").first(),
            pl.col("_wh").first(),
            pl.col("_day").first(),
            pl.col("expected_date").first(),
            pl.col("_cancelled").first(),
            pl.col("_full").all(),
            (pl.col("received_quantity").sum() > 0).alias("_some"),
        )
        .select(
            "po_id",
            "_supplier",
            "_wh",
            "_day",
            "expected_date",
            pl.when(pl.col("_cancelled"))
            .then(pl.lit("cancelled"))
            .when(pl.col("_full"))
            .then(pl.lit("received"))
            .when(pl.col("_some"))
            .then(pl.lit("partially_received"))
            .otherwise(pl.lit("open"))
            .alias("status"),
        )
    )
    headers = headers.select(
        "po_id",
        pl.Series([s[0] for s in SUPPLIERS]).gather(headers["_supplier"]).alias("supplier_id"),
        WAREHOUSE_IDS.gather(headers["_wh"]).alias("warehouse_id"),
        _date(cal, headers["_day"].to_numpy()).alias("ordered_date"),
        "expected_date",
        "status",
    )
    return headers, lines.select(
        "po_id", "line_number", "sku", "ordered_quantity", "unit_cost", "expected_date",
        "received_quantity", "received_date",
    )  # fmt: skip


Values = np.ndarray | pl.Series


def _moves(
    sku: Values, wh: Values, at: Values, kind: str, qty: Values, ref: pl.Series
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "sku": np.asarray(sku, dtype=np.int64),
            "wh": np.asarray(wh, dtype=np.int64),
            "at": np.floor(np.asarray(at, dtype=float)),
            "movement_type": kind,
            "quantity": np.asarray(qty, dtype=np.int64),
            "reference_id": ref,
        },
        schema_overrides={"reference_id": pl.String, "movement_type": pl.String},
    )


def movements_frame(
    rng: np.random.Generator,
    cal: Calendar,
    plan: StockPlan,
    lines: Lines,
    steps: Steps,
    returns: pl.DataFrame,
    order_ids: pl.Series,
) -> pl.DataFrame:
    """All movements, numeric sku/wh still, sorted by time (ids added by `finish_movements`)."""
    parts = []
    sku, wh = np.nonzero(plan.opening)
    parts.append(
        _moves(sku, wh, np.full(len(sku), cal.epoch_start + 1), "adjustment",
               plan.opening[sku, wh], pl.Series(["OPENING-BALANCE"] * len(sku)))
    )  # fmt: skip
    po = plan.po
    po_ids = "PO" + pl.Series(po["po"] + 1).cast(pl.String).str.zfill(7)
    for arrive, qty in (("arrive1", "qty1"), ("arrive2", "qty2")):
        ok = (~po["cancelled"].astype(bool)) & (po[arrive] >= 0) & (po[arrive] < cal.days)
        at = cal.day_start(po[arrive][ok]) + (RECEIPT_HOUR + rng.random(ok.sum())) * HOUR
        parts.append(
            _moves(po["sku"][ok], po["wh"][ok], at, "receipt", po[qty][ok], po_ids.filter(ok))
        )
    shipped = ~np.isnan(steps.shipped[lines.order])
    o = lines.order[shipped]
    parts.append(
        _moves(lines.sku[shipped], steps.warehouse[o], steps.shipped[o], "sale",
               -lines.qty[shipped], order_ids.gather(o))
    )  # fmt: skip
    back = returns.filter(pl.col("is_restocked"), pl.col("wh") >= 0)
    parts.append(
        _moves(back["sku"], back["wh"], back["returned_at"], "return", back["quantity"],
               order_ids.gather(back["order"]))
    )  # fmt: skip
    t = plan.transfers
    ref = "TR" + pl.Series(np.arange(1, len(t["sku"]) + 1)).cast(pl.String).str.zfill(7)
    out_at = cal.day_start(t["day"]) + TRANSFER_OUT_HOUR * HOUR
    in_at = cal.day_start(t["arrive"]) + (RECEIPT_HOUR + 0.5) * HOUR
    parts.append(_moves(t["sku"], t["src"], out_at, "transfer_out", -t["qty"], ref))
    parts.append(_moves(t["sku"], t["dst"], in_at, "transfer_in", t["qty"], ref))
    c = plan.counts
    adjusted = c["delta"] != 0
    count_ref = pl.Series(
        np.datetime_as_string(cal.dates[c["day"][adjusted]], unit="M")
    ).str.replace("-", "")
    parts.append(
        _moves(c["sku"][adjusted], c["wh"][adjusted],
               cal.day_start(c["day"][adjusted]) + COUNT_HOUR * HOUR + 300, "adjustment",
               c["delta"][adjusted], "COUNT-" + count_ref)
    )  # fmt: skip
    return (
        pl.concat(parts)
        .filter(pl.col("at") < cal.cutoff)
        .sort("at", "movement_type", "sku", "wh", "reference_id", maintain_order=True)
        .with_row_index("no", offset=1)
    )


def counts_frame(
    cal: Calendar, plan: StockPlan, moves: pl.DataFrame, skus: pl.Series
) -> pl.DataFrame:
    """Counted units: the book at count time plus the difference the counters found."""
    c = plan.counts
    counts = pl.DataFrame(
        {
            "sku": c["sku"].astype(np.int64),
            "wh": c["wh"].astype(np.int64),
            "at": cal.day_start(c["day"]) + COUNT_HOUR * HOUR,
            "delta": c["delta"].astype(np.int64),
        }
    ).sort("at")
    book = (
        moves.sort("sku", "wh", "at", "no")
        .with_columns(pl.col("quantity").cum_sum().over("sku", "wh").alias("book"))
        .group_by("sku", "wh", "at", maintain_order=True)
        .agg(pl.col("book").last())
        .sort("at", "sku", "wh")
    )
    # Sorted by time overall, hence within every (sku, wh) group too.
    joined = counts.join_asof(
        book, on="at", by=["sku", "wh"], strategy="backward", check_sortedness=False
    ).sort("at", "wh", "sku")
    return joined.select(
        WAREHOUSE_IDS.gather(joined["wh"]).alias("warehouse_id"),
        skus.gather(joined["sku"]).alias("sku"),
        ts_expr("at").alias("counted_at"),
        (pl.col("book").fill_null(0) + pl.col("delta")).clip(0).alias("counted_quantity"),
    )


def finish_movements(moves: pl.DataFrame, skus: pl.Series) -> pl.DataFrame:
    return moves.select(
        ("SM" + pl.col("no").cast(pl.String).str.zfill(10)).alias("movement_id"),
        skus.gather(moves["sku"]).alias("sku"),
        WAREHOUSE_IDS.gather(moves["wh"]).alias("warehouse_id"),
        ts_expr("at").alias("moved_at"),
        "movement_type",
        "quantity",
        "reference_id",
    )
