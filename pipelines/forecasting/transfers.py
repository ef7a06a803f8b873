"""Transfer suggestions: cover one warehouse's deficit from another's surplus before buying.

For one SKU:
- surplus of a warehouse = floor(position - (reorder point + review-period demand)): what it
  holds beyond what its own next cycle needs; its safety stock is inside the reorder point,
  so it keeps it;
- need of a warehouse at or below its reorder point = ceil(reorder point + review-period
  demand - position): what brings it just above the reorder point for a cycle.

A lane (from, to) qualifies when its cost per unit is below the cost of buying and holding
a unit instead, and its transfer arrives by the receiver's projected stockout date (no
stockout projected: always in time). Buying+holding per unit = ordering cost / units the
receiver would order + unit cost * holding rate * (lead time + review period) / 365: the
order's fixed cost spread over its units, plus carrying the extra unit through a cycle
while the surplus sits idle elsewhere.

Allocation is greedy: the receiver that runs out first is served first, from the cheapest
qualifying lane, then the next; it is sequential because each transfer changes what is
left for the next, and it runs over candidate lanes (a few per SKU), not over data rows.
"""

from __future__ import annotations

from datetime import date

import polars as pl

from pipelines.forecasting.policy import DAYS_PER_YEAR, HOLDING_RATE, ORDERING_COST

TRANSFER_COST_PER_UNIT = 0.5
TRANSFER_LEAD_DAYS = 2

LANE_SCHEMA = {
    "from_warehouse_id": pl.String,
    "to_warehouse_id": pl.String,
    "cost_per_unit": pl.Float64,
    "lead_days": pl.Int64,
}
TRANSFER_SCHEMA = {
    "sku": pl.String,
    "from_warehouse_id": pl.String,
    "to_warehouse_id": pl.String,
    "quantity": pl.Int64,
    "cost_per_unit": pl.Float64,
    "buy_cost_per_unit": pl.Float64,
    "lead_days": pl.Int64,
    "arrival_date": pl.Date,
    "stockout_date": pl.Date,
}


def suggest_transfers(
    status: pl.DataFrame,
    as_of: date,
    review_days: int,
    lanes: pl.DataFrame | None = None,
    cost_per_unit: float = TRANSFER_COST_PER_UNIT,
    lead_days: int = TRANSFER_LEAD_DAYS,
    ordering_cost: float = ORDERING_COST,
    holding_rate: float = HOLDING_RATE,
) -> pl.DataFrame:
    """One row per suggested move (columns of `TRANSFER_SCHEMA`).

    status: one row per (`sku`, `warehouse_id`) with `position`, `reorder_point`,
        `review_demand`, `lead_time_mean`, `unit_cost`, `order_qty`, `stockout_date`.
    lanes: optional `from_warehouse_id`, `to_warehouse_id`, `cost_per_unit`, `lead_days`
        per pair; pairs not listed use the flat `cost_per_unit` and `lead_days`.
    """
    candidates = _candidate_lanes(
        status, as_of, review_days, lanes, cost_per_unit, lead_days, ordering_cost, holding_rate
    )
    return _allocate(candidates)


def _candidate_lanes(
    status: pl.DataFrame,
    as_of: date,
    review_days: int,
    lanes: pl.DataFrame | None,
    cost_per_unit: float,
    lead_days: int,
    ordering_cost: float,
    holding_rate: float,
) -> pl.DataFrame:
    cycle_stock = pl.col("reorder_point") + pl.col("review_demand")
    givers = status.select(
        "sku",
        pl.col("warehouse_id").alias("from_warehouse_id"),
        (pl.col("position") - cycle_stock).floor().cast(pl.Int64).alias("surplus"),
    ).filter(pl.col("surplus") > 0)
    unit_cost = pl.col("unit_cost").cast(pl.Float64).fill_null(0.0)
    cycle_days = pl.col("lead_time_mean") + review_days
    takers = status.filter(pl.col("position") <= pl.col("reorder_point")).select(
        "sku",
        pl.col("warehouse_id").alias("to_warehouse_id"),
        (cycle_stock - pl.col("position")).ceil().cast(pl.Int64).alias("need"),
        "stockout_date",
        (
            ordering_cost / pl.max_horizontal(pl.col("order_qty"), pl.lit(1)).cast(pl.Float64)
            + unit_cost * holding_rate * cycle_days / DAYS_PER_YEAR
        ).alias("buy_cost_per_unit"),
    )
    lane_table = lanes if lanes is not None else pl.DataFrame(schema=LANE_SCHEMA)
    arrival = pl.lit(as_of) + pl.duration(days=pl.col("lead_days"))
    return (
        givers.join(takers, on="sku", how="inner")
        .filter(pl.col("from_warehouse_id") != pl.col("to_warehouse_id"))
        .join(
            lane_table.cast(LANE_SCHEMA),  # type: ignore[arg-type]
            on=["from_warehouse_id", "to_warehouse_id"],
            how="left",
        )
        .with_columns(
            pl.col("cost_per_unit").fill_null(cost_per_unit),
            pl.col("lead_days").fill_null(lead_days),
        )
        .with_columns(arrival.alias("arrival_date"))
        .filter(
            (pl.col("cost_per_unit") < pl.col("buy_cost_per_unit"))
            & (
                pl.col("stockout_date").is_null()
                | (pl.col("arrival_date") <= pl.col("stockout_date"))
            )
        )
        .sort(
            ["sku", "stockout_date", "to_warehouse_id", "cost_per_unit", "from_warehouse_id"],
            nulls_last=True,
        )
    )


def _allocate(candidates: pl.DataFrame) -> pl.DataFrame:
    left_surplus: dict[tuple[str, str], int] = {}
    left_need: dict[tuple[str, str], int] = {}
    moves: list[dict[str, object]] = []
    for lane in candidates.iter_rows(named=True):
        giver = (lane["sku"], lane["from_warehouse_id"])
        taker = (lane["sku"], lane["to_warehouse_id"])
        available = left_surplus.setdefault(giver, lane["surplus"])
        wanted = left_need.setdefault(taker, lane["need"])
        quantity = min(available, wanted)
        if quantity <= 0:
            continue
        left_surplus[giver] -= quantity
        left_need[taker] -= quantity
        moves.append({key: lane[key] for key in TRANSFER_SCHEMA if key != "quantity"})
        moves[-1]["quantity"] = quantity
    return pl.DataFrame(moves, schema=TRANSFER_SCHEMA)


def net_transfers(transfers: pl.DataFrame) -> pl.DataFrame:
    """`sku`, `warehouse_id`, `transfer_in`, `transfer_out` totals per warehouse."""
    inbound = transfers.group_by("sku", pl.col("to_warehouse_id").alias("warehouse_id")).agg(
        pl.col("quantity").sum().alias("transfer_in")
    )
    outbound = transfers.group_by("sku", pl.col("from_warehouse_id").alias("warehouse_id")).agg(
        pl.col("quantity").sum().alias("transfer_out")
    )
    return inbound.join(outbound, on=["sku", "warehouse_id"], how="full", coalesce=True).select(
        "sku",
        "warehouse_id",
        pl.col("transfer_in").fill_null(0),
        pl.col("transfer_out").fill_null(0),
    )
