"""docs/benchmarks.md is the rendering of the committed bench results: current figures only."""

from __future__ import annotations

import json
import re
import sys
import types
from pathlib import Path

import pytest

from bench import __main__ as bench_cli
from bench import report
from bench.scales import LINES

# Words and stamps of a log of past measurements (the figures' history lives in git).
HISTORY = re.compile(
    r"\b(\d{4}-\d{2}-\d{2}|median of (three|five|\d+) runs|previous(ly)?|earlier|formerly"
    r"|used to|no longer|last (week|month|time|release)|was|were|changelog|history)\b",
    re.IGNORECASE,
)


def _results(folder: Path, files: dict[str, dict[str, object]]) -> Path:
    folder.mkdir(exist_ok=True)
    for name, figures in files.items():
        (folder / f"{name}.json").write_text(json.dumps(figures), encoding="utf-8")
    return folder


def test_the_benchmarks_page_is_the_rendering_of_the_committed_results() -> None:
    assert report.DOC.read_text(encoding="utf-8") == report.render(), (
        "run: python -m bench --render"
    )


def test_the_benchmarks_page_holds_no_history_of_past_measurements() -> None:
    text = report.DOC.read_text(encoding="utf-8")
    assert not HISTORY.findall(text)
    assert HISTORY.search("The 10M row is the median of five runs")
    assert HISTORY.search("measured on 2026-12-07")


def test_every_results_file_is_one_suite_at_one_scale_with_its_machine() -> None:
    """A file the page does not render (a profile, an unknown suite) is not a result."""
    names = {f"{s.name}-{scale}.json" for s in report.SUITES for scale in LINES}
    files = sorted(report.RESULTS.glob("*"))
    assert files, "no committed results"
    for path in files:
        assert path.name in names, f"{path.name} is not <suite>-<scale>.json"
        assert "machine" in json.loads(path.read_text(encoding="utf-8"))


def test_every_suite_has_one_table_with_a_row_per_scale_in_scale_order(tmp_path: Path) -> None:
    results = _results(
        tmp_path / "results",
        {
            "simulate-10m": {"orders": 4_000_000, "simulate_s": 93.71, "machine": "x86_64, 3.11.7"},
            "simulate-100k": {"orders": 40_000, "simulate_s": 1.77, "machine": "x86_64, 3.11.7"},
        },
    )
    text = report.render(results)
    assert text.count("\n## ") == len(report.SUITES)
    section = text[text.index("## Simulator") :]
    rows = [line for line in section.splitlines() if line.startswith("| 1")]
    assert [row.split(" | ")[0] for row in rows] == ["| 100k", "| 10m"]
    assert "| 10m | 4,000,000 | " in section and "| 93.71 s |" in section
    assert f"| {report.ABSENT} |" in section  # a figure the run did not record is said so
    assert "No results yet: `python -m bench --only ingest`." in text
    assert "simulate on `x86_64, Python 3.11.7`" in text


def test_the_dashboards_table_shows_each_pages_p95_and_overhead(tmp_path: Path) -> None:
    figures = {"runs": 30, "worst_page_p95_ms": 56.1, "meets_overhead_target": True}
    figures |= {"overview_app_p95_ms": 56.1, "overview_overhead_x": 1.13}
    results = _results(tmp_path / "results", {"dashboards-10m": figures})
    row = next(line for line in report.render(results).splitlines() if line.startswith("| 10m"))
    assert "| 56.1 ms, 1.13x |" in row
    assert row.endswith(f"| 56.1 ms | true | {report.ABSENT} |")  # the last: load at start


def test_render_rewrites_the_page_without_measuring(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    results = _results(
        tmp_path / "results",
        {"ingest-1m": {"order_lines": 979_446, "ingest_speed_vs_bare": 0.287, "machine": "m"}},
    )
    doc = tmp_path / "benchmarks.md"
    monkeypatch.setattr(report, "RESULTS", results)
    monkeypatch.setattr(report, "DOC", doc)
    monkeypatch.setattr(bench_cli, "SUITES", {})  # a suite run here would fail the test
    monkeypatch.setattr(sys, "argv", ["bench", "--render"])
    bench_cli.main()
    assert doc.read_text(encoding="utf-8") == report.render(results)
    assert "| 1m | 979,446 |" in doc.read_text(encoding="utf-8")


def test_a_suite_run_saves_its_figures_with_the_machine_day_and_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite = types.ModuleType("one_figure_suite")
    suite.main = lambda scale: {"scale": scale, "simulate_s": 1.5}  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, suite.__name__, suite)
    monkeypatch.setattr(bench_cli, "SUITES", {"simulate": suite.__name__})
    monkeypatch.setattr(report, "RESULTS", tmp_path / "results")
    bench_cli.run("simulate", "1m")
    saved = json.loads((tmp_path / "results" / "simulate-1m.json").read_text(encoding="utf-8"))
    assert saved["simulate_s"] == 1.5 and saved["cpus"] >= 1 and saved["memory_gib"] >= 1
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", saved["measured_on"])
    assert saved["load_at_start"] >= 0 and saved["machine"]
