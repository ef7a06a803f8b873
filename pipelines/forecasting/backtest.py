"""Rolling-origin backtests, their metrics, and the per-series choice of model.

Every candidate model and the seasonal naive forecast `h` days from `n_windows` cutoffs,
`step` days apart. A series is scored on the first `horizon` days after each cutoff (its own
lead time + review period) and only on in-stock days: a censored day's true demand is
unknown, so it can neither reward nor punish a forecast.

Metrics (per series and model, and in total, over the scored points):
- WAPE = sum |actual - forecast| / sum actual (null when nothing was sold);
- MASE = mean of |actual - forecast| / scale, where scale is the in-sample MAE of the
  seasonal naive (7) on the training part up to that point's cutoff (points whose scale is
  0, a series flat in training, are left out);
- bias = sum (forecast - actual) / sum actual (positive: over-forecast);
- coverage80 / coverage95 = share of actuals inside the 80% / 95% interval.

Choice: the candidate with the lowest MASE (MAE where no MASE exists); the seasonal naive is
the floor: where its score is lower than the candidate's by at least `NAIVE_MARGIN` (a tenth
of the candidate's score), the plan uses the naive and says so. A smaller lead is within the
noise of a few weeks of mostly intermittent daily demand: there the naive's "win" is luck more
often than not (the naive, which repeats last week, is the least accurate candidate out of
sample), and the candidate is kept. The margin is fixed a priori, not fitted.

Honest accuracy: choosing on the same points whose errors are then reported flatters the
choice (selection on the test set). So the backtest has two parts, told apart by `window`:
`selection` windows (`n_windows` cutoffs, `step` days apart, the last `h` days before the
held-back window) on which the model is chosen, and one `held_back` window, the last `h` days
of each series, on which the chosen model (and the naive) are then scored. No day of the
held-back window is scored in a selection window, and the choice never sees it.
"""

from __future__ import annotations

from collections.abc import Callable

import polars as pl

from pipelines.forecasting.explain import sentence
from pipelines.forecasting.models import NAIVE, SEASON, cross_validate

METRICS = ["wape", "mase", "bias", "coverage80", "coverage95"]
SELECTION = "selection"
HELD_BACK = "held_back"
WINDOWS = (SELECTION, HELD_BACK)
HELD_BACK_PREFIX = "holdout_"
NAIVE_MARGIN = 0.1  # the naive replaces the best candidate only when this much lower (share)

# A global model backtests all series at once: (y, h, n_windows, step) -> long frame like
# `cross_validate`'s (`unique_id`, `ds`, `cutoff`, `model`, `forecast`, bounds).
GlobalRun = Callable[[pl.DataFrame, int, int, int], pl.DataFrame]


def backtest(
    y: pl.DataFrame,
    observed: pl.DataFrame,
    names_by_group: dict[str, list[str]],
    h: int,
    n_windows: int,
    step: int,
    horizons: pl.DataFrame | None = None,
    global_run: GlobalRun | None = None,
    held_back: bool = True,
) -> pl.DataFrame:
    """Scored backtest points of every series against the candidates of its model group.

    y: `unique_id`, `ds`, `y` (gap-free, censored days imputed), `model_group`; every
        series at least `h` days longer than its selection windows need.
    observed: `unique_id`, `ds`, `actual` (null when censored).
    names_by_group: model names to backtest per model group (`models.candidates`).
    global_run: optional global model run over all series together (one more candidate).
    Returns the rows of `score_points`, one per series, model, cutoff and day, with
    `window`: `selection` (`n_windows` cutoffs ending `h` days before each series' last
    day) or `held_back` (one cutoff `h` days before the last day). Without `held_back` (a
    replay needs the choice, not its score) the selection windows end on the last day.
    """
    last = pl.col("ds").max().over("unique_id")
    earlier = y.filter(pl.col("ds") <= last - pl.duration(days=h)) if held_back else y
    parts = [
        _runs(earlier, names_by_group, h, n_windows, step, global_run).with_columns(
            pl.lit(SELECTION).alias("window")
        )
    ]
    if held_back:
        parts.append(
            _runs(y, names_by_group, h, 1, step, global_run).with_columns(
                pl.lit(HELD_BACK).alias("window")
            )
        )
    runs = [part for part in parts if not part.is_empty()]
    if not runs:
        return pl.DataFrame()
    return score_points(pl.concat(runs, how="diagonal_relaxed"), observed, horizons)


def _runs(
    y: pl.DataFrame,
    names_by_group: dict[str, list[str]],
    h: int,
    n_windows: int,
    step: int,
    global_run: GlobalRun | None,
) -> pl.DataFrame:
    runs = [
        cross_validate(
            y.filter(pl.col("model_group") == group).select("unique_id", "ds", "y"),
            names_by_group[group],
            h=h,
            n_windows=n_windows,
            step=step,
        )
        for group in y.get_column("model_group").unique().sort()
    ]
    if global_run is not None and not y.is_empty():
        runs.append(global_run(y.select("unique_id", "ds", "y"), h, n_windows, step))
    if not runs:
        return pl.DataFrame()
    return pl.concat([run.drop("y", strict=False) for run in runs], how="diagonal_relaxed")


def naive_scale(observed: pl.DataFrame) -> pl.DataFrame:
    """Per series and day: the MAE of the seasonal naive over all training days up to it.

    observed: `unique_id`, `ds`, `actual` (null on censored days: pairs touching one are
    skipped). Returns `unique_id`, `cutoff`, `scale`.
    """
    abs_diff = (pl.col("actual") - pl.col("actual").shift(SEASON)).abs()
    return (
        observed.sort("unique_id", "ds")
        .with_columns(abs_diff.over("unique_id").alias("abs_diff"))
        .select(
            "unique_id",
            pl.col("ds").alias("cutoff"),
            (
                pl.col("abs_diff").fill_null(0.0).cum_sum().over("unique_id")
                / pl.col("abs_diff").is_not_null().cum_sum().over("unique_id")
            ).alias("scale"),
        )
    )


def score_points(
    cv: pl.DataFrame, observed: pl.DataFrame, horizons: pl.DataFrame | None = None
) -> pl.DataFrame:
    """Backtest rows with `actual`, `step` (days after the cutoff) and `scale`.

    cv: output of `run_backtest` (`unique_id`, `ds`, `cutoff`, `model`, `forecast`, bounds).
    observed: `unique_id`, `ds`, `actual` (null when censored).
    horizons: `unique_id`, `horizon`; steps beyond a series' horizon are dropped.
    """
    points = (
        cv.drop("y", strict=False)
        .join(observed, on=["unique_id", "ds"], how="left")
        .join(naive_scale(observed), on=["unique_id", "cutoff"], how="left")
        .with_columns((pl.col("ds") - pl.col("cutoff")).dt.total_days().alias("step"))
    )
    if horizons is not None:
        points = points.join(horizons, on="unique_id", how="left").filter(
            pl.col("step") <= pl.col("horizon")
        )
    return points


def metric_exprs() -> list[pl.Expr]:
    """Aggregations for a group of scored points (censored points are skipped)."""
    ok = pl.col("actual").is_not_null()
    actual = pl.col("actual").filter(ok)
    fc = pl.col("forecast").filter(ok)
    abs_err = (actual - fc).abs()
    sold = actual.sum()
    scaled = ((pl.col("actual") - pl.col("forecast")).abs() / pl.col("scale")).filter(
        ok & (pl.col("scale") > 0)
    )
    inside = [
        actual.is_between(pl.col(f"lo{lv}").filter(ok), pl.col(f"hi{lv}").filter(ok)).mean()
        for lv in (80, 95)
    ]
    return [
        ok.sum().alias("n_points"),
        abs_err.mean().alias("mae"),
        pl.when(sold > 0).then(abs_err.sum() / sold).alias("wape"),
        scaled.mean().alias("mase"),
        pl.when(sold > 0).then((fc - actual).sum() / sold).alias("bias"),
        inside[0].alias("coverage80"),
        inside[1].alias("coverage95"),
    ]


def series_metrics(points: pl.DataFrame) -> pl.DataFrame:
    """One row per series and model: `n_points`, `mae`, `wape`, `mase`, `bias`, coverage."""
    return points.group_by("unique_id", "model").agg(metric_exprs()).sort("unique_id", "model")


def window(points: pl.DataFrame, name: str) -> pl.DataFrame:
    """The scored points of one part of the backtest (`selection` or `held_back`)."""
    return points.filter(pl.col("window") == name)


def choose_on_selection(points: pl.DataFrame) -> pl.DataFrame:
    """The choice made on the selection windows, with the held-back window's scores beside.

    Adds to `choose_models` (whose metrics are the selection windows'): `holdout_n_points`
    and `holdout_<metric>` of the chosen model, and `naive_holdout_wape`,
    `naive_holdout_mase` of the seasonal naive on the same held-back points.
    """
    choice = choose_models(series_metrics(window(points, SELECTION)))
    held = series_metrics(window(points, HELD_BACK))
    chosen = held.select(
        "unique_id",
        pl.col("model").alias("model_used"),
        *[pl.col(c).alias(HELD_BACK_PREFIX + c) for c in ("n_points", *METRICS)],
    )
    naive = held.filter(pl.col("model") == NAIVE).select(
        "unique_id",
        pl.col("wape").alias("naive_holdout_wape"),
        pl.col("mase").alias("naive_holdout_mase"),
    )
    return choice.join(chosen, on=["unique_id", "model_used"], how="left").join(
        naive, on="unique_id", how="left"
    )


def choose_models(metrics: pl.DataFrame) -> pl.DataFrame:
    """Per series: `model_best` (best candidate), `model_used`, `model_reason`, its metrics.

    The naive is used where its score is lower than the best candidate's by at least
    `NAIVE_MARGIN` of it, or where the backtest had no in-stock day to judge by.
    """
    scored = metrics.with_columns(pl.coalesce("mase", "mae").alias("score"))
    naive = scored.filter(pl.col("model") == NAIVE).select(
        "unique_id",
        pl.col("score").alias("naive_score"),
        pl.col("wape").alias("naive_wape"),
        pl.col("mase").alias("naive_mase"),
    )
    best = (
        scored.filter(pl.col("model") != NAIVE)
        .sort("unique_id", "score", "model", nulls_last=True)
        .group_by("unique_id", maintain_order=True)
        .first()
        .select("unique_id", pl.col("model").alias("model_best"), pl.col("score").alias("best"))
    )
    beats = pl.col("best") < pl.col("naive_score")
    floor = pl.col("naive_score") <= (1 - NAIVE_MARGIN) * pl.col("best")
    kept = pl.col("best").is_not_null() & pl.col("naive_score").is_not_null() & ~floor
    scores = {
        "model_best": pl.col("model_best"),
        "best": pl.col("best").round(3),
        "naive": pl.col("naive_score").round(3),
        "margin": pl.lit(f"{NAIVE_MARGIN:.0%}"),
    }
    choice = best.join(naive, on="unique_id", how="left").with_columns(
        pl.when(kept).then(pl.col("model_best")).otherwise(pl.lit(NAIVE)).alias("model_used"),
        pl.when(kept & beats)
        .then(sentence("reason_beat", **scores))
        .when(kept)
        .then(sentence("reason_kept", **scores))
        .when(pl.col("best").is_null() | pl.col("naive_score").is_null())
        .then(sentence("reason_no_stock"))
        .otherwise(sentence("reason_naive", **scores))
        .alias("model_reason"),
    )
    used = metrics.select("unique_id", pl.col("model").alias("model_used"), "n_points", *METRICS)
    return choice.join(used, on=["unique_id", "model_used"], how="left").drop("best", "naive_score")


def accuracy(points: pl.DataFrame, choice: pl.DataFrame, classes: pl.DataFrame) -> pl.DataFrame:
    """Totals of the plan's models against the seasonal naive, per demand class and `all`.

    classes: `unique_id`, `demand_class`. Returns `window` (`selection`, `held_back`),
    `demand_class`, `scope` (`plan` or `naive`), `n_series` and the metrics pooled over all
    scored points of the scope in that window: the selection figures are the ones the choice
    was made on, the held-back ones what the choice achieves on days it never saw.
    """
    if "window" not in points.columns:
        points = points.with_columns(pl.lit(SELECTION).alias("window"))
    labelled = points.join(
        choice.select("unique_id", "model_used"), on="unique_id", how="inner"
    ).join(classes.select("unique_id", "demand_class"), on="unique_id", how="left")
    scopes = pl.concat(
        [
            labelled.filter(pl.col("model") == pl.col("model_used")).with_columns(
                pl.lit("plan").alias("scope")
            ),
            labelled.filter(pl.col("model") == NAIVE).with_columns(pl.lit("naive").alias("scope")),
        ]
    )
    everything = scopes.with_columns(pl.lit("all").alias("demand_class"))
    aggs = [pl.col("unique_id").n_unique().alias("n_series"), *metric_exprs()]
    return (
        pl.concat([scopes, everything])
        .group_by("window", "demand_class", "scope")
        .agg(aggs)
        .drop("mae")
        .sort("window", "demand_class", "scope", descending=[True, False, False])
    )
