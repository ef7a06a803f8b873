"""Replenishment arithmetic: safety stock, reorder point, EOQ, order quantity and timing.

Conventions (all quantities in units, times in days, money in the product's currency):
- safety stock = z * sqrt(L * sigma_d^2 + d^2 * sigma_L^2), z the normal quantile of the
  SKU's service level (by ABC class);
- reorder point (ROP) = forecast demand over the lead time + safety stock;
- position = on hand + on order - committed; an order is due when position <= ROP and
  there is forecast demand to cover (ROP + review-period demand > 0);
- quantity = max(EOQ, MOQ, ROP - position + forecast demand over the review period after the
  lead time), rounded up to whole packs;
- EOQ = sqrt(2 * annual demand * ordering cost / (unit cost * holding rate)), annual demand
  = 365 * d; unknown or zero unit cost gives no EOQ (the other two terms decide);
- order-by date = projected stockout date - ceil(L): the last day an order placed still
  arrives before the shelf runs empty; `is_late` when that day is before `as_of`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from statistics import NormalDist

import polars as pl

DAYS_PER_YEAR = 365.0
# Defaults a planner can override: a purchase order's fixed cost (handling, receiving,
# invoice) and the yearly cost of holding stock as a share of its value (capital, space,
# shrinkage; 20-30% is the textbook range).
ORDERING_COST = 50.0
HOLDING_RATE = 0.25
SERVICE_LEVELS = {"A": 0.98, "B": 0.95, "C": 0.90}

IntoExpr = pl.Expr | str | float | int


@dataclass(frozen=True)
class PolicyParams:
    ordering_cost: float = ORDERING_COST
    holding_rate: float = HOLDING_RATE
    service_levels: dict[str, float] = field(default_factory=lambda: dict(SERVICE_LEVELS))


def _e(value: IntoExpr) -> pl.Expr:
    """Column name -> column, number -> literal, expression as is."""
    if isinstance(value, pl.Expr):
        return value
    if isinstance(value, str):
        return pl.col(value)
    return pl.lit(float(value))


def service_z(level: float) -> float:
    """z such that P(Z <= z) = level for a standard normal Z."""
    return NormalDist().inv_cdf(level)


def z_table(service_levels: dict[str, float]) -> pl.DataFrame:
    """`abc_class`, `service_level`, `z` for a mapping of class -> service level."""
    return pl.DataFrame(
        {
            "abc_class": list(service_levels),
            "service_level": list(service_levels.values()),
            "z": [service_z(level) for level in service_levels.values()],
        }
    )


def safety_stock(
    z: IntoExpr, d: IntoExpr, sigma_d: IntoExpr, lead: IntoExpr, sigma_lead: IntoExpr
) -> pl.Expr:
    """z * sqrt(L * sigma_d^2 + d^2 * sigma_L^2)."""
    variance = _e(lead) * _e(sigma_d).pow(2) + _e(d).pow(2) * _e(sigma_lead).pow(2)
    return _e(z) * variance.sqrt()


def eoq(
    annual_demand: IntoExpr, ordering_cost: IntoExpr, unit_cost: IntoExpr, holding_rate: IntoExpr
) -> pl.Expr:
    """sqrt(2 D S / (c h)); null where the unit cost is unknown or zero."""
    holding = _e(unit_cost) * _e(holding_rate)
    return (
        pl.when(holding > 0)
        .then((2.0 * _e(annual_demand) * _e(ordering_cost) / holding).sqrt())
        .otherwise(None)
    )


def round_up_to_pack(qty: IntoExpr, pack: IntoExpr) -> pl.Expr:
    """Smallest multiple of `pack` that is >= qty (packs below 1 count as 1)."""
    size = pl.max_horizontal(_e(pack), pl.lit(1.0))
    # Subtract a hair before ceil so float noise (12.000000001 / 4) does not add a pack.
    return ((_e(qty) / size - 1e-9).ceil().clip(lower_bound=0.0) * size).cast(pl.Int64)


def order_due(position: IntoExpr, reorder_point: IntoExpr, review_demand: IntoExpr) -> pl.Expr:
    """position <= ROP, and some demand to cover (no MOQ-sized orders for dead items)."""
    return (_e(position) <= _e(reorder_point)) & (_e(reorder_point) + _e(review_demand) > 0)


def order_quantity(
    position: IntoExpr,
    reorder_point: IntoExpr,
    review_demand: IntoExpr,
    eoq_qty: IntoExpr,
    moq: IntoExpr,
    pack: IntoExpr,
) -> pl.Expr:
    """0 above the reorder point; else max(EOQ, MOQ, shortfall + review demand) in packs."""
    shortfall = _e(reorder_point) - _e(position) + _e(review_demand)
    wanted = pl.max_horizontal(_e(eoq_qty).fill_null(0.0), _e(moq), shortfall)
    return (
        pl.when(order_due(position, reorder_point, review_demand))
        .then(round_up_to_pack(wanted, pack))
        .otherwise(pl.lit(0, dtype=pl.Int64))
    )


def replenishment(frame: pl.DataFrame, as_of: date, params: PolicyParams) -> pl.DataFrame:
    """Add the policy columns to one row per (sku, warehouse_id).

    frame needs: `d`, `sigma_d` (daily demand mean and std), `lead_time_mean`,
    `lead_time_std`, `abc_class`, `lead_time_demand` and `review_demand` (forecast sums, see
    projection.py), `stockout_date`, `on_hand`, `on_order`, `committed`, `unit_cost`,
    `pack_size`, `min_order_qty`; optional `transfer_in` and `transfer_out` (suggested
    transfers count in the position as if already on order or committed).
    Adds `service_level`, `z`, `safety_stock`, `reorder_point`, `position`, `eoq`,
    `needs_order`, `order_qty`, `order_by_date`, `is_late`.
    """
    lead_days = pl.duration(days=pl.col("lead_time_mean").ceil().cast(pl.Int64))
    return (
        frame.join(z_table(params.service_levels), on="abc_class", how="left")
        .with_columns(
            safety_stock("z", "d", "sigma_d", "lead_time_mean", "lead_time_std").alias(
                "safety_stock"
            ),
            position_expr(frame.columns).alias("position"),
            eoq(
                pl.col("d") * DAYS_PER_YEAR,
                params.ordering_cost,
                pl.col("unit_cost").cast(pl.Float64),
                params.holding_rate,
            ).alias("eoq"),
        )
        .with_columns((pl.col("lead_time_demand") + pl.col("safety_stock")).alias("reorder_point"))
        .with_columns(
            order_due("position", "reorder_point", "review_demand").alias("needs_order"),
            order_quantity(
                "position",
                "reorder_point",
                "review_demand",
                "eoq",
                pl.col("min_order_qty").cast(pl.Float64),
                pl.col("pack_size").cast(pl.Float64),
            ).alias("order_qty"),
            (pl.col("stockout_date") - lead_days).alias("order_by_date"),
        )
        .with_columns((pl.col("order_by_date") < as_of).fill_null(False).alias("is_late"))
    )


def position_expr(columns: list[str]) -> pl.Expr:
    """on hand + on order - committed (+ transfers in - transfers out where present)."""
    position = pl.col("on_hand") + pl.col("on_order") - pl.col("committed")
    if "transfer_in" in columns:
        position = position + pl.col("transfer_in")
    if "transfer_out" in columns:
        position = position - pl.col("transfer_out")
    return position.cast(pl.Float64)
