"""The built-in alert on orders with out-of-order events, on a real dbt build of the mart."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pipelines.reports.runner import report_specs, run_alerts
from pipelines.settings import Settings
from pipelines.warehouse import publish
from tests.fixtures.business import load_business_raw
from tests.fixtures.out_of_order import (
    add_order_shipped_before_approval,
    business_with_out_of_order_events,
)
from tests.fixtures.warehouse import dbt_build_selected

DAY = dt.date(2026, 3, 2)
SELECTION = "+order_event_anomalies"


def rebuild(settings: Settings) -> None:
    """Build the anomalies mart from the raw tables as they are now, and publish it."""
    dbt_build_selected(settings.warehouse_path, settings.data_dir / "dbt", SELECTION)
    publish(settings)


def evaluate(settings: Settings, day: dt.date) -> dict[str, object]:
    [spec] = [s for s in report_specs("alert") if s.name == "alert_event_anomalies"]
    [result] = run_alerts([spec], settings, day, send=False)
    return result


@pytest.fixture
def anomalies(settings: Settings) -> Settings:
    """The fixture business with X1-X4 (five broken rules), built and published."""
    settings.data_dir.mkdir(parents=True)
    business = business_with_out_of_order_events(settings.data_dir.parent / "business")
    load_business_raw(settings.warehouse_path, business)
    rebuild(settings)
    return settings


def test_event_anomaly_alert_fires_when_more_orders_break_a_rule(anomalies: Settings) -> None:
    first = evaluate(anomalies, DAY)
    # X1 two rules, X2 two, X3 one. The first evaluation only remembers the count.
    assert (first["status"], first["value"]) == ("not triggered", 5.0)
    add_order_shipped_before_approval(anomalies.warehouse_path, batch_id=1)
    rebuild(anomalies)
    grown = evaluate(anomalies, DAY + dt.timedelta(days=1))
    assert (grown["status"], grown["value"], grown["rows"]) == ("triggered", 6.0, 6)
    fired = anomalies.reports_dir / "_alerts" / "alert_event_anomalies" / "2026-03-03.json"
    record = json.loads(fired.read_text(encoding="utf-8"))
    assert record["reference"] == 5.0
    # Newest order date first: the order that made the count grow leads the message.
    newest = record["rows"][0]
    assert (newest["order_id"], newest["rule_code"], newest["hours_out_of_order"]) == (
        "X5",
        "shipped_before_approved",
        2.0,
    )
    # Nothing new: no alert the next day.
    rebuild(anomalies)
    unchanged = evaluate(anomalies, DAY + dt.timedelta(days=2))
    assert (unchanged["status"], unchanged["value"]) == ("not triggered", 6.0)
