"""The ingest summary names every file whole, whatever the width it is printed in."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.ingest.simulate import simulate
from pipelines.settings import Settings


def test_the_ingest_summary_shows_whole_file_names_in_a_narrow_pipe(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = simulate(orders=60, days=10, seed=2, out=tmp_path / "sim")
    monkeypatch.setenv("COLUMNS", "50")  # narrower than the table

    result = CliRunner().invoke(main, ["ingest", str(tmp_path / "sim")])

    assert result.exit_code == 0, result.output
    longest = max((p.name for p in sim.files), key=len)
    assert len(longest) > 30
    lines = result.output.splitlines()
    for path in sim.files:  # each on one line, not folded or cut with an ellipsis
        assert any(path.name in line for line in lines), path.name
