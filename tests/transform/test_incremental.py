"""A daily update built incrementally gives exactly what a full build of the same data gives.

One simulated business is split before its last days. Warehouse `daily` ingests the base,
runs `dbt build`, ingests the last days and runs `dbt build` again (the incremental models
take only what is new); warehouse `full` ingests the same two parts in the same order (so
the batch ids agree) and runs one `dbt build`. Every intermediate and mart table must hold
the same rows in both (every column but `absorbed_batch_id`, the batch each build had
absorbed when it wrote a row).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.api import ingest_paths
from tests.fixtures.business import BUSINESS_DIR, load_business_raw
from tests.fixtures.incremental import (
    BUILD_STATE_COLUMNS,
    build,
    differing_tables,
    settings_for,
    simulated_split,
    tables,
)
from tests.fixtures.warehouse import run_dbt

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("incremental")]


# In UTC, and in a zone behind it, where a window taken from UTC dates would miss the rows
# of a local day's evening.
@pytest.fixture(scope="module", params=["UTC", "America/New_York"])
def warehouses(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[tuple[Path, Path]]:
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ORDERLENS_BUSINESS_TIMEZONE", request.param)
        yield _built(tmp_path_factory.mktemp("incremental"))


def _built(root: Path) -> tuple[Path, Path]:
    base, last_days = simulated_split(root)
    daily, full = settings_for(root / "daily"), settings_for(root / "rebuilt")
    ingest_paths([base], settings=daily)
    build(daily, root / "work-daily-1")
    ingest_paths([last_days], settings=daily)
    build(daily, root / "work-daily-2")
    ingest_paths([base], settings=full)
    ingest_paths([last_days], settings=full)
    build(full, root / "work-full")
    return daily.warehouse_path, full.warehouse_path


def test_the_daily_update_builds_every_table_the_full_build_builds(warehouses):
    daily, full = warehouses
    with duckdb.connect() as con:
        con.execute(f"attach '{daily}' as daily (read_only)")
        con.execute(f"attach '{full}' as rebuilt (read_only)")
        assert tables(con, "daily") == tables(con, "rebuilt")
        assert len(tables(con, "rebuilt")) > 20


def test_the_daily_update_equals_a_full_build_row_for_row(warehouses):
    # table: (rows only the daily update has, rows only the full build has, rows in full)
    assert differing_tables(*warehouses) == {}


def _rows(warehouse: Path, table: str, schema: str = "marts") -> list[tuple[object, ...]]:
    """Every row of schema.table but its build state, sorted by all its columns."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select columns(lambda c: not list_contains($skip, c)) "
            "from query_table(concat($schema, '.', $table)) order by all",
            {"schema": schema, "table": table, "skip": sorted(BUILD_STATE_COLUMNS)},
        ).fetchall()


def _returns(warehouse: Path) -> list[tuple[object, ...]]:
    return _rows(warehouse, "int_order_lines_returned", schema="intermediate")


def test_returns_follow_their_orders_in_a_daily_update(tmp_path: Path) -> None:
    """A later batch cancels an order that had a return, and brings a return without a
    customer for another order and one without an order: the update drops the first,
    attributes the others as a full build does, and holds what rebuilding the model from
    scratch holds."""
    warehouse = tmp_path / "warehouse.duckdb"
    load_business_raw(warehouse, BUSINESS_DIR)
    first = run_dbt(warehouse, tmp_path / "first", "build")
    assert first.returncode == 0, first.stdout[-3000:]
    assert {row[0] for row in _returns(warehouse)} == {"R1", "R2", "R3"}
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into raw.order_events select * replace ('O4' as order_id, 1 as _batch_id) "
            "from raw.order_events where order_id = 'O9' and event_type = 'cancelled'"
        )
        con.execute(
            "insert into raw.returns select * replace ('R4' as return_id, 1 as _batch_id) "
            "from raw.returns where return_id = 'R2'"
        )
        # And a return that names no order (R3's kind): only its batch brings it in.
        con.execute(
            "insert into raw.returns select * replace ('R5' as return_id, 1 as _batch_id) "
            "from raw.returns where return_id = 'R3'"
        )
    again = run_dbt(warehouse, tmp_path / "again", "build")
    assert again.returncode == 0, again.stdout[-3000:]
    updated = _returns(warehouse)
    by_id = {row[0]: row for row in updated}
    assert set(by_id) == {"R2", "R3", "R4", "R5"}  # R1's order O4 is cancelled now
    assert by_id["R4"][1:] == by_id["R2"][1:]  # the same order, customer and attribution
    assert by_id["R5"][1:] == by_id["R3"][1:]

    rebuilt = tmp_path / "rebuilt.duckdb"
    rebuilt.write_bytes(warehouse.read_bytes())
    scratch = run_dbt(
        rebuilt,
        tmp_path / "scratch",
        "run",
        "--full-refresh",
        "--select",
        "int_order_lines_returned",
    )
    assert scratch.returncode == 0, scratch.stdout[-3000:]
    assert _returns(rebuilt) == updated


def test_late_news_of_old_orders_reach_the_weekly_and_monthly_efficiency_marts(
    tmp_path: Path,
) -> None:
    """A later batch brings news of January orders, outside the months an update re-derives
    by date: earlier delivery events of O1 and O7 (O7's moves the only stage that ended in
    the week of 16 February to the week before), a damaged tracking event of S6 (ZTO,
    February) and a ticket about a lost parcel of O2 (SF Express, January). The daily
    update of bottleneck_stages, stage_performance_weekly and carrier_scorecard holds what
    rebuilding them from scratch holds."""
    warehouse = tmp_path / "warehouse.duckdb"
    load_business_raw(warehouse, BUSINESS_DIR)
    first = run_dbt(warehouse, tmp_path / "first", "build")
    assert first.returncode == 0, first.stdout[-3000:]
    tables = ("bottleneck_stages", "stage_performance_weekly", "carrier_scorecard")
    before = {table: _rows(warehouse, table) for table in tables}
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into raw.order_events select * replace "
            "(timestamp '2026-01-06 10:00:00' as event_at, 1 as _batch_id) "
            "from raw.order_events where order_id = 'O1' and event_type = 'delivered'"
        )
        # O7's delivery on 19 February was the only stage to end in the week of 16 February.
        con.execute(
            "insert into raw.order_events select * replace "
            "(timestamp '2026-02-15 10:00:00' as event_at, 1 as _batch_id) "
            "from raw.order_events where order_id = 'O7' and event_type = 'delivered'"
        )
        con.execute(
            "insert into raw.shipment_events select * replace "
            "('S6' as shipment_id, timestamp '2026-02-11 09:00:00' as event_at, 1 as _batch_id) "
            "from raw.shipment_events where shipment_id = 'S4' and status = 'damaged'"
        )
        con.execute(
            "insert into raw.service_tickets select * replace ('T5' as ticket_id, 'C2' as "
            "customer_id, 'O2' as order_id, 'lost' as topic, null as carrier, 1 as _batch_id) "
            "from raw.service_tickets where ticket_id = 'T1'"
        )
    again = run_dbt(warehouse, tmp_path / "again", "build")
    assert again.returncode == 0, again.stdout[-3000:]
    updated = {table: _rows(warehouse, table) for table in tables}
    # The news changes the tables: January's bottleneck week, a week without a completed
    # stage any more, two carriers' complaints.
    assert updated["bottleneck_stages"] != before["bottleneck_stages"]
    weeks = {str(row[0]) for row in updated["bottleneck_stages"]}
    assert "2026-01-05" in weeks
    assert "2026-02-16" not in weeks
    assert "2026-02-16" in {str(row[0]) for row in before["bottleneck_stages"]}
    complaints = (
        "select carrier, month_start, damage_and_loss_complaints from marts.carrier_scorecard"
    )
    with duckdb.connect(str(warehouse), read_only=True) as con:
        after = {(c, str(m)): n for c, m, n in con.execute(complaints).fetchall()}
    assert after[("ZTO Express", "2026-02-01")] == 1
    assert after[("SF Express", "2026-01-01")] == 1

    rebuilt = tmp_path / "rebuilt.duckdb"
    rebuilt.write_bytes(warehouse.read_bytes())
    scratch = run_dbt(rebuilt, tmp_path / "scratch", "run", "--full-refresh", "--select", *tables)
    assert scratch.returncode == 0, scratch.stdout[-3000:]
    assert {table: _rows(rebuilt, table) for table in tables} == updated
