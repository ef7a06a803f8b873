"""Forecast accuracy and cost on the real Online Retail export, in one run.

    python -m bench --only retail            (the harness: `main(scale)`; the scale only names it)

The export (`/work/shared/data/online_retail/online_retail.csv.gz`, or
ORDERLENS_ONLINE_RETAIL_CSV) is loaded the way a user loads it: `ingest_paths` with the shipped
mapping (pipelines/ingest/mappings/online_retail.yaml), then `dbt build`; the warehouse is
kept in `bench/work/retail/` and re-used. The plan's inputs are then read from the marts with
the forecasting asset's own queries, and timed in this process (`n_jobs=1`):

(a) the plan as it ships: statsforecast's candidates per demand class and the global LightGBM
    model (mlforecast), chosen on the selection windows;
(b) statsforecast alone: the same plan without the global model;
(c) Prophet, refitted at every backtest cutoff (selection and held-back) on a seeded sample of
    the series, its seconds per series scaled to 1,000 series.

Accuracy is the held-back window's (the last horizon of every series, never seen by the
choice): total WAPE and mean MASE of the chosen plan against the seasonal naive on the same
points. Goals: plan WAPE <= 0.9 x the naive's and <= 0.87, mean MASE < 1.2, at no more than
twice the time of (b).
"""

from __future__ import annotations

import logging
import os
import resource
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import polars as pl

from pipelines.forecasting import PlanParams, plan
from pipelines.forecasting import backtest as bt

REPO = Path(__file__).resolve().parents[1]
WORK = REPO / "bench" / "work" / "retail"
MAPPING = REPO / "pipelines" / "ingest" / "mappings" / "online_retail.yaml"
DBT_DIR = REPO / "dbt_project"
CSV = Path("/work/shared/data/online_retail/online_retail.csv.gz")
PROPHET_SERIES = 30
WARM_UP_SKUS = 60
SEED = 1


def _csv() -> Path:
    found = os.environ.get("ORDERLENS_ONLINE_RETAIL_CSV")
    return Path(found) if found else CSV


def load_warehouse(work: Path = WORK) -> Path:
    """The export ingested with its mapping and built by dbt (once; re-used after)."""
    from pipelines.ingest.api import ingest_paths
    from pipelines.settings import from_variables

    settings = from_variables({"ORDERLENS_DATA_DIR": str(work / "data")})
    done = work / ".built"
    if done.exists():
        return settings.warehouse_path
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    ingest_paths([_csv()], mapping=MAPPING, settings=settings)
    dbt = Path(sys.executable).with_name("dbt")
    command = [
        str(dbt),
        "build",
        "--project-dir",
        str(DBT_DIR),
        "--profiles-dir",
        str(DBT_DIR),
        "--target-path",
        str(work / "target"),
        "--log-path",
        str(work / "logs"),
    ]
    env = {**os.environ, "ORDERLENS_WAREHOUSE": str(settings.warehouse_path)}
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"dbt build failed:\n{result.stdout[-4000:]}")
    done.touch()
    return settings.warehouse_path


# The export names no warehouse (its lines have none): everything ships from one, named here.
WAREHOUSE = "UK"
SALES_SQL = """
    SELECT sku, coalesce(warehouse_id, $warehouse) AS warehouse_id, sales_date AS date,
           sum(units) AS units, sum(discount_amount) AS discount_amount,
           sum(gross_revenue) AS gross_revenue
    FROM marts.daily_sales GROUP BY ALL"""


def plan_inputs(warehouse: Path) -> dict[str, Any]:
    """What the forecasting asset reads, read with its queries (sales: in one warehouse)."""
    from datetime import date

    from pipelines.assets.forecasting import INPUTS

    with duckdb.connect(str(warehouse), read_only=True) as con:
        frames = {
            name: con.sql(sql, params={"since": date.min} if "$since" in sql else None).pl()
            for name, sql in INPUTS.items()
            if name != "sales"
        }
        frames["sales"] = con.sql(SALES_SQL, params={"warehouse": WAREHOUSE}).pl()
    as_of = frames["sales"].get_column("date").max()
    return frames | {"as_of": as_of}


def _held_back(result: dict[str, pl.DataFrame], window: str = bt.HELD_BACK) -> dict[str, float]:
    acc = result["accuracy"].filter(
        (pl.col("window") == window) & (pl.col("demand_class") == "all")
    )
    out: dict[str, float] = {}
    for row in acc.iter_rows(named=True):
        for metric in ("wape", "mase", "bias", "coverage80", "coverage95"):
            if row[metric] is not None:
                out[f"{row['scope']}_{metric}"] = round(row[metric], 4)
        out[f"{row['scope']}_series"] = row["n_series"]
    return out


def _cpu_seconds() -> float:
    """CPU time of this process and of its finished children (Prophet's Stan runs in one)."""
    own, children = (
        resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
    )
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _timed_plan(inputs: dict[str, Any], params: PlanParams) -> tuple[dict[str, Any], float]:
    started = _cpu_seconds()
    result = plan(**inputs, params=params)
    return result, _cpu_seconds() - started


def prophet_held_back(
    inputs: dict[str, Any], result: dict[str, pl.DataFrame], n_series: int, seed: int
) -> dict[str, Any]:
    """Prophet fitted at every cutoff of a sample: seconds per series, and its held-back
    WAPE / MASE against the plan's and the naive's on the same points."""
    try:
        from prophet import Prophet
    except ImportError:
        return {"prophet": "not installed (pip install prophet==1.5.0)"}
    for name in ("prophet", "cmdstanpy"):
        logging.getLogger(name).setLevel(logging.ERROR)
    from pipelines.forecasting.demand import daily_demand, last_complete_day

    backtest = result["backtest"].filter("is_backtested")
    rng = np.random.default_rng(seed)
    rows = rng.choice(backtest.height, size=min(n_series, backtest.height), replace=False)
    sample = backtest[sorted(rows.tolist())].select("sku", "warehouse_id", "model_used")
    demand = daily_demand(
        inputs["sales"].join(sample, on=["sku", "warehouse_id"], how="semi"),
        inputs["stock_flags"],
        end=inputs["as_of"],
        # As the plan does: a last day the export cut short is censored, not scored.
        complete_through=last_complete_day(inputs["order_times"]),
    )
    h = int(
        PlanParams().review_period_days
        + np.ceil(PlanParams().default_lead_time_days)  # the export has no purchase orders
    )
    cutoff = inputs["as_of"] - timedelta(days=h)
    errors: list[dict[str, float]] = []
    started = _cpu_seconds()
    np.random.seed(seed)  # Prophet draws its predictive samples from numpy's global state
    for _key, series in demand.group_by(["sku", "warehouse_id"], maintain_order=True):
        train = series.filter(pl.col("date") <= cutoff).select(
            pl.col("date").cast(pl.Datetime).alias("ds"), pl.col("demand_filled").alias("y")
        )
        model = Prophet(uncertainty_samples=0).fit(train.to_pandas())
        future = model.make_future_dataframe(periods=h, include_history=False)
        forecast = np.clip(model.predict(future)["yhat"].to_numpy(), 0, None)
        actual = series.filter(pl.col("date") > cutoff).get_column("demand").to_numpy()
        ok = ~np.isnan(actual.astype(float))
        errors.append(
            {
                "abs_err": float(np.abs(actual[ok] - forecast[ok]).sum()),
                "actual": float(actual[ok].sum()),
            }
        )
    seconds = _cpu_seconds() - started
    totals = pl.DataFrame(errors).sum()
    wape = totals["abs_err"][0] / totals["actual"][0] if totals["actual"][0] else None
    return {
        "prophet_series": sample.height,
        "prophet_s": round(seconds, 1),
        "prophet_s_per_1000": round(seconds / sample.height * 1000, 1),
        "prophet_sample_wape": None if wape is None else round(wape, 4),
    }


def main(scale: str = "retail", prophet_series: int = PROPHET_SERIES) -> dict[str, Any]:
    """Load (once), then time and score (a), (b), (c)."""
    started = time.perf_counter()
    warehouse = load_warehouse()
    load_s = time.perf_counter() - started
    inputs = plan_inputs(warehouse)
    # Warm up first (numba compiles statsforecast's models on their first call), so that
    # neither timed run pays for it.
    few = inputs["sales"].get_column("sku").unique().sort().head(WARM_UP_SKUS)
    plan(**(inputs | {"sales": inputs["sales"].filter(pl.col("sku").is_in(few.implode()))}))
    shipped, shipped_s = _timed_plan(inputs, PlanParams())
    alone, alone_s = _timed_plan(inputs, PlanParams(global_model=False))
    n_series = shipped["backtest"].filter("is_backtested").height
    per_1000 = 1000 / max(n_series, 1)
    held = _held_back(shipped)
    held_alone = _held_back(alone)
    models = shipped["backtest"].group_by("model_used").len().sort("len", descending=True)
    figures: dict[str, Any] = {
        "scale": scale,
        "series": shipped["backtest"].height,
        "backtested_series": n_series,
        "load_s": round(load_s, 1),
        "models_used": ", ".join(f"{m} {n}" for m, n in models.iter_rows()),
        "plan_cpu_s": round(shipped_s, 1),
        "statsforecast_cpu_s": round(alone_s, 1),
        "plan_s_per_1000": round(shipped_s * per_1000, 1),
        "statsforecast_s_per_1000": round(alone_s * per_1000, 1),
        "time_ratio": round(shipped_s / alone_s, 2) if alone_s else None,
        **{f"held_back_{k}": v for k, v in held.items()},
        **{f"statsforecast_held_back_{k}": v for k, v in held_alone.items()},
        # The same plan on the windows its models were chosen on: what the choice flatters.
        **{f"selection_{k}": v for k, v in _held_back(shipped, bt.SELECTION).items()},
    }
    naive_wape = held.get("naive_wape")
    plan_wape = held.get("plan_wape")
    if naive_wape and plan_wape is not None:
        figures["wape_vs_naive"] = round(plan_wape / naive_wape, 3)
        figures["meets_wape_goal"] = plan_wape <= 0.9 * naive_wape and plan_wape <= 0.87
    if held.get("plan_mase") is not None:
        figures["meets_mase_goal"] = held["plan_mase"] < 1.2
    if alone_s:
        figures["meets_time_goal"] = shipped_s <= 2 * alone_s
    if prophet_series > 0:
        figures |= prophet_held_back(inputs, shipped, prophet_series, SEED)
    return figures
