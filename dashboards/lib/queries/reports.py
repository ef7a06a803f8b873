"""Reports page: the snapshot archive (files, figures, deliveries), comparisons, the builder.

The archive is read from disk (`pipelines.reports.archive`), never rebuilt here. The builder
assembles a spec from choices that all come from the serving file's catalog (the allow-list
`pipelines.reports.catalog` reads), checks it with the validator the CLI uses and previews
it with the same query and chart code a scheduled report runs. No SQL text from the user.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import plotly.graph_objects as go
import polars as pl
import streamlit as st

from dashboards.lib.serving import Serving, connection
from pipelines.periods import parse_period
from pipelines.reports.archive import ArchivedSnapshot, list_snapshots
from pipelines.reports.catalog import Catalog, load_catalog
from pipelines.reports.charts import as_float, build_figure
from pipelines.reports.query import data_clock, fetch, section_sql
from pipelines.reports.spec import FILTER_OPS, Spec
from pipelines.reports.user_specs import check_spec_text, spec_yaml, user_spec_paths
from pipelines.settings import Settings

FILES = {  # file in a snapshot -> MIME type, in the order the page offers them
    "report.html": "text/html",
    "report.pdf": "application/pdf",
    "report.xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
VALUE_FREE_OPS = ("is_null", "not_null")
LIST_OPS = ("in", "not_in")
__all__ = ["FILTER_OPS", "FILES", "Preview", "page_data"]


def snapshot_key(snap: ArchivedSnapshot) -> str:
    return f"{snap.report}/{snap.period}/v{snap.version}"


def archive(settings: Settings) -> list[ArchivedSnapshot]:
    """Every archived snapshot, newest period and version first."""
    return list_snapshots(settings.reports_dir)


def snapshot_table(snapshots: list[ArchivedSnapshot]) -> pl.DataFrame:
    """One row per snapshot: what, which period, when, on which data, delivered or not."""
    rows = []
    for snap in snapshots:
        manifest = snap.manifest
        rows.append(
            {
                "report": snap.report,
                "title": manifest.get("title"),
                "period": snap.period,
                "version": snap.version,
                "created_at": str(manifest.get("created_at", ""))[:16].replace("T", " "),
                "data_version": manifest.get("data_version"),
                "delivery_status": snap.delivery_status,
            }
        )
    schema = {"report": pl.String, "title": pl.String, "period": pl.String, "version": pl.Int64}
    schema |= {"created_at": pl.String, "data_version": pl.String, "delivery_status": pl.String}
    return pl.DataFrame(rows, schema=schema)


def _pct(value: Any) -> str | None:
    return None if value is None else f"{float(value) * 100:+.1f}%"


def pct_text(share: pl.Expr) -> pl.Expr:
    """A change as a share (0.25) shown as signed percent text (+25.0%), as in the reports."""
    percent = (share * 100).round(1)
    return (
        pl.when(share >= 0)
        .then(pl.format("+{}%", percent))
        .otherwise(pl.format("{}%", percent))
        .alias(share.meta.output_name())
    )


def figures(snap: ArchivedSnapshot) -> pl.DataFrame:
    """The headline figures of a snapshot with their changes (as the report printed them)."""
    rows = [
        {
            "figure": f["label"],
            "current_period": f["value"],
            "previous_period": f["previous"],
            "vs_previous": _pct(f.get("change_vs_previous_pct")),
            "year_ago": f["year_ago"],
            "vs_year_ago": _pct(f.get("change_vs_year_ago_pct")),
        }
        for f in snap.manifest.get("figures", [])
    ]
    schema = {"figure": pl.String, "current_period": pl.Float64, "previous_period": pl.Float64}
    schema |= {"vs_previous": pl.String, "year_ago": pl.Float64, "vs_year_ago": pl.String}
    return pl.DataFrame(rows, schema=schema)


def deliveries(snap: ArchivedSnapshot) -> pl.DataFrame:
    """Every delivery attempt of a snapshot, oldest first (e-mail retries included)."""
    rows = [
        {
            "channel": entry.get("channel"),
            "attempt": entry.get("attempt"),
            "at": str(entry.get("at", ""))[:19].replace("T", " "),
            "status": entry.get("status"),
            "to": ", ".join(to) if isinstance(to := entry.get("to"), list) else to,
            "error": entry.get("error"),
        }
        for entry in snap.deliveries
    ]
    schema = {"channel": pl.String, "attempt": pl.Int64, "at": pl.String, "status": pl.String}
    return pl.DataFrame(rows, schema=schema | {"to": pl.String, "error": pl.String})


def failures(snap: ArchivedSnapshot) -> list[str]:
    """The errors of the attempts that finally failed (what a manager must know)."""
    return [
        f"{entry.get('channel')}: {entry.get('error') or entry.get('status')}"
        for entry in snap.deliveries
        if entry.get("status") == "failed"
    ]


def files(snap: ArchivedSnapshot) -> list[tuple[str, Path, str]]:
    """(name, path, MIME type) of the snapshot's downloadable files: HTML, PDF, XLSX, CSVs."""
    found = [(name, snap.path / name, mime) for name, mime in FILES.items()]
    found += [(f"data/{p.name}", p, "text/csv") for p in sorted((snap.path / "data").glob("*.csv"))]
    return [(name, path, mime) for name, path, mime in found if path.is_file()]


def compare(earlier: ArchivedSnapshot, later: ArchivedSnapshot) -> pl.DataFrame:
    """The headline figures of two snapshots side by side with the change between them."""

    def values(snap: ArchivedSnapshot, alias: str) -> pl.LazyFrame:
        rows = [
            {
                "section": f["section"],
                "measure": f["measure"],
                "figure": f["label"],
                alias: f["value"],
            }
            for f in snap.manifest.get("figures", [])
        ]
        schema = {"section": pl.String, "measure": pl.String, "figure": pl.String}
        return pl.DataFrame(rows, schema=schema | {alias: pl.Float64}).lazy()

    return (
        values(earlier, "earlier")
        .join(
            values(later, "later").drop("figure"),
            on=["section", "measure"],
            how="full",
            coalesce=True,
            maintain_order="left_right",
        )
        .select(
            "figure",
            "earlier",
            "later",
            (pl.col("later") - pl.col("earlier")).alias("change"),
            ((pl.col("later") - pl.col("earlier")) / pl.col("earlier").abs())
            .replace([float("inf"), float("-inf")], None)
            .fill_nan(None)
            .alias("change_pct"),
        )
        .collect()
    )


def saved_specs(settings: Settings) -> list[str]:
    return [path.stem for path in user_spec_paths(settings)]


# --- the builder ----------------------------------------------------------------------------


@st.cache_data(max_entries=8, show_spinner=False)
def catalog(path: str, version: str) -> Catalog:
    """The allow-list of the serving file: marts and their columns (cached per version)."""
    cursor = connection(Serving(Path(path), version, "")).cursor()
    try:
        return load_catalog(cursor)
    finally:
        cursor.close()


def parse_value(text: str, column_type: str, op: str) -> Any:
    """A filter value typed by the user as the column's type (raises ValueError if it is not).

    The value only ever becomes a bound parameter; this makes `2026-03-01` a date and `5` a
    number so the comparison means what the user meant.
    """
    if op in VALUE_FREE_OPS:
        return None
    if op in LIST_OPS:
        return [
            parse_value(part.strip(), column_type, "=") for part in text.split(",") if part.strip()
        ]
    kind = column_type.upper()
    if kind.startswith(("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UBIGINT", "UINT")):
        return int(text)
    if kind.startswith(("FLOAT", "DOUBLE", "DECIMAL")):
        return float(text)
    if kind.startswith("BOOLEAN"):
        if text.strip().lower() not in ("true", "false"):
            raise ValueError(text)
        return text.strip().lower() == "true"
    if kind.startswith(("DATE", "TIMESTAMP")):
        return dt.date.fromisoformat(text.strip())
    return text


@dataclass(frozen=True)
class Preview:
    spec: Spec
    yaml: str
    period: str | None  # the period label previewed, None for an as-of report
    frame: pl.DataFrame
    figure: go.Figure | None


@st.cache_data(max_entries=64, show_spinner=False)
def _preview_rows(
    path: str, version: str, text: str, name: str
) -> tuple[str | None, pl.DataFrame, go.Figure | None]:
    cat = catalog(path, version)
    spec = check_spec_text(text, Path(f"{name}.yaml"), cat)
    cursor = connection(Serving(Path(path), version, "")).cursor()
    try:
        clock = data_clock(cursor, spec, cat)
        section = spec.sections[0]
        period = (
            parse_period(spec.period, None, clock)
            if clock is not None and section.date_column
            else None
        )
        frame = as_float(fetch(cursor, *section_sql(section, cat, period)))
    finally:
        cursor.close()
    figure = build_figure(section, frame, spec.language) if frame.height else None
    return (period.label if period else None), frame, figure


def preview(srv: Serving, raw: dict[str, Any]) -> Preview:
    """Validate a builder spec and compute its first section (raises SpecError if invalid)."""
    text = spec_yaml(raw)
    name = str(raw.get("name") or "report")
    cat = catalog(str(srv.path), srv.version)
    spec = check_spec_text(text, Path(f"{name}.yaml"), cat)
    period, frame, figure = _preview_rows(str(srv.path), srv.version, text, name)
    return Preview(spec, text, period, frame, figure)


def page_data(settings: Settings, srv: Serving) -> dict[str, Any]:
    """What the reports page starts from: the archive and the catalog of the serving file."""
    return {
        "snapshots": archive(settings),
        "catalog": catalog(str(srv.path), srv.version),
        "saved": saved_specs(settings),
    }
