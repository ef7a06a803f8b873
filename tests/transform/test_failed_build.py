"""A daily build that fails half-way, followed by a good one, equals a full build.

One simulated business is split before its last days and built. Before the build of its last
days, a column added to intermediate.int_order_lines_priced by hand blocks that model: dbt
refuses to write into a table whose columns are not the model's (on_schema_change: fail), so
the build fails there and skips everything downstream of it (the sales marts, the customer
months), while the models beside it absorb the new batches. Once the column is dropped, the
next build takes each model on from the batch it had absorbed: every intermediate and mart
table then equals a full build of the same batches.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.api import ingest_paths
from tests.fixtures.incremental import (
    absorbed,
    build,
    differing_tables,
    settings_for,
    simulated_split,
)
from tests.fixtures.warehouse import run_dbt

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("failed_build")]

BLOCKED = ("intermediate", "int_order_lines_priced")
# A model upstream of the blocked one, and one downstream.
UPSTREAM = ("intermediate", "int_orders_classified")
DOWNSTREAM = ("marts", "daily_sales")


@dataclass(frozen=True)
class Recovery:
    failed: subprocess.CompletedProcess[str]  # the blocked build
    before: int | None  # the batch the models had absorbed before it
    listed: int  # the newest batch int_changes lists after it
    after_failure: dict[tuple[str, str], int | None]  # what each model had absorbed then
    daily: Path  # the warehouse after the next, good build
    full: Path  # a full build of the same batches


@pytest.fixture(scope="module")
def recovered(tmp_path_factory: pytest.TempPathFactory) -> Recovery:
    root = tmp_path_factory.mktemp("failed_build")
    base, last_days = simulated_split(root)
    daily, full = settings_for(root / "daily"), settings_for(root / "rebuilt")
    ingest_paths([base], settings=daily)
    build(daily, root / "work-daily-1")
    before = absorbed(daily.warehouse_path, *BLOCKED)
    ingest_paths([last_days], settings=daily)
    with duckdb.connect(str(daily.warehouse_path)) as con:
        con.execute("alter table intermediate.int_order_lines_priced add column note varchar")
    failed = run_dbt(daily.warehouse_path, root / "work-daily-failed", "build")
    after_failure = {
        model: absorbed(daily.warehouse_path, *model) for model in (UPSTREAM, BLOCKED, DOWNSTREAM)
    }
    with duckdb.connect(str(daily.warehouse_path)) as con:
        [(listed,)] = con.execute("select max(batch_id) from intermediate.int_changes").fetchall()
        con.execute("alter table intermediate.int_order_lines_priced drop column note")
    build(daily, root / "work-daily-good")
    ingest_paths([base], settings=full)
    ingest_paths([last_days], settings=full)
    build(full, root / "work-full")
    return Recovery(
        failed, before, listed, after_failure, daily.warehouse_path, full.warehouse_path
    )


def test_the_blocked_build_fails_half_way(recovered: Recovery) -> None:
    failed = recovered.failed
    assert failed.returncode != 0
    assert "int_order_lines_priced" in failed.stdout and "out of sync" in failed.stdout, (
        failed.stdout[-3000:]
    )
    assert recovered.listed != recovered.before  # the update brought batches
    assert recovered.after_failure == {
        UPSTREAM: recovered.listed,  # ran before the blocked model
        BLOCKED: recovered.before,  # failed: it keeps what it had
        DOWNSTREAM: recovered.before,  # skipped
    }


def test_the_next_good_build_equals_a_full_build(recovered: Recovery) -> None:
    assert absorbed(recovered.daily, *DOWNSTREAM) == recovered.listed
    # table: (rows only the daily update has, rows only the full build has, rows in full)
    assert differing_tables(recovered.daily, recovered.full) == {}
