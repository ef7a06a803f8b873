"""Demand forecasting and replenishment: pure, typed functions over Polars frames.

No database and no Dagster here: the assets read the marts, call `plan()` and write what
it returns. The frames `plan()` returns:

- `forecasts`: one row per series (sku, warehouse_id) and future day (the horizon, and the
  days until the next weekly refit): `forecast`, `lo80`, `hi80`, `lo95`, `hi95` (clipped
  at 0) and the `model` that made them;
- `backtest`: one row per series: `demand_class` (with `adi`, `cv2`), `is_backtested`,
  `model_best`, `model_used`, `model_reason`, the used model's `n_points`, `wape`, `mase`,
  `bias`, `coverage80`, `coverage95`, the seasonal naive's `naive_wape`, `naive_mase`, and
  `fitted_as_of`, the day the models were chosen (refits are weekly, see `Fit`);
- `reorder`: one row per series with `needs_order`, `order_qty`, `order_by_date`,
  `is_late`, `stockout_date`, the stock and policy numbers, `explain` (struct) and `why`
  (text); lines to order first, most urgent first;
- `transfers`: one row per suggested move between two warehouses of one SKU;
- `accuracy`: per demand class and `all`, the plan's models (`scope` = `plan`) against the
  seasonal naive (`naive`) over the same backtest points: WAPE, MASE, bias, coverage.

Modules: demand (censored daily series), classify (Syntetos-Boylan), models (statsforecast
per class), backtest (metrics, choice), lead_time, policy (safety stock, ROP, EOQ),
projection (walking a forecast), transfers, explain, planner (`plan()`).
"""

from pipelines.forecasting.planner import Fit, PlanParams, plan

__all__ = ["Fit", "PlanParams", "plan"]
