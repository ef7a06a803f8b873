"""Alert rules: a condition on a mart, evaluated after every build, sent at most once per
rule per day with the rows that triggered it. Firings are archived under
`<reports_dir>/_alerts/<rule>/<day>.json` (the file is also the once-a-day marker).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from pipelines.reports.catalog import Catalog, validate_spec
from pipelines.reports.charts import as_float
from pipelines.reports.query import _ident, _measure_sql, _table, fetch, where_clause
from pipelines.reports.spec import Condition, Spec
from pipelines.settings import SmtpSettings

STATE = "_alerts"


@dataclass(frozen=True)
class Evaluation:
    rule: str
    triggered: bool
    value: float | None
    reference: float | None  # threshold, last value or baseline
    rows: pl.DataFrame


def _value(con: duckdb.DuckDBPyConnection, cond: Condition, catalog: Catalog) -> float | None:
    columns = catalog.columns(cond.mart)
    where, params = where_clause(cond.filters, columns)
    sql = f"select {_measure_sql(cond.measure, columns)} from {_table(cond.mart, catalog)}{where}"  # noqa: S608 - allow-listed identifiers only
    value = con.execute(sql, params).fetchall()[0][0]
    return None if value is None else float(value)


def _rows(con: duckdb.DuckDBPyConnection, cond: Condition, catalog: Catalog) -> pl.DataFrame:
    columns = catalog.columns(cond.mart)
    shown = [_ident(c, columns) for c in (cond.show_columns or tuple(columns))]
    where, params = where_clause(cond.filters, columns)
    # Newest rows first when the rule names its date column: those are what changed.
    order = f" order by {_ident(cond.date_column, columns)} desc" if cond.date_column else ""
    sql = f"select {', '.join(shown)} from {_table(cond.mart, catalog)}{where}{order} limit ?"  # noqa: S608 - allow-listed identifiers only
    return fetch(con, sql, [*params, cond.limit])


def _baseline(con: duckdb.DuckDBPyConnection, cond: Condition, catalog: Catalog) -> pl.DataFrame:
    """Groups whose value in the latest period is above the mean of the N periods before."""
    columns = catalog.columns(cond.mart)
    keys = [_ident(c, columns) for c in (*cond.group_by, cond.date_column)]
    where, params = where_clause(cond.filters, columns)
    select = f"{', '.join(keys)}, {_measure_sql(cond.measure, columns)}"
    # Identifiers come from the allow-list only; values are bound.
    sql = f"select {select} from {_table(cond.mart, catalog)}{where} group by {', '.join(keys)}"  # noqa: S608
    frame = as_float(fetch(con, sql, params))
    date, value, groups = cond.date_column, cond.measure.alias, list(cond.group_by) or None
    latest = frame[date].max()
    history = (
        frame.lazy()
        .filter(pl.col(date) < latest)
        .sort(date)
        .group_by(groups or pl.lit(1).alias("_all"))
        .agg(pl.col(value).tail(cond.baseline_periods).mean().alias("baseline"))
    )
    current = frame.lazy().filter(pl.col(date) == latest)
    on = groups or None
    joined = current.join(history, on=on, how="inner") if on else current.join(history, how="cross")
    return joined.filter(pl.col(value) > pl.col("baseline")).drop("_all", strict=False).collect()


def _state_dir(archive_dir: Path, rule: str) -> Path:
    return archive_dir / STATE / rule


def _last_value(archive_dir: Path, rule: str) -> float | None:
    files = sorted(_state_dir(archive_dir, rule).glob("value-*.json"))
    return json.loads(files[-1].read_text())["value"] if files else None


def evaluate(
    con: duckdb.DuckDBPyConnection, spec: Spec, catalog: Catalog, archive_dir: Path
) -> Evaluation:
    validate_spec(spec, catalog)
    cond = spec.condition
    assert cond is not None, "only alert specs have a condition"
    if cond.op == "rose_above_baseline":
        rows = _baseline(con, cond, catalog)
        return Evaluation(spec.name, rows.height > 0, float(rows.height), None, rows)
    value = _value(con, cond, catalog)
    if cond.op == "grew":
        reference = _last_value(archive_dir, spec.name)
        triggered = value is not None and reference is not None and value > reference
    else:
        reference = cond.threshold
        triggered = value is not None and (
            value > reference if cond.op == "above" else value < reference
        )  # type: ignore[operator]
    return Evaluation(
        spec.name,
        triggered,
        value,
        reference,
        _rows(con, cond, catalog) if triggered else pl.DataFrame(),
    )


def record_and_should_send(evaluation: Evaluation, archive_dir: Path, day: dt.date) -> bool:
    """Remember the value (for `grew`); archive a firing; True only for the day's first firing."""
    folder = _state_dir(archive_dir, evaluation.rule)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"value-{day.isoformat()}.json").write_text(json.dumps({"value": evaluation.value}))
    if not evaluation.triggered:
        return False
    marker = folder / f"{day.isoformat()}.json"
    record: dict[str, Any] = {
        **dataclasses.asdict(evaluation),
        "rows": evaluation.rows.rows(named=True),
    }
    try:
        with marker.open("x", encoding="utf-8") as handle:  # "x": fails if already fired today
            handle.write(json.dumps(record, default=str, ensure_ascii=False, indent=1))
    except FileExistsError:
        return False
    return True


def alert_message(
    spec: Spec, evaluation: Evaluation, smtp: SmtpSettings, recipients: list[str]
) -> EmailMessage:
    from pipelines.reports.render import fmt

    message = EmailMessage()
    message["Subject"] = f"[OrderLens alert] {spec.title.get(spec.language)}"
    message["From"] = smtp.sender
    message["To"] = ", ".join(recipients)
    import html

    head = "".join(f"<th>{html.escape(c)}</th>" for c in evaluation.rows.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(fmt(v))}</td>" for v in row) + "</tr>"
        for row in evaluation.rows.rows()
    )
    message.set_content(
        f"{spec.title.en}: value {evaluation.value}, reference {evaluation.reference}"
    )
    message.add_alternative(
        f"<p>{html.escape(spec.title.get(spec.language))}: {fmt(evaluation.value)} "
        f"(reference {fmt(evaluation.reference)})</p><table border=1><tr>{head}</tr>{body}</table>",
        subtype="html",
    )
    return message
