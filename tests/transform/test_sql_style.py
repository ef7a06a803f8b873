"""The dbt models keep the house SQL style (`.sqlfluff`: lowercase, trailing commas, aliases)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_dbt_models_pass_sqlfluff() -> None:
    sqlfluff = str(Path(sys.executable).with_name("sqlfluff"))
    result = subprocess.run(
        [
            sqlfluff,
            "lint",
            "dbt_project/models",
            "--processes",
            "1",
            "--nofail",
            "--format",
            "github-annotation-native",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    problems = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert problems == [], "\n".join(problems[:30])
