"""Every built-in report renders on the fixture business; alerts fire once a day; the
Dagster asset archives even when delivery fails; the CLI lists, checks and runs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from click.testing import CliRunner

from pipelines.assets.reports import build_report_definitions
from pipelines.reports.charts import EmptyReport
from pipelines.reports.cli import report
from pipelines.reports.runner import report_specs, run_alerts, run_report
from pipelines.reports.spec import SpecError, load_spec
from pipelines.resources import SettingsResource
from pipelines.settings import Settings, get_settings
from pipelines.warehouse import serving_path
from tests.reports.conftest import free_port


@pytest.fixture
def own_data(served: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    (data_dir / "serving").symlink_to(served.serving_dir)
    monkeypatch.setenv("ORDERLENS_DATA_DIR", str(data_dir))
    monkeypatch.setenv("ORDERLENS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("ORDERLENS_SMTP_PORT", str(free_port()))  # nothing listens
    monkeypatch.setenv("ORDERLENS_SMTP_SECURITY", "none")
    monkeypatch.setenv("ORDERLENS_SMTP_ATTEMPTS", "2")
    monkeypatch.setenv("ORDERLENS_SMTP_BACKOFF", "0.01")
    return get_settings()


def scalar(settings: Settings, sql: str) -> object:
    with duckdb.connect(str(serving_path(settings)), read_only=True) as con:
        return con.execute(sql).fetchall()[0][0]


@pytest.mark.parametrize(
    "name", ["weekly_inventory", "weekly_efficiency", "monthly_customers", "monthly_sales"]
)
def test_every_other_builtin_report_renders_on_the_fixture_business(
    name: str, own_data: Settings
) -> None:
    spec = next(s for s in report_specs("report") if s.name == name)
    archived = run_report(spec, settings=own_data).snapshot
    names = {f["name"] for f in archived.manifest["files"]}
    assert {"report.html", "report.pdf", "report.xlsx"} <= names
    assert all(rows > 0 for rows in archived.manifest["rows"].values())


def test_builtin_figures_match_the_marts(own_data: Settings) -> None:
    customers = next(s for s in report_specs("report") if s.name == "monthly_customers")
    manifest = run_report(customers, "2026-03", settings=own_data).snapshot.manifest
    value = next(f for f in manifest["figures"] if f["section"] == "segments")
    assert value["measure"] == "monetary"
    assert value["value"] == float(
        scalar(own_data, "select sum(monetary) from marts.customer_rfm")  # type: ignore[arg-type]
    )
    moved = next(f for f in manifest["figures"] if f["section"] == "segment_migrations")
    expected = scalar(
        own_data,
        "select sum(customers) from marts.customer_segment_migrations "
        "where month_end = date '2026-03-31'",
    )
    assert moved["value"] == expected


def test_alerts_fire_with_their_rows_at_most_once_per_day(own_data: Settings) -> None:
    specs = report_specs("alert")
    day = dt.date(2026, 3, 12)
    first = {r["rule"]: r for r in run_alerts(specs, own_data, day, send=False)}
    assert (
        first["alert_orders_at_risk"]["status"] == "triggered"
        and first["alert_orders_at_risk"]["rows"] == 1
    )
    assert first["alert_low_stock"]["rows"] >= 1
    again = {r["rule"]: r["status"] for r in run_alerts(specs, own_data, day, send=False)}
    assert set(again.values()) <= {"already sent today", "not triggered"}
    fired = own_data.reports_dir / "_alerts" / "alert_orders_at_risk" / "2026-03-12.json"
    assert '"order_id": "O8"' in fired.read_text(encoding="utf-8")


def test_dagster_asset_archives_the_snapshot_and_fails_its_delivery_check_when_smtp_is_down(
    own_data: Settings,
) -> None:
    assets, schedules = build_report_definitions([])
    assert {s.cron_schedule for s in schedules} >= {"0 7 * * 1", "0 7 1 * *"}
    weekly = next(a for a in assets if a.key == dg.AssetKey(["reports", "weekly_inventory"]))
    resources = {"settings": SettingsResource.from_settings(own_data)}
    result = dg.materialize([weekly], resources=resources, raise_on_error=False)
    [materialization] = result.asset_materializations_for_node(weekly.op.name)
    assert materialization.metadata["delivery"].value == "failed"
    [check] = result.get_asset_check_evaluations()
    assert check.check_name == "delivered" and not check.passed


def test_cli_lists_checks_and_runs_reports(own_data: Settings, tmp_path: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(report, ["list"], obj=own_data)
    assert listed.exit_code == 0 and "weekly_sales" in listed.output
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\nschedule: '0 7 * * 1'\nperiod: week\ntitle: Bad\n"
        "sections:\n  - id: s\n    mart: nope\n    measures: [x]\n"
    )
    checked = runner.invoke(report, ["check", str(bad)], obj=own_data)
    assert (
        checked.exit_code == 2
        and "bad.yaml:7: sections[0].mart: unknown mart 'nope'" in checked.output
    )
    ran = runner.invoke(report, ["run", "weekly_sales", "--period", "2026-W07"], obj=own_data)
    assert ran.exit_code == 0, ran.output
    assert "weekly_sales/2026-W07/v1" in ran.output


OPTIONAL_SPEC = """\
name: with_optional
title: {en: With optional sections, zh: 含可选部分}
period: week
schedule: "0 7 * * 1"
sections:
  - id: sales
    mart: daily_sales
    date_column: sales_date
    dimensions: [channel]
    measures: [{column: net_revenue, label: {en: Net revenue, zh: 净销售额}}]
    chart: bar
  - id: not_published
    title: {en: A plan not made here, zh: 未生成的计划}
    mart: MART
    dimensions: [sku]
    measures: [{column: sku, agg: count}]
    optional: OPTIONAL
  - id: no_rows
    title: {en: Sales of no channel, zh: 无渠道销售}
    mart: daily_sales
    date_column: sales_date
    dimensions: [channel]
    filters: [{column: channel, op: "=", value: nowhere}]
    measures: [{column: net_revenue, label: {en: Net revenue, zh: 净销售额}}]
    optional: OPTIONAL
"""


def test_an_optional_section_without_data_is_left_out_with_a_note(
    own_data: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "with_optional.yaml"
    text = OPTIONAL_SPEC.replace("MART", "replenishment_plan_elsewhere")
    path.write_text(text.replace("OPTIONAL", "true"), encoding="utf-8")
    archived = run_report(load_spec(path), "2026-W11", settings=own_data).snapshot
    assert archived.manifest["left_out"] == ["not_published", "no_rows"]
    assert set(archived.manifest["rows"]) == {"sales"}
    html = (archived.path / "report.html").read_text(encoding="utf-8")
    assert (
        "Left out, as there is no data for them yet: A plan not made here, Sales of no channel."
        in html
    )

    # Not optional: an unknown mart is a spec error, a section without rows an empty report.
    path.write_text(text.replace("OPTIONAL", "false"), encoding="utf-8")
    with pytest.raises(SpecError, match="unknown mart 'replenishment_plan_elsewhere'"):
        run_report(load_spec(path), "2026-W11", settings=own_data)
    path.write_text(
        OPTIONAL_SPEC.replace("MART", "products").replace("OPTIONAL", "false"), encoding="utf-8"
    )
    with pytest.raises(EmptyReport, match="no_rows"):
        run_report(load_spec(path), "2026-W11", settings=own_data)
