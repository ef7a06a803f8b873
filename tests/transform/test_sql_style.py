"""The dbt models keep the house SQL style (`.sqlfluff`: lowercase, trailing commas, aliases)."""

from __future__ import annotations

import re
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


def test_import_ctes_are_not_materialized() -> None:
    """DuckDB materializes a CTE read more than once: an import CTE of a big table would be
    copied whole (a daily build spent a third of its time copying so). The house writes every
    import CTE `as not materialized`, so that each reader scans the table with its own filters.
    """
    import_cte = re.compile(
        r"^(?:with )?(\w+) as (not materialized )?\(\n\s+select \* from \{\{ (?:ref|source)\(",
        re.MULTILINE,
    )
    plain = [
        f"{path.relative_to(ROOT)}: {match.group(1)}"
        for path in sorted((ROOT / "dbt_project" / "models").rglob("*.sql"))
        for match in import_cte.finditer(path.read_text(encoding="utf-8"))
        if not match.group(2)
    ]
    assert plain == []
