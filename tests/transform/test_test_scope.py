"""A daily update's dbt tests check what it changed (macros/incremental_window.sql) and still
fail on it; the marts' not-null contract constraints hold in the tables.

- the tests of an incremental model check the rows its last run wrote (its newest
  absorbed_batch_id);
- the tests of a staging model check the rows of the batches int_changes has not absorbed
  yet (the staging tests run before it);
- unique_combination looks the tested rows' keys up in the whole table;
- a full refresh tests every row.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tests.fixtures.business import BUSINESS_DIR, load_business_raw
from tests.fixtures.warehouse import run_dbt

pytestmark = pytest.mark.slow


def _built(tmp_path: Path) -> Path:
    warehouse = tmp_path / "warehouse.duckdb"
    load_business_raw(warehouse, BUSINESS_DIR)
    first = run_dbt(warehouse, tmp_path / "first", "build")
    assert first.returncode == 0, first.stdout[-3000:]
    return warehouse


def _absorbed(warehouse: Path) -> int:
    """The newest batch int_changes lists: what the last build absorbed."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = con.execute("select max(batch_id) from intermediate.int_changes").fetchone()
    assert found is not None and found[0] is not None
    return int(found[0])


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


def test_the_marts_enforce_their_not_null_constraints(tmp_path: Path) -> None:
    warehouse = _built(tmp_path)
    assert _not_null_columns(warehouse) >= _constrained_columns(tmp_path / "first")


def test_staging_tests_check_the_batches_not_absorbed_and_catch_a_repeated_old_key(
    tmp_path: Path,
) -> None:
    warehouse = _built(tmp_path)
    absorbed = _absorbed(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        [(old, repeated)] = con.execute(
            "select min(order_id), max(order_id) from raw.orders"
        ).fetchall()
        # A fault in a batch the build absorbed already: a daily update does not read it again.
        con.execute(
            "insert into raw.orders select * replace ($batch as _batch_id) "
            "from raw.orders where order_id = $order",
            {"batch": absorbed, "order": old},
        )
        # A later batch brings an order whose id is already loaded (old rows are not tested
        # again, but the new row's key is looked up among them).
        con.execute(
            "insert into raw.orders select * replace ($batch as _batch_id) "
            "from raw.orders where order_id = $order",
            {"batch": absorbed + 1, "order": repeated},
        )
    again = run_dbt(warehouse, tmp_path / "again", "build")
    assert again.returncode != 0
    assert "FAIL 1 unique_combination_stg_orders_" in again.stdout, again.stdout[-3000:]
    # The failed test stops int_changes (downstream of stg_orders): the batch stays
    # unabsorbed and the next build tests its row again.
    assert _absorbed(warehouse) == absorbed
    retried = run_dbt(warehouse, tmp_path / "retried", "build")
    assert "FAIL 1 unique_combination_stg_orders_" in retried.stdout, retried.stdout[-3000:]
    # A full refresh tests every row: both repeated keys.
    full = run_dbt(warehouse, tmp_path / "full", "build", "--full-refresh")
    assert "FAIL 2 unique_combination_stg_orders_" in full.stdout, full.stdout[-3000:]


def test_an_incremental_models_tests_check_the_rows_its_last_run_wrote(tmp_path: Path) -> None:
    """int_orders_classified replaces the order months holding changed orders: a fault in
    the month of an order a new batch touches is caught, however old the order; the same
    fault in a month no batch touched is not read again."""
    warehouse = _built(tmp_path)
    absorbed = _absorbed(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        [(order, month)] = con.execute(
            "select order_id, date_trunc('month', ordered_date) "
            "from intermediate.int_orders_classified order by ordered_at limit 1"
        ).fetchall()
        [(untouched,)] = con.execute(
            "select max(order_id) from intermediate.int_orders_classified "
            "where date_trunc('month', ordered_date) > $month",
            {"month": month},
        ).fetchall()
        # The same fault planted in the model's row of an order in a month no batch touches.
        con.execute(
            "update intermediate.int_orders_classified set customer_id = 'C-unknown' "
            "where order_id = $order",
            {"order": untouched},
        )
        # A fault in the order's loaded row (its batch is absorbed, so the staging tests do
        # not read it again), and an allocation event of a new batch that touches the order
        # (the same warehouse again, a second later).
        con.execute(
            "update raw.orders set customer_id = 'C-unknown' where order_id = $order",
            {"order": order},
        )
        con.execute(
            "insert into raw.order_events "
            "select * replace (event_at + interval 1 second as event_at, $batch as _batch_id) "
            "from raw.order_events where order_id = $order and event_type = 'allocated' "
            "order by event_at desc limit 1",
            {"order": order, "batch": absorbed + 1},
        )
        [(events,)] = con.execute(
            "select count(*) from raw.order_events where _batch_id = $batch",
            {"batch": absorbed + 1},
        ).fetchall()
        assert events == 1
    again = run_dbt(warehouse, tmp_path / "again", "build")
    assert again.returncode != 0
    # One failing row: the touched order, not the untouched one (the models downstream of
    # the failed test are skipped).
    assert "FAIL 1 relationships_int_orders_classified_customer_id_" in again.stdout, again.stdout[
        -3000:
    ]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        written = con.execute(
            "select distinct date_trunc('month', ordered_date) "
            "from intermediate.int_orders_classified "
            "where absorbed_batch_id = (select max(absorbed_batch_id) "
            "from intermediate.int_orders_classified)"
        ).fetchall()
    assert written == [(month,)]  # what the last run wrote, and so what its tests read
