"""The quality mart on a hand-made ingest ledger, built by a real `dbt build`.

Batches (start, UTC): 1 at 03-01 08:00, 2 at 03-01 20:00, 3 at 03-02 00:30.
Quarantined rows:
  q1 b1 orders type held          q4 b2 orders type held
  q2 b1 orders type held          q5 b2 order_lines unknown_parent waiting
  q3 b1 order_lines unknown_parent released (by a later batch)
  q6 b3 customers missing held
  q7 b3 (mapping) excluded_by_mapping excluded (left out on purpose: no quarantine)
  q8 b2 orders type superseded (its batch was replaced by a corrected mapping's load)
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
import yaml

from tests.fixtures.business import load_business_raw
from tests.fixtures.quarantine import Quarantined, add_batch, add_quarantined
from tests.fixtures.warehouse import dbt_build_selected, run_dbt

QUALITY_MARTS = Path(__file__).resolve().parents[2] / "dbt_project" / "models" / "marts" / "quality"

# The readers of the quarantine ledger (ops.ingest_batches also feeds int_changes, and so
# every incremental model).
SELECTION = "source:ops.quarantine+"
ROWS = [
    Quarantined(1, 1, "orders", "type"),
    Quarantined(2, 1, "orders", "type"),
    Quarantined(3, 1, "order_lines", "unknown_parent", "released"),
    Quarantined(4, 2, "orders", "type"),
    Quarantined(5, 2, "order_lines", "unknown_parent", "waiting"),
    Quarantined(6, 3, "customers", "missing"),
    Quarantined(7, 3, "(mapping)", "excluded_by_mapping", "excluded"),
    Quarantined(8, 2, "orders", "type", "superseded"),
]


def build_quality_warehouse(work_dir: Path) -> Path:
    warehouse = work_dir / "warehouse.duckdb"
    load_business_raw(warehouse)
    for batch_id, started in [
        (1, "2026-03-01 08:00"),
        (2, "2026-03-01 20:00"),
        (3, "2026-03-02 00:30"),
    ]:
        add_batch(warehouse, batch_id, dt.datetime.fromisoformat(started))
    add_quarantined(warehouse, ROWS)
    dbt_build_selected(warehouse, work_dir, SELECTION)
    return warehouse


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    yield build_quality_warehouse(tmp_path_factory.mktemp("quality_marts"))


def rows(warehouse: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_quarantine_daily_counts_rows_per_day_table_reason_and_status(warehouse: Path) -> None:
    assert rows(
        warehouse,
        "select quarantined_date, table_name, reason_code, status, rows_quarantined, batches "
        "from marts.ingest_quarantine_daily order by all",
    ) == [
        # q3 was released later but stays on the day it was quarantined
        (dt.date(2026, 3, 1), "order_lines", "unknown_parent", "released", 1, 1),
        (dt.date(2026, 3, 1), "order_lines", "unknown_parent", "waiting", 1, 1),
        # q1, q2 (batch 1) and q4 (batch 2, 20:00 the same day)
        (dt.date(2026, 3, 1), "orders", "type", "held", 3, 2),
        (dt.date(2026, 3, 1), "orders", "type", "superseded", 1, 1),
        # q6: batch 3 started after midnight UTC, so it counts on the next day
        (dt.date(2026, 3, 2), "customers", "missing", "held", 1, 1),
    ]


def test_quarantine_daily_totals_every_quarantined_row_once_and_no_exclusion(
    warehouse: Path,
) -> None:
    # Every row of ops.quarantine but the mapping's exclusions lands in one row of the mart.
    quarantined = [r for r in ROWS if r.status != "excluded"]
    assert len(quarantined) == len(ROWS) - 1
    assert rows(warehouse, "select sum(rows_quarantined) from marts.ingest_quarantine_daily") == [
        (len(quarantined),)
    ]


def test_a_quarantined_row_of_an_unknown_batch_fails_its_check(
    warehouse: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "warehouse.duckdb"
    copy.write_bytes(warehouse.read_bytes())
    check = ("test", "--select", "quarantine_rows_name_a_known_batch")
    passed = run_dbt(copy, tmp_path / "before", *check)
    assert passed.returncode == 0, passed.stdout[-3000:]
    add_quarantined(copy, [Quarantined(7, 99, "orders", "type")])  # no batch 99 in the ledger
    failed = run_dbt(copy, tmp_path / "after", *check)
    assert failed.returncode != 0
    assert "FAIL 1 quarantine_rows_name_a_known_batch" in failed.stdout, failed.stdout[-3000:]


def test_every_event_order_rule_of_the_model_is_an_accepted_rule_code() -> None:
    sql = (QUALITY_MARTS / "order_event_anomalies.sql").read_text(encoding="utf-8")
    rules = re.findall(r"\('(\w+)', '\w+', '\w+'\)", sql)
    models = yaml.safe_load((QUALITY_MARTS / "_quality.yml").read_text(encoding="utf-8"))
    [model] = [m for m in models["models"] if m["name"] == "order_event_anomalies"]
    [column] = [c for c in model["columns"] if c["name"] == "rule_code"]
    [accepted] = [t["accepted_values"] for t in column["data_tests"] if "accepted_values" in t]
    assert len(rules) == 15
    assert rules == accepted["arguments"]["values"]
