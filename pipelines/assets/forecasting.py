"""Forecasting assets: the replenishment marts, computed by `pipelines.forecasting.plan`."""

from datetime import date

import dagster as dg
import duckdb
import polars as pl

from pipelines.forecasting import plan
from pipelines.settings import Settings, get_settings
from pipelines.warehouse import writer

OUTPUTS = {
    "forecasts": "replenishment_forecasts",
    "backtest": "replenishment_backtest",
    "reorder": "replenishment_reorder",
    "transfers": "replenishment_transfers",
    "accuracy": "replenishment_accuracy",
}
UPSTREAM = ["daily_sales", "daily_stock_positions", "product_sales"]

INPUTS = {
    "sales": """
        SELECT sku, warehouse_id, sales_date AS date, sum(units) AS units
        FROM marts.daily_sales WHERE warehouse_id IS NOT NULL GROUP BY ALL""",
    "stock_flags": """
        SELECT sku, warehouse_id, position_date AS date, is_stockout
        FROM marts.daily_stock_positions""",
    "positions": """
        SELECT sku, warehouse_id, on_hand, on_order, committed
        FROM marts.daily_stock_positions
        WHERE position_date = (SELECT max(position_date) FROM marts.daily_stock_positions)""",
    "products": """
        SELECT p.sku, p.supplier_id, coalesce(p.unit_cost, 0) AS unit_cost, p.pack_size,
               p.min_order_qty, p.list_price, coalesce(s.abc_class, 'C') AS abc_class
        FROM staging.stg_products p LEFT JOIN marts.product_sales s USING (sku)""",
    "po_lines": """
        SELECT po.supplier_id, po.ordered_date, l.received_date
        FROM staging.stg_purchase_order_lines l
        JOIN staging.stg_purchase_orders po USING (po_id)
        WHERE po.status <> 'cancelled'""",
    "suppliers": "SELECT supplier_id, lead_time_days FROM staging.stg_suppliers",
}


def plan_from_warehouse(
    con: duckdb.DuckDBPyConnection,
) -> tuple[date | None, dict[str, pl.DataFrame]]:
    """Read the plan's inputs from the marts and run it as of the data's own clock."""
    frames = {name: con.sql(sql).pl() for name, sql in INPUTS.items()}
    as_of = frames["sales"].get_column("date").max() if frames["sales"].height else None
    if as_of is None:
        return None, {}
    return as_of, plan(as_of=as_of, **frames)  # type: ignore[arg-type]


def write_plan(con: duckdb.DuckDBPyConnection, result: dict[str, pl.DataFrame]) -> dict[str, int]:
    rows = {}
    for key, table in OUTPUTS.items():
        frame = result[key]
        # Structs (the explanations) are kept as JSON text so every reader can show them.
        frame = frame.with_columns(
            [
                pl.col(c).struct.json_encode()
                for c, t in frame.schema.items()
                if isinstance(t, pl.Struct)
            ]
        )
        con.register("_plan", frame.to_arrow())
        sql = f"CREATE OR REPLACE TABLE marts.{table} AS SELECT * FROM _plan"  # noqa: S608 (fixed names)
        con.execute(sql)
        con.unregister("_plan")
        rows[table] = frame.height
    return rows


def run_forecasting(settings: Settings | None = None) -> tuple[date | None, dict[str, int]]:
    settings = settings or get_settings()
    with writer(settings, purpose="forecasting") as con:
        as_of, result = plan_from_warehouse(con)
        if as_of is None:
            return None, {}
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        con.execute("BEGIN TRANSACTION")
        rows = write_plan(con, result)
        con.execute("COMMIT")
    return as_of, rows


def build_forecasting_asset(marts: dict[str, dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.multi_asset(
        specs=[
            dg.AssetSpec(
                ["marts", table], group_name="forecasting", deps=[marts[m] for m in UPSTREAM]
            )
            for table in OUTPUTS.values()
        ],
        pool="warehouse",
    )
    def replenishment(context: dg.AssetExecutionContext):
        """Demand forecasts with backtested accuracy, the reorder list and transfers."""
        as_of, rows = run_forecasting()
        for table in OUTPUTS.values():
            yield dg.MaterializeResult(
                asset_key=dg.AssetKey(["marts", table]),
                metadata={"rows": rows.get(table, 0), "as_of": str(as_of)},
            )

    return replenishment
