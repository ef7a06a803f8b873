"""The marts' comparison macros and pipelines/periods.py agree: dbt compiles the macros, DuckDB
evaluates them over the cases, and each result equals the Python function's."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.periods import containing, growth
from tests.fixtures.warehouse import run_dbt

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("comparison_macros")]

# (period type, a day inside the period): leap days, weeks across a year's turn, quarters.
PERIOD_CASES = [
    ("day", dt.date(2024, 2, 29)),
    ("day", dt.date(2025, 3, 1)),
    ("day", dt.date(2026, 1, 1)),
    ("week", dt.date(2024, 12, 30)),  # ISO week 2025-W01, starting in 2024
    ("week", dt.date(2026, 1, 1)),  # 2026-W01, from Monday 2025-12-29
    ("week", dt.date(2024, 3, 1)),  # the week holding 29 February 2024
    ("month", dt.date(2024, 2, 29)),
    ("month", dt.date(2025, 1, 15)),
    ("month", dt.date(2024, 3, 31)),
    ("quarter", dt.date(2025, 2, 10)),
    ("quarter", dt.date(2024, 5, 31)),
    ("quarter", dt.date(2024, 12, 31)),
    ("year", dt.date(2024, 2, 29)),
    ("year", dt.date(2025, 7, 1)),
]
# (current, base): negative and zero bases, missing values, cents.
GROWTH_CASES = [
    (Decimal("150.00"), Decimal("100.00")),
    (Decimal("600.00"), Decimal("1035.00")),
    (Decimal("-50.00"), Decimal("-100.00")),
    (Decimal("-150.00"), Decimal("-100.00")),
    (Decimal("50.00"), Decimal("-100.00")),
    (Decimal("0.00"), Decimal("100.00")),
    (Decimal("100.00"), Decimal("0.00")),
    (Decimal("0.00"), Decimal("0.00")),
    (None, Decimal("100.00")),
    (Decimal("100.00"), None),
    (Decimal("0.01"), Decimal("0.03")),
]

STARTS_SQL = """
    select
        period_type,
        period_start,
        {{ comparison_start('period_type', 'period_start', 'previous') }} as previous_start,
        {{ comparison_start('period_type', 'period_start', 'year_ago') }} as year_ago_start
    from period_cases
    order by all
"""
GROWTH_SQL = """
    select case_number, {{ growth_pct('current_value', 'base_value') }} as growth_pct
    from growth_cases
    order by case_number
"""


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One dbt target folder for the module: the second compile reuses the first's parse."""
    return tmp_path_factory.mktemp("comparison_macros")


def compiled(sql: str, work: Path) -> str:
    """The SQL dbt compiles from `sql` with the project's macros."""
    result = run_dbt(
        work / "unused.duckdb", work, "compile", "--inline", sql, "--output", "json", "--quiet"
    )
    assert result.returncode == 0, result.stdout[-4000:]
    return str(json.loads(result.stdout)["compiled"])


def test_the_comparison_start_macro_gives_the_python_periods_starts(work: Path) -> None:
    periods = [containing(kind, day) for kind, day in PERIOD_CASES]
    cases = pl.DataFrame(
        {"period_type": [p.kind for p in periods], "period_start": [p.start for p in periods]}
    )
    with duckdb.connect() as con:
        con.register("period_cases", cases)
        from_sql = con.sql(compiled(STARTS_SQL, work)).fetchall()
    expected = sorted((p.kind, p.start, p.previous().start, p.year_ago().start) for p in periods)
    assert from_sql == expected
    # The rule itself, on a few of them: weekdays line up for days and weeks.
    assert (dt.date(2024, 2, 29), dt.date(2023, 3, 2)) in {(row[1], row[3]) for row in from_sql}
    assert ("week", dt.date(2024, 12, 30), dt.date(2024, 12, 23), dt.date(2024, 1, 1)) in from_sql
    assert ("quarter", dt.date(2025, 1, 1), dt.date(2024, 10, 1), dt.date(2024, 1, 1)) in from_sql


def test_the_growth_macro_gives_the_python_growth_in_percent(work: Path) -> None:
    cases = pl.DataFrame(
        {
            "case_number": range(len(GROWTH_CASES)),
            "current_value": [current for current, _ in GROWTH_CASES],
            "base_value": [base for _, base in GROWTH_CASES],
        },
        schema={
            "case_number": pl.Int64,
            "current_value": pl.Decimal(18, 2),
            "base_value": pl.Decimal(18, 2),
        },
    )
    with duckdb.connect() as con:
        con.register("growth_cases", cases)
        from_sql = [value for _, value in con.sql(compiled(GROWTH_SQL, work)).fetchall()]
    from_python = [growth(current, base) for current, base in GROWTH_CASES]
    assert [value is None for value in from_sql] == [value is None for value in from_python]
    assert [value for value in from_sql if value is not None] == pytest.approx(
        [value * 100 for value in from_python if value is not None]
    )
    # From -100 to -50 is a rise: +50 %, whichever side of zero the base is on.
    assert from_sql[2:5] == pytest.approx([50.0, -50.0, 150.0])
