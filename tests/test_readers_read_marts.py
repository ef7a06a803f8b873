"""Python outside the transform layer reads contracted marts, never staging or intermediate.

Staging and intermediate models have no contract: a column renamed there passes every dbt
test and breaks a page. Only `pipelines/transform/` (the dbt wiring, which reads its own
build state) and its tests in `tests/transform/` may name them.
"""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("pipelines", "dashboards", "bench", "tests")
TRANSFORM_LAYER = (ROOT / "pipelines" / "transform", ROOT / "tests" / "transform")
# A schema-qualified staging or intermediate model, quoted or not, in any case.
UNCONTRACTED = re.compile(r'\b"?(staging"?\s*\.\s*"?stg_|intermediate"?\s*\.\s*"?int_)', re.I)


def uncontracted_references(files: list[Path]) -> list[str]:
    """`path:line: text` of every line that names a staging or intermediate model."""
    found = []
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if UNCONTRACTED.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    return found


def python_files(*folders: Path) -> list[Path]:
    return sorted(path for folder in folders for path in folder.rglob("*.py"))


def test_pages_reports_forecasting_and_benchmarks_read_only_marts() -> None:
    files = [
        path
        for path in python_files(*(ROOT / folder for folder in SCANNED))
        if not any(path.is_relative_to(layer) for layer in TRANSFORM_LAYER)
    ]
    assert len(files) > 100  # the folders were found
    assert uncontracted_references(files) == []


def test_the_scan_finds_the_transform_layers_own_reads() -> None:
    # The transform layer reads its build state from intermediate: the pattern sees it.
    found = uncontracted_references(python_files(ROOT / "pipelines" / "transform"))
    assert any(ref.startswith("pipelines/transform/state.py:") for ref in found), found
