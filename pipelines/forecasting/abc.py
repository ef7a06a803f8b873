"""ABC classes of SKUs by the value they sell, which set their service level.

Classic Pareto cut: sort SKUs by sales value, A while the value of the SKUs before it is
under `a_share` (80%) of the total, B under `b_share` (95%), C for the rest and for SKUs
that sold nothing. Value = units * list_price (unit_cost where no price is known).
"""

from __future__ import annotations

import polars as pl

A_SHARE = 0.80
B_SHARE = 0.95

Frame = pl.DataFrame | pl.LazyFrame


def abc_classes(
    sales: Frame, products: Frame, a_share: float = A_SHARE, b_share: float = B_SHARE
) -> pl.DataFrame:
    """`sku`, `sales_value`, `abc_class` for every product.

    sales: `sku`, `units`; products: `sku` and `list_price` and/or `unit_cost`.
    """
    products = products.lazy()
    names = products.collect_schema().names()
    price = pl.coalesce(
        [pl.col(c).cast(pl.Float64) for c in ("list_price", "unit_cost") if c in names]
        + [pl.lit(0.0)]
    )
    units = sales.lazy().group_by("sku").agg(pl.col("units").cast(pl.Float64).sum())
    before = pl.col("sales_value").cum_sum() - pl.col("sales_value")
    share_before = before / pl.col("sales_value").sum()
    return (
        products.select("sku", price.alias("price"))
        .join(units, on="sku", how="left")
        .select("sku", (pl.col("units").fill_null(0.0) * pl.col("price")).alias("sales_value"))
        .sort(["sales_value", "sku"], descending=[True, False])
        .with_columns(
            pl.when(pl.col("sales_value") <= 0)
            .then(pl.lit("C"))
            .when(share_before < a_share)
            .then(pl.lit("A"))
            .when(share_before < b_share)
            .then(pl.lit("B"))
            .otherwise(pl.lit("C"))
            .alias("abc_class")
        )
        .collect()
    )
