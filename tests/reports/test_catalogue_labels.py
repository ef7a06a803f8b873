"""Every built-in report, rendered in English and in Chinese on the fixture business, names
things as people do: every table header, axis title, legend and figure label is a catalogue
value or a spec label; no mart or column name of the marts it reads shows outside the
technical footer (HTML page, PDF text, e-mail); each headline figure appears once."""

from __future__ import annotations

import dataclasses
import re
import subprocess
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import duckdb
import pytest
from markupsafe import escape

from pipelines.i18n import CATALOGUE, LANGS, t
from pipelines.reports.archive import ArchivedSnapshot
from pipelines.reports.catalog import load_catalog
from pipelines.reports.delivery import build_message
from pipelines.reports.runner import build_snapshot, report_specs, run_report
from pipelines.reports.snapshot import Snapshot
from pipelines.reports.spec import Spec
from pipelines.settings import Settings
from pipelines.warehouse import serving_path
from tests.reports.conftest import archive_beside

REPORTS = [spec.name for spec in report_specs("report")]
# The fixture business sells nothing in the last complete week before its clock.
PERIODS = {"weekly_sales": "2026-W07"}
SKIPPED_TAGS = ("script", "style", "footer", "svg")


class VisibleText(HTMLParser):
    """The text a reader sees, outside scripts, styles and the technical footer; and the
    text of every table header cell."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = 0
        self.in_header = False
        self.text: list[str] = []
        self.headers: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIPPED_TAGS:
            self.hidden += 1
        if tag == "th" and not self.hidden:
            self.in_header = True
            self.headers.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIPPED_TAGS:
            self.hidden -= 1
        if tag == "th":
            self.in_header = False

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        self.text.append(data)
        if self.in_header:
            self.headers[-1] += data.strip()


def visible(html: str) -> VisibleText:
    parser = VisibleText()
    parser.feed(html)
    return parser


def allowed_labels(spec: Spec, language: str) -> set[str]:
    """What a header, an axis title or a legend may say: the catalogue and the spec."""
    words = {t(key, language) for key in CATALOGUE}
    for section in spec.sections:
        words.add(section.title.get(language))
        words |= {m.label.get(language) for m in section.measures}
    return words


def raw_names(spec: Spec, settings: Settings, language: str) -> set[str]:
    """The marts the spec reads and their column names. In English, single plain words
    (orders, channel) are also ordinary words, so only identifiers with an underscore count
    there; Chinese text has no reason to hold any of them."""
    marts = {s.mart for s in spec.sections}
    with duckdb.connect(str(serving_path(settings)), read_only=True) as con:
        catalog = load_catalog(con)
    names = marts | {c for mart in marts for c in catalog.columns(mart)}
    return names if language == "zh" else {n for n in names if "_" in n}


def leaks(text: str, names: set[str]) -> set[str]:
    """The names that stand in the text as whole words."""
    return {n for n in names if re.search(rf"(?<!\w){re.escape(n)}(?!\w)", text, re.ASCII)}


@pytest.fixture(scope="module")
def own_data(served: Settings, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return archive_beside(served, tmp_path_factory.mktemp("labels"))


def snapshot_in(spec: Spec, settings: Settings) -> Snapshot:
    with duckdb.connect(str(serving_path(settings)), read_only=True) as con:
        return build_snapshot(spec, con, load_catalog(con), "test", PERIODS.get(spec.name))


def pdf_text(archived: ArchivedSnapshot, tmp_path: Path, language: str) -> str:
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(archived.path / "report.pdf"), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    # The technical footer (marts, filters, spec file) is the last thing on the page.
    return text.rpartition(t("technical_details", language))[0]


def mail_parts(archived: ArchivedSnapshot) -> tuple[str, str]:
    message: EmailMessage = build_message(archived, "reports@orderlens.test", ["a@example.com"])
    html = message.get_body(("html",))
    text = message.get_body(("plain",))
    assert html is not None and text is not None
    return str(html.get_content()), str(text.get_content())


@pytest.mark.parametrize("language", LANGS)
@pytest.mark.parametrize("name", REPORTS)
def test_builtin_report_shows_only_catalogue_and_spec_labels(
    name: str, language: str, own_data: Settings, tmp_path: Path
) -> None:
    spec = next(s for s in report_specs("report") if s.name == name)
    spec = dataclasses.replace(spec, language=language)
    allowed = allowed_labels(spec, language)
    forbidden = raw_names(spec, own_data, language)
    archived = run_report(spec, PERIODS.get(name), settings=own_data, language=language).snapshot
    assert archived.manifest["language"] == language

    page_html = (archived.path / "report.html").read_text(encoding="utf-8")
    page = visible(page_html)
    assert set(page.headers) <= allowed, set(page.headers) - allowed
    # The scan does find raw names where they belong: in the technical footer.
    assert {s.mart for s in spec.sections} <= leaks(page_html.partition("<footer")[2], forbidden)
    assert not leaks(" ".join(page.text), forbidden)
    assert not leaks(pdf_text(archived, tmp_path, language), forbidden)
    html, text = mail_parts(archived)
    mail = visible(html)
    assert set(mail.headers) <= allowed, set(mail.headers) - allowed
    assert not leaks(" ".join(mail.text), forbidden) and not leaks(text, forbidden)

    # Each headline figure once: as the spec lists them, each label once on the page and
    # once in the e-mail.
    figures = archived.manifest["figures"]
    assert [(f["section"], f["measure"]) for f in figures] == [
        (ref.section, ref.measure) for ref in spec.headline
    ]
    labels = [f["label"] for f in figures]
    assert len(labels) == len(set(labels))
    for label in labels:
        cell = f">{escape(label)}</td>"
        assert page_html.count(cell) == 1 and html.count(cell) == 1, label

    # Charts: axis titles, legend titles, series names and colour bars.
    for result in snapshot_in(spec, own_data).sections:
        if result.figure is None:
            continue
        layout = result.figure.layout
        titles = {layout.xaxis.title.text, layout.yaxis.title.text, layout.legend.title.text}
        for trace in result.figure.data:
            titles.add(trace.colorbar.title.text if trace.type == "heatmap" else trace.name)
        titles.discard(None)
        assert titles <= allowed, titles - allowed
