"""Demand forecasting and replenishment: pure, typed functions over Polars frames.

No database and no Dagster here: the assets read the marts, call `plan()` and write what
it returns. The frames `plan()` returns:

- `forecasts`: one row per series (sku, warehouse_id) and future day (the horizon, and the
  days until the next weekly refit): `forecast`, `lo80`, `hi80`, `lo95`, `hi95` (clipped
  at 0) and the `model` that made them;
- `backtest`: one row per series: `demand_class` (with `adi`, `cv2`), `is_backtested`,
  `model_best`, `model_used`, `model_reason`, the used model's `n_points`, `wape`, `mase`,
  `bias`, `coverage80`, `coverage95` on the selection windows it was chosen on and the same
  prefixed `holdout_` on the later held-back window, the seasonal naive's `naive_wape`,
  `naive_mase` and `naive_holdout_wape`, `naive_holdout_mase`, and `fitted_as_of`, the day the
  models were chosen (refits are weekly, see `Fit`);
- `reorder`: one row per series with `needs_order`, `order_qty`, `order_by_date`,
  `is_late`, `stockout_date`, the stock and policy numbers, `explain` (struct) and `why`
  (text); lines to order first, most urgent first;
- `transfers`: one row per suggested move between two warehouses of one SKU;
- `accuracy`: per backtest `window` (`selection`, `held_back`), demand class and `all`, the
  plan's models (`scope` = `plan`) against the seasonal naive (`naive`) over the same
  backtest points: WAPE, MASE, bias, coverage.

Modules: demand (censored daily series), classify (Syntetos-Boylan), models (statsforecast
per class), global_model (LightGBM over all series), backtest (metrics, choice, windows),
lead_time, policy (safety stock, ROP, EOQ), projection (walking a forecast), transfers,
explain, planner (`plan()`), simulation (the policy replayed on history).
"""

from pipelines.forecasting.planner import Fit, PlanParams, plan

__all__ = ["Fit", "PlanParams", "plan"]
