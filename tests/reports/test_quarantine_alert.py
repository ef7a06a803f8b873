"""The built-in alert on a growing ingest quarantine, on a real dbt build of the quality mart."""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pytest

from pipelines.reports.runner import report_specs, run_alerts
from pipelines.settings import Settings
from pipelines.warehouse import publish
from tests.fixtures.quarantine import Quarantined, add_batch, add_quarantined
from tests.fixtures.warehouse import dbt_build_selected

DAY = dt.date(2026, 3, 2)


def rebuild(settings: Settings) -> None:
    """Build the quality mart from the ledger as it is now, and publish it."""
    dbt_build_selected(settings.warehouse_path, settings.data_dir / "dbt", "source:ops.quarantine+")
    publish(settings)


def evaluate(settings: Settings, day: dt.date) -> dict[str, object]:
    [spec] = [s for s in report_specs("alert") if s.name == "alert_quarantine_grew"]
    [result] = run_alerts([spec], settings, day, send=False)
    return result


@pytest.fixture
def ledger(settings: Settings) -> Settings:
    """A warehouse whose quarantine holds two rows of one batch, built and published."""
    settings.data_dir.mkdir(parents=True)
    add_batch(settings.warehouse_path, 1, dt.datetime(2026, 3, 1, 8))
    add_quarantined(
        settings.warehouse_path,
        [Quarantined(1, 1, "orders", "type"), Quarantined(2, 1, "orders", "type")],
    )
    rebuild(settings)
    return settings


def test_quarantine_alert_fires_when_the_quarantine_grows_and_not_when_rows_are_released(
    ledger: Settings,
) -> None:
    first = evaluate(ledger, DAY)
    # The first evaluation has nothing to compare with: it only remembers the value.
    assert (first["status"], first["value"]) == ("not triggered", 2.0)
    add_batch(ledger.warehouse_path, 2, dt.datetime(2026, 3, 2, 9))
    add_quarantined(
        ledger.warehouse_path,
        [
            Quarantined(3, 2, "order_lines", "unknown_parent", "waiting"),
            Quarantined(4, 2, "customers", "missing", "released"),  # not in quarantine now
            # Left out on purpose by a mapping: kept with its reason, never a quarantine.
            Quarantined(5, 2, "(mapping)", "excluded_by_mapping", "excluded"),
        ],
    )
    rebuild(ledger)
    grown = evaluate(ledger, DAY + dt.timedelta(days=1))
    assert (grown["status"], grown["value"], grown["rows"]) == ("triggered", 3.0, 2)
    fired = ledger.reports_dir / "_alerts" / "alert_quarantine_grew" / "2026-03-03.json"
    record = json.loads(fired.read_text(encoding="utf-8"))
    assert record["reference"] == 2.0
    # Newest day first: the rows that made it grow lead the message.
    assert [(r["quarantined_date"], r["table_name"], r["status"]) for r in record["rows"]] == [
        ("2026-03-02", "order_lines", "waiting"),
        ("2026-03-01", "orders", "held"),
    ]
    # A release makes the quarantine shrink: no alert.
    with duckdb.connect(str(ledger.warehouse_path)) as con:
        con.execute("UPDATE ops.quarantine SET status = 'released' WHERE quarantine_id = 3")
    rebuild(ledger)
    shrunk = evaluate(ledger, DAY + dt.timedelta(days=2))
    assert (shrunk["status"], shrunk["value"]) == ("not triggered", 2.0)
