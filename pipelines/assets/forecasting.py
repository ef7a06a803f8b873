"""Forecasting assets: the replenishment marts, computed by `pipelines.forecasting.plan`.

The models are refitted weekly (when the data's day is a review period past the last fit,
or on request) and the plan is recomputed on every build from the stored fit. The policy
simulation (`pipelines.forecasting.simulation`) runs with each refit only: it replays the
last `ORDERLENS_SIMULATION_WEEKS` weeks, refitting the forecast every four simulated weeks,
which costs several refits; the table it writes stays until the next refit.

The forecasting code (statsforecast, statsmodels, LightGBM: seconds of imports) is imported
when an asset or function here runs, not with the module: every Dagster run process loads the
definitions, and a landing build, which does not forecast, would wait for those imports.
"""

from datetime import date, timedelta
from typing import TYPE_CHECKING, NamedTuple

import dagster as dg
import duckdb
import polars as pl

from pipelines.resources import SettingsResource
from pipelines.settings import Settings
from pipelines.warehouse import writer

if TYPE_CHECKING:
    from pipelines.forecasting import Fit

OUTPUTS = {
    "forecasts": "replenishment_forecasts",
    "backtest": "replenishment_backtest",
    "reorder": "replenishment_reorder",
    "transfers": "replenishment_transfers",
    "accuracy": "replenishment_accuracy",
}
SIMULATION = "replenishment_policy_simulation"
# The forecast inside the simulation is refitted every 4 simulated weeks, and re-planned daily.
SIMULATION_REFIT_WEEKS = 4


def replan_history_days() -> int:
    """The days of history a re-plan reads: the demand window and four weeks for imputation."""
    from pipelines.forecasting import PlanParams

    return PlanParams().demand_window_days + 28


UPSTREAM = [
    "daily_sales",
    "daily_stock_positions",
    "product_sales",
    "products",
    "purchase_order_lines",
    "suppliers",
]

INPUTS = {
    "sales": """
        SELECT sku, warehouse_id, sales_date AS date, sum(units) AS units,
               sum(discount_amount) AS discount_amount, sum(gross_revenue) AS gross_revenue
        FROM marts.daily_sales
        WHERE warehouse_id IS NOT NULL AND sales_date >= $since GROUP BY ALL""",
    "stock_flags": """
        SELECT sku, warehouse_id, position_date AS date, is_stockout
        FROM marts.daily_stock_positions WHERE position_date >= $since""",
    "positions": """
        SELECT sku, warehouse_id, on_hand, on_order, committed
        FROM marts.daily_stock_positions
        WHERE position_date = (SELECT max(position_date) FROM marts.daily_stock_positions)""",
    "products": """
        SELECT p.sku, p.supplier_id, coalesce(p.unit_cost, 0) AS unit_cost, p.pack_size,
               p.min_order_qty, p.list_price, coalesce(s.abc_class, 'C') AS abc_class
        FROM marts.products p LEFT JOIN marts.product_sales s USING (sku)""",
    "po_lines": """
        SELECT supplier_id, ordered_date, received_date
        FROM marts.purchase_order_lines
        WHERE status <> 'cancelled'""",
    "suppliers": "SELECT supplier_id, lead_time_days FROM marts.suppliers",
    # The data's clock: when each order came in (an export cut mid-day is told by it), on the
    # business's wall clock, as its days are (a change to summer time moves no closing hour).
    "order_times": """
        SELECT ordered_date AS date, timezone($zone, timezone('UTC', started_at)) AS at
        FROM marts.order_stage_durations
        WHERE stage = 'order_cycle' AND ordered_date >= $since""",
}

# What the simulation reads besides the plan's inputs: the real stock per day (its starting
# stock and the `actual` rows) and the purchase order lines with their SKU and warehouse.
SIMULATION_INPUTS = {
    "stock_history": """
        SELECT sku, warehouse_id, position_date AS date, on_hand, is_stockout
        FROM marts.daily_stock_positions WHERE position_date >= $since""",
    "po_lines": """
        SELECT supplier_id, sku, warehouse_id, ordered_date, received_date, ordered_quantity,
               received_quantity
        FROM marts.purchase_order_lines
        WHERE status <> 'cancelled'""",
}


def stored_fit(con: duckdb.DuckDBPyConnection) -> "Fit | None":
    """The last plan's fit from the marts, if there is one with its fit day."""
    tables = {
        name
        for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()
    }
    needed = [OUTPUTS[key] for key in ("backtest", "forecasts", "accuracy")]
    if not set(needed) <= tables:
        return None
    backtest, forecasts, accuracy = (
        con.sql(f"select * from marts.{t}").pl()  # noqa: S608 (fixed names)
        for t in needed
    )
    if "fitted_as_of" not in backtest.columns:
        return None
    from pipelines.forecasting import Fit

    return Fit(backtest, forecasts, accuracy)


class PlanRun(NamedTuple):
    as_of: date | None  # the data's last day
    result: dict[str, pl.DataFrame]  # plan()'s frames
    refitted: bool  # the models were chosen and fitted in this run
    inputs: dict[str, pl.DataFrame]  # what plan() read


def plan_from_warehouse(
    con: duckdb.DuckDBPyConnection, refit: bool = False, zone: str = "UTC"
) -> PlanRun:
    """Read the plan's inputs from the marts and run it as of the data's own clock.

    The stored fit is reused within its review period unless `refit` is asked for. zone: the
    business's time zone (`ORDERLENS_BUSINESS_TIMEZONE`), the clock of its order times.
    """
    from pipelines.forecasting import PlanParams, plan

    last = con.sql("select max(sales_date) from marts.daily_sales where warehouse_id is not null")
    as_of = last.fetchall()[0][0]
    if as_of is None:
        return PlanRun(None, {}, False, {})
    fit = None if refit else stored_fit(con)
    since = date.min
    reused = fit is not None and fit.reusable(as_of, PlanParams().refit_every_days)
    if reused:
        # A re-plan reads only the recent history its statistics use (see plan()).
        since = as_of - timedelta(days=replan_history_days())
    frames = read_frames(con, INPUTS, since=since, zone=zone)
    result = plan(as_of=as_of, fit=fit, **frames)  # type: ignore[arg-type]
    return PlanRun(as_of, result, not reused, frames)


def simulate_from_warehouse(
    con: duckdb.DuckDBPyConnection, as_of: date, inputs: dict[str, pl.DataFrame], weeks: int
) -> pl.DataFrame:
    """The policy simulation of the last `weeks` weeks up to `as_of` (see simulation.py).

    inputs: the plan's inputs of a refit (the whole history).
    """
    from pipelines.forecasting import PlanParams
    from pipelines.forecasting.simulation import SimulationParams, simulate_policies

    since = as_of - timedelta(days=7 * weeks + 1)
    extra = read_frames(con, SIMULATION_INPUTS, since=since)
    params = SimulationParams(
        weeks=weeks,
        refit_weeks=SIMULATION_REFIT_WEEKS,
        # The replay needs each refit's choice and forecast, not its held-back score.
        plan=PlanParams(refit_days=7 * SIMULATION_REFIT_WEEKS, held_back=False),
    )
    return simulate_policies(
        inputs["sales"],
        inputs["stock_flags"],
        extra["stock_history"],
        inputs["products"],
        extra["po_lines"],
        as_of,
        suppliers=inputs["suppliers"],
        params=params,
    ).metrics


def read_frames(
    con: duckdb.DuckDBPyConnection, queries: dict[str, str], **params: object
) -> dict[str, pl.DataFrame]:
    """Each query's result as a frame, given the named parameters (`$since`, ...) it uses."""
    return {
        name: con.sql(sql, params={k: v for k, v in params.items() if f"${k}" in sql} or None).pl()
        for name, sql in queries.items()
    }


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


def write_simulation(con: duckdb.DuckDBPyConnection, metrics: pl.DataFrame) -> int:
    """Replace the simulation mart; its columns and types are the published contract."""
    from pipelines.forecasting.simulation import COLUMNS

    frame = metrics.select([pl.col(name).cast(dtype) for name, dtype in COLUMNS.items()])
    con.register("_simulation", frame.to_arrow())
    sql = f"CREATE OR REPLACE TABLE marts.{SIMULATION} AS SELECT * FROM _simulation"  # noqa: S608 (fixed name)
    con.execute(sql)
    con.unregister("_simulation")
    return frame.height


class ForecastRun(NamedTuple):
    as_of: date | None  # the data's last day: the plan's day
    fitted_as_of: date | None  # the day the models were fitted (a refit: as_of)
    rows: dict[str, int]  # rows written per table


def run_forecasting(settings: Settings, refit: bool = False) -> ForecastRun:
    """Plan as of the data's last day, refitting the models when due (or asked); with a
    refit, simulate the policy over the last `settings.simulation_weeks` weeks too."""
    with writer(settings, purpose="forecasting") as con:
        as_of, result, refitted, inputs = plan_from_warehouse(
            con, refit, settings.business_timezone
        )
        if as_of is None:
            return ForecastRun(None, None, {})
        simulation = None
        if refitted:
            simulation = simulate_from_warehouse(con, as_of, inputs, settings.simulation_weeks)
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        con.execute("BEGIN TRANSACTION")
        rows = write_plan(con, result)
        if simulation is not None:
            rows[SIMULATION] = write_simulation(con, simulation)
        con.execute("COMMIT")
    fitted = result["backtest"].get_column("fitted_as_of").max()
    return ForecastRun(as_of, fitted if fitted is not None else as_of, rows)  # type: ignore[arg-type]


class ForecastConfig(dg.Config):
    refit: bool = False  # refit the models now, not only when a review period has passed


def build_forecasting_asset(marts: dict[str, dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.multi_asset(
        specs=[
            dg.AssetSpec(
                ["marts", table], group_name="forecasting", deps=[marts[m] for m in UPSTREAM]
            )
            for table in [*OUTPUTS.values(), SIMULATION]
        ],
        pool="warehouse",
    )
    def replenishment(
        context: dg.AssetExecutionContext, config: ForecastConfig, settings: SettingsResource
    ):
        """Demand forecasts with backtested accuracy, the reorder list and transfers, and
        with each refit the policy simulation."""
        run = run_forecasting(settings.get(), refit=config.refit)
        for table in OUTPUTS.values():
            yield dg.MaterializeResult(
                asset_key=dg.AssetKey(["marts", table]),
                metadata={
                    "rows": run.rows.get(table, 0),
                    "as_of": str(run.as_of),
                    "fitted_as_of": str(run.fitted_as_of),
                },
            )
        # Always reported, so that publish follows; re-simulated only with a refit.
        yield dg.MaterializeResult(
            asset_key=dg.AssetKey(["marts", SIMULATION]),
            metadata={
                "simulated": SIMULATION in run.rows,
                "rows": run.rows.get(SIMULATION, 0),
                "simulated_as_of": str(run.fitted_as_of),
            },
        )

    return replenishment
