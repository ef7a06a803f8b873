"""Render a snapshot to files: self-contained HTML, PDF, chart PNGs, CSV and XLSX per table.

The HTML carries plotly.js inline once, so it opens offline. The PDF is Chromium's print of
the same page with the charts as PNG images (no script timing involved in printing).
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import logging
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import jinja2
import plotly.io as pio
import polars as pl
from PIL import Image
from plotly.offline import get_plotlyjs

from pipelines.i18n import fmt_date, t
from pipelines.reports.charts import EmptyReport
from pipelines.reports.labels import (
    NUMBER,
    column_label,
    fmt_value,
    keep_sign_attached,
    value_label,
)
from pipelines.reports.snapshot import Snapshot, describe_filters
from pipelines.reports.wording import (
    figure_row,
    mover_sentence,
    period_words,
    sparkline,
    summary,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-quic",
    "--disable-component-update",
    "--disable-sync",
]
HTML_ROWS = 50  # rows of a table shown on the page; the CSV/XLSX hold them all


def _environment() -> jinja2.Environment:
    loader = jinja2.FileSystemLoader(Path(__file__).with_name("templates"))
    environment = jinja2.Environment(loader=loader, autoescape=True)
    environment.filters["signed"] = keep_sign_attached
    return environment


def fmt(value: Any) -> str:
    """A raw value for an old manifest that predates the formatted figures."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}"
    return str(value)


def delta(change: float | None, pct: float | None) -> str:
    if change is None:
        return "–"
    text = f"{change:+,.2f}"
    return text + (f" ({pct:+.1%})" if pct is not None else "")


def _sections(snapshot: Snapshot, chart_html: Callable[[int], str]) -> list[dict[str, Any]]:
    """Each section as shown: headers from the catalogue and the spec's labels, values in
    their formats (money with its sign, counts whole, dates in the report's language)."""
    language = snapshot.spec.language
    names = snapshot.names
    out = []
    for index, result in enumerate(snapshot.sections):
        section = result.section
        shown = result.frame.head(HTML_ROWS)
        measures = {m.alias: m for m in section.measures}
        headers = [
            measures[c].label.get(language) if c in measures else column_label(c, language, names)
            for c in shown.columns
        ]
        rows = [
            [
                fmt_value(v, snapshot.kinds.get((section.id, c), NUMBER), names, language)
                if c in measures
                else value_label(c, v, names, language)
                for c, v in zip(shown.columns, row, strict=True)
            ]
            for row in shown.rows()
        ]
        out.append(
            {
                "id": section.id,
                "title": section.title.get(language),
                "mart": section.mart,
                "filters": describe_filters(section.filters),
                "dated": section.date_column is not None,
                "chart": chart_html(index) if result.figure is not None else "",
                "headers": headers,
                "numeric": [c in measures for c in shown.columns],
                "rows": rows,
                "more": max(result.frame.height - HTML_ROWS, 0),
            }
        )
    return out


def headline_rows(snapshot: Snapshot) -> list[dict[str, str]]:
    """The headline figures as printed (page, e-mail and manifest share them)."""
    language = snapshot.spec.language
    return [
        {**figure_row(f, snapshot.names, language), "trend": sparkline(f.trend)}
        for f in snapshot.headline()
    ]


def mover_sentences(snapshot: Snapshot) -> list[str]:
    kind = snapshot.period.kind if snapshot.period else None
    return [
        mover_sentence(m, snapshot.names, snapshot.spec.language, kind) for m in snapshot.movers
    ]


def render_html(
    snapshot: Snapshot, created_at: str, png_paths: dict[int, Path] | None = None
) -> str:
    """The report page: interactive charts (inline plotly.js), or PNG images when given."""

    def chart_html(index: int) -> str:
        figure = snapshot.sections[index].figure
        if png_paths is not None:
            data = base64.b64encode(png_paths[index].read_bytes()).decode("ascii")
            return f'<img alt="chart" src="data:image/png;base64,{data}">'
        return pio.to_html(
            figure, full_html=False, include_plotlyjs=False, config={"displaylogo": False}
        )

    spec = snapshot.spec
    words = functools.partial(t, lang=spec.language)  # the catalogue in the report's language
    template = _environment().get_template("report.html.j2")
    return template.render(
        lang=spec.language,
        t=words,
        colon="：" if spec.language == "zh" else ": ",
        title=spec.title.get(spec.language),
        period=snapshot.period,
        period_label=period_words(snapshot, spec.language),
        period_range=(
            f"{fmt_date(snapshot.period.start, spec.language)} – "
            f"{fmt_date(snapshot.period.last_day, spec.language)}"
            if snapshot.period
            else ""
        ),
        clock=fmt_date(snapshot.clock, spec.language),
        data_version=snapshot.data_version,
        spec_file=spec.source.name,
        created_at=created_at,
        summary=summary(snapshot, spec.language),
        figures=headline_rows(snapshot),
        trend_label=words("trend_8") if snapshot.period else "",
        baseline=snapshot.baseline,
        movers=mover_sentences(snapshot),
        ranked=snapshot.ranked,
        sections=_sections(snapshot, chart_html),
        left_out=", ".join(s.title.get(spec.language) for s in snapshot.left_out),
        plotly_js=None if png_paths is not None else get_plotlyjs(),
    )


def write_pngs(snapshot: Snapshot, folder: Path) -> dict[int, Path]:
    """All charts in one kaleido call (each call starts a browser), checked not blank."""
    folder.mkdir(parents=True, exist_ok=True)
    jobs = {
        i: (r.figure, folder / f"{r.section.id}.png")
        for i, r in enumerate(snapshot.sections)
        if r.figure is not None
    }
    if jobs:
        # Chromium's pipe to kaleido carries the odd non-JSON message, which choreographer
        # ignores but logs with a traceback; a failed image still raises.
        logging.getLogger("choreographer").setLevel(logging.CRITICAL)
        pio.write_images(
            [fig for fig, _ in jobs.values()], [path for _, path in jobs.values()], scale=2
        )
    for _, path in jobs.values():
        check_png_not_blank(path)
    return {i: path for i, (_, path) in jobs.items()}


def check_png_not_blank(path: Path) -> None:
    with Image.open(path) as image:
        extrema = image.convert("L").getextrema()
    if extrema[0] == extrema[1]:
        raise EmptyReport(f"the chart image {path.name} is blank (one colour)")


def html_to_pdf(html_path: Path, pdf_path: Path) -> None:
    """Print a page with headless Chromium (Playwright driving Debian's chromium)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.goto(html_path.resolve().as_uri(), wait_until="load")
            page.pdf(
                path=str(pdf_path),
                format="A4",
                print_background=True,
                margin={"top": "12mm", "bottom": "12mm", "left": "10mm", "right": "10mm"},
            )
        finally:
            browser.close()


def write_tables(snapshot: Snapshot, folder: Path) -> tuple[list[Path], Path]:
    """One CSV per section and one workbook with a sheet per section plus the figures."""
    folder.mkdir(parents=True, exist_ok=True)
    csvs = []
    for result in snapshot.sections:
        path = folder / f"{result.section.id}.csv"
        result.frame.write_csv(path)
        csvs.append(path)
    xlsx = folder.parent / "report.xlsx"
    figures = pl.DataFrame([f.as_dict() for f in snapshot.headline()]).drop("trend", strict=False)
    with _workbook(xlsx) as book:
        figures.write_excel(book, worksheet="figures", autofit=True)
        for result in snapshot.sections:
            frame = result.frame.with_columns(pl.col(pl.Decimal).cast(pl.Float64))
            frame.write_excel(book, worksheet=result.section.id[:31], autofit=True)
    return csvs, xlsx


def _workbook(path: Path) -> Any:
    import xlsxwriter

    return xlsxwriter.Workbook(str(path))


def render_files(snapshot: Snapshot, folder: Path, created_at: dt.datetime) -> list[Path]:
    """Write every output of a snapshot into `folder`; return the files written."""
    stamp = created_at.strftime("%Y-%m-%d %H:%M UTC")
    html = folder / "report.html"
    html.write_text(render_html(snapshot, stamp), encoding="utf-8")
    pngs = write_pngs(snapshot, folder / "charts")
    printable = folder / ".print.html"
    printable.write_text(render_html(snapshot, stamp, png_paths=pngs), encoding="utf-8")
    pdf = folder / "report.pdf"
    try:
        html_to_pdf(printable, pdf)
    finally:
        printable.unlink(missing_ok=True)
    csvs, xlsx = write_tables(snapshot, folder / "data")
    return [html, pdf, *pngs.values(), *csvs, xlsx]
