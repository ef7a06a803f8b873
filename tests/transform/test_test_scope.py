"""A daily update's dbt tests check what changed (macros/test_scope.sql) and still fail on it;
the marts' not-null contract constraints hold in the tables."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tests.fixtures.business import BUSINESS_DIR, load_business_raw
from tests.fixtures.warehouse import run_dbt

pytestmark = pytest.mark.slow


def _watermarks(warehouse: Path) -> list[tuple[int, object]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select through_batch_id, through_date from ops.build_watermarks order by built_at"
        ).fetchall()


def _constrained_columns(work: Path) -> set[tuple[str, str]]:
    manifest = json.loads((work / "target" / "manifest.json").read_text())
    found = {
        (node["name"], column["name"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model"
        for column in node["columns"].values()
        if any(c["type"] == "not_null" for c in column.get("constraints", []))
    }
    assert len(found) > 100
    return found


def _not_null_columns(warehouse: Path) -> set[tuple[str, str]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.execute(
            "select table_name, column_name from duckdb_columns() "
            "where schema_name = 'marts' and not is_nullable"
        ).fetchall()
    return set(rows)


def test_scoped_tests_catch_a_new_row_that_repeats_an_old_key(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    load_business_raw(warehouse, BUSINESS_DIR)
    first = run_dbt(warehouse, tmp_path / "first", "build")
    assert first.returncode == 0, first.stdout[-3000:]
    # A fully tested build moves the watermark: the fixture's newest batch and order day.
    [(batch, day)] = _watermarks(warehouse)
    assert batch >= 0 and day is not None
    # Not-null is a contract constraint of the marts, enforced by the tables themselves.
    assert _not_null_columns(warehouse) >= _constrained_columns(tmp_path / "first")

    # A partial build tests only part of the project: it does not move the watermark.
    partial = run_dbt(warehouse, tmp_path / "partial", "build", "--select", "stg_orders")
    assert partial.returncode == 0, partial.stdout[-3000:]
    assert len(_watermarks(warehouse)) == 1

    # A later batch brings an order whose id is already loaded (old rows are not re-read).
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "insert into raw.orders select * replace ($batch + 1 as _batch_id) "
            "from raw.orders order by order_id limit 1",
            {"batch": batch},
        )
    again = run_dbt(warehouse, tmp_path / "again", "build")
    assert again.returncode != 0
    assert "FAIL 1 unique_combination_stg_orders_" in again.stdout
    # A build with a failure does not move the watermark: the next one tests the row again.
    assert len(_watermarks(warehouse)) == 1


def test_monthly_tests_check_the_months_an_update_rewrote(tmp_path: Path) -> None:
    """A monthly model's tests take the months it re-derived (from rebuild_from_month()): a
    fault carried into them is caught, the untouched months before are not re-read."""
    warehouse = tmp_path / "warehouse.duckdb"
    load_business_raw(warehouse, BUSINESS_DIR)
    first = run_dbt(warehouse, tmp_path / "first", "build")
    assert first.returncode == 0, first.stdout[-3000:]
    with duckdb.connect(str(warehouse)) as con:
        [(rebuilt_from,)] = con.execute(
            "select date_trunc('month', max(through_date) - 7) from ops.build_watermarks"
        ).fetchall()
        # A customer's row in the month the next update carries its running totals from,
        # doubled: the update re-derives the later months from both copies.
        [(customer, before)] = con.execute(
            "select customer_id, month_start from intermediate.int_customers_rfm_monthly "
            "where month_start = (select max(month_start) "
            "from intermediate.int_customers_rfm_monthly where month_start < $1) "
            "order by customer_id limit 1",
            [rebuilt_from],
        ).fetchall()
        con.execute(
            "insert into intermediate.int_customers_rfm_monthly "
            "select * from intermediate.int_customers_rfm_monthly "
            "where customer_id = $1 and month_start = $2",
            [customer, before],
        )
        [(rebuilt_months,)] = con.execute(
            "select count(*) from intermediate.int_customers_rfm_monthly "
            "where customer_id = $1 and month_start >= $2",
            [customer, rebuilt_from],
        ).fetchall()
    assert rebuilt_months >= 1

    again = run_dbt(warehouse, tmp_path / "again", "build")
    assert again.returncode != 0
    # One doubled key per re-derived month of that customer; the planted month itself is
    # older than the update's months and is not counted.
    assert f"FAIL {rebuilt_months} unique_combination_int_customers_rfm_monthly_" in again.stdout, (
        again.stdout[-3000:]
    )


def test_order_tests_check_the_orders_an_update_rewrote(tmp_path: Path) -> None:
    """The order-keyed models' tests take the orders int_changed_orders lists, the ones the
    update re-derived, however old: a fault in an order older than 62 days is caught once a
    new batch touches that order; orders no batch touched are not read again."""
    warehouse = tmp_path / "warehouse.duckdb"
    load_business_raw(warehouse, BUSINESS_DIR)
    first = run_dbt(warehouse, tmp_path / "first", "build")
    assert first.returncode == 0, first.stdout[-3000:]
    [(batch, day)] = _watermarks(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        [(order, ordered), (untouched, _)] = con.execute(
            "select order_id, cast(ordered_at as date) from raw.orders order by ordered_at limit 2"
        ).fetchall()
        assert (day - ordered).days > 62  # outside a 62-day scope
        # The same fault planted in the model's row of an order no new batch touches.
        con.execute(
            "update intermediate.int_orders_classified set customer_id = 'C-unknown' "
            "where order_id = $1",
            [untouched],
        )
        # A fault in the order's loaded row (its batch is tested already, so the staging
        # tests do not read it again), and a ticket of a new batch that touches the order.
        con.execute("update raw.orders set customer_id = 'C-unknown' where order_id = $1", [order])
        con.execute(
            "insert into raw.service_tickets "
            "select * replace ('T-new' as ticket_id, $1 as order_id, $2 as _batch_id) "
            "from raw.service_tickets where order_id is not null order by ticket_id limit 1",
            [order, batch + 1],
        )
    again = run_dbt(warehouse, tmp_path / "again", "build")
    assert again.returncode != 0
    # One failing row: the touched order, not the untouched one (the models downstream of
    # the failed test are skipped).
    assert "FAIL 1 relationships_int_orders_classified_customer_id_" in again.stdout, again.stdout[
        -3000:
    ]
