"""Every figure beside the same figure of the report's previous archived snapshot."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import polars as pl
import pytest

from pipelines.reports.archive import ArchivedSnapshot, previous_snapshot
from pipelines.reports.runner import find_spec, run_report
from pipelines.reports.snapshot import Figure, SectionResult, Snapshot, compare_with_snapshot
from pipelines.reports.spec import load_spec
from pipelines.settings import Settings


def archive_manifest(archive: Path, report: str, period: str, version: int, start: str) -> None:
    folder = archive / report / period / f"v{version}"
    folder.mkdir(parents=True)
    manifest = {"report": report, "period": {"label": period, "start": start}, "figures": []}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")


@pytest.fixture
def archive(tmp_path: Path) -> Path:
    for period, version, start in [
        ("2026-W05", 1, "2026-01-26"),
        ("2026-W06", 1, "2026-02-02"),
        ("2026-W06", 2, "2026-02-02"),
        ("2026-W08", 1, "2026-02-16"),  # a later period, archived before a back-fill of W07
    ]:
        archive_manifest(tmp_path, "weekly_sales", period, version, start)
    archive_manifest(tmp_path, "weekly_inventory", "2026-W07", 1, "2026-02-09")
    return tmp_path


@pytest.mark.parametrize(
    ("as_of", "expected"),
    [
        ("2026-02-09", ("2026-W06", 2)),  # the next period: the newest version of the last one
        ("2026-02-02", ("2026-W06", 2)),  # a re-run of W06 follows its own latest version
        ("2026-01-26", ("2026-W05", 1)),  # a back-fill never compares with a later period
        ("2026-01-19", None),  # nothing archived before it
    ],
)
def test_previous_snapshot_is_the_newest_of_the_same_or_an_earlier_period(
    archive: Path, as_of: str, expected: tuple[str, int] | None
) -> None:
    found = previous_snapshot(archive, "weekly_sales", as_of)
    assert ((found.period, found.version) if found else None) == expected


def test_figures_compare_with_the_earlier_manifest_and_stay_null_without_a_base() -> None:
    spec = load_spec(find_spec("weekly_sales", Settings()))
    section = spec.sections[0]
    figures = [
        Figure(section.id, "net_revenue", "Net revenue", 300.0, 60.0, None),
        Figure(section.id, "orders", "Orders", 2, 1, None),
    ]
    snapshot = Snapshot(
        spec, None, None, "v", [SectionResult(section, pl.DataFrame(), None, figures)], []
    )
    # The earlier snapshot saw less revenue for the same period (late data), and had no
    # `orders` figure at all.
    earlier = {"figures": [{"section": section.id, "measure": "net_revenue", "value": 250.0}]}
    compared = compare_with_snapshot(snapshot, {"period": "2026-W07", "version": 1}, earlier)
    revenue, orders = (f.as_dict() for f in compared.headline())
    assert revenue["previous_snapshot"] == 250.0
    assert (revenue["change_vs_previous_snapshot"], revenue["change_vs_previous_snapshot_pct"]) == (
        50.0,
        0.2,
    )
    assert revenue["change_vs_previous"] == 240.0  # the period-on-period change is kept
    assert orders["previous_snapshot"] is None and orders["change_vs_previous_snapshot"] is None
    first = compare_with_snapshot(snapshot, None, None)
    assert first.baseline is None
    assert all(f.as_dict()["change_vs_previous_snapshot"] is None for f in first.headline())


@pytest.fixture(scope="module")
def two_weeks(
    served: Settings, tmp_path_factory: pytest.TempPathFactory
) -> tuple[ArchivedSnapshot, ArchivedSnapshot]:
    data_dir = tmp_path_factory.mktemp("previous_snapshot") / "data"
    data_dir.mkdir()
    (data_dir / "serving").symlink_to(served.serving_dir)
    settings = Settings(data_dir=data_dir, lock_timeout_s=30, source_timezone="UTC")
    spec = load_spec(find_spec("weekly_sales", settings))
    first = run_report(spec, "2026-W06", settings=settings).snapshot
    second = run_report(spec, "2026-W07", settings=settings).snapshot
    return first, second


def test_the_first_snapshot_says_it_has_no_previous_one_and_records_nulls(
    two_weeks: tuple[ArchivedSnapshot, ArchivedSnapshot],
) -> None:
    first, _ = two_weeks
    manifest = first.manifest
    assert manifest["previous_snapshot"] is None
    assert all(f["previous_snapshot"] is None for f in manifest["figures"])
    assert all(f["change_vs_previous_snapshot"] is None for f in manifest["figures"])
    html = (first.path / "report.html").read_text(encoding="utf-8")
    assert "No previous snapshot of this report" in html


def test_next_snapshot_records_and_shows_the_change_against_the_previous_one(
    two_weeks: tuple[ArchivedSnapshot, ArchivedSnapshot], tmp_path: Path
) -> None:
    first, second = two_weeks
    manifest = second.manifest
    assert manifest["previous_snapshot"]["period"] == "2026-W06"
    assert manifest["previous_snapshot"]["version"] == first.version
    before = {(f["section"], f["measure"]): f["value"] for f in first.manifest["figures"]}
    for figure in manifest["figures"]:
        base = before[(figure["section"], figure["measure"])]
        assert figure["previous_snapshot"] == base
        assert figure["change_vs_previous_snapshot"] == figure["value"] - base
    revenue = next(f for f in manifest["figures"] if f["measure"] == "net_revenue")
    # W06 reported 60 and W07 300 (see test_render).
    assert (revenue["previous_snapshot"], revenue["change_vs_previous_snapshot"]) == (60.0, 240.0)
    html = (second.path / "report.html").read_text(encoding="utf-8")
    assert f"Previous snapshot: 2026-W06 v{first.version}" in html
    text = subprocess.run(
        ["pdftotext", str(second.path / "report.pdf"), "-"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert "Previous snapshot" in text and "2026-W06" in text
