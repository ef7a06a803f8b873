"""The business's calendar: every mart dates by the local day of ORDERLENS_BUSINESS_TIMEZONE.

The fixture business plus one order of a new customer, OZ, placed at 01:00 in Shanghai on
Sunday 2026-03-01 (17:00 UTC on 02-28), promised for 03-01 and delivered at 00:30 local on
Monday 03-02 (16:30 UTC on 03-01). One SKU-B at 100.00 from WH-S, sold out of stock at 01:30
local on 03-01. In Shanghai's calendar, by hand:
- daily sales: web 100.00 on 03-01, no web sale on 02-28 (in UTC it would be 02-28);
- months: the web March has one order (OZ) and February one (O7); in UTC OZ is February's;
- cohorts: CZ's first order is in March, a cohort of one (no other customer starts then);
- fulfilment: delivered on 03-02, after the promised 03-01: late (on time by UTC dates);
- its week (Monday 02-23) at WH-E/web has one order and none on time;
- the order cycle ends in the week of Monday 03-02 (the week of 02-23 in UTC);
- stock: one SKU-B sold at WH-S on 03-01, none on 02-28.
New York: an order at 00:30 local on 2026-11-01, the day daylight-saving time ends (04:30
UTC), counts on 11-01 (a fixed EST offset would put it on 10-31).
"""

from __future__ import annotations

import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner

from dashboards.lib import serving
from dashboards.lib.filters import Filters
from dashboards.lib.queries import sales
from pipelines.cli import main
from pipelines.settings import Settings, SettingsError, get_settings
from pipelines.transform.state import built_timezone, full_build_reason
from pipelines.warehouse import publish
from tests.fixtures.business import BUSINESS_DIR, load_business_raw
from tests.fixtures.warehouse import run_dbt

SHANGHAI_ROWS = {
    "customers": "CZ,赵六,,,Shanghai,Shanghai,China,2026-02-28T16:00:00Z,false",
    "orders": "OZ,CZ,web,2026-02-28T17:00:00Z,2026-03-01,CNY,0.00,0.00,100.00,Shanghai,"
    "Shanghai,China,alipay,false,",
    "order_lines": "OZ,1,SKU-B,1,100.00,0.00",
    "order_events": "\n".join(
        [
            "OZ,received,2026-02-28T17:00:00Z,,,",
            "OZ,allocated,2026-02-28T17:20:00Z,WH-E,SF Express,",
            "OZ,shipped,2026-03-01T02:00:00Z,WH-E,SF Express,",
            "OZ,delivered,2026-03-01T16:30:00Z,WH-E,SF Express,",
        ]
    ),
    "shipments": "SZ,OZ,WH-E,SF Express,SFZ,2026-03-01T02:00:00Z,2026-03-01T16:30:00Z",
    "stock_movements": "MZ,SKU-B,WH-S,2026-02-28T17:30:00Z,sale,-1,OZ",
}


def _business_with(folder: Path, rows: dict[str, str]) -> Path:
    shutil.copytree(BUSINESS_DIR, folder)
    for table, lines in rows.items():
        path = folder / f"{table}.csv"
        text = path.read_text(encoding="utf-8")
        path.write_text(text.rstrip("\n") + "\n" + lines + "\n", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def shanghai(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("shanghai")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ORDERLENS_DATA_DIR", str(root / "data"))
        env.setenv("ORDERLENS_BUSINESS_TIMEZONE", "Asia/Shanghai")
        settings = get_settings()
        settings.data_dir.mkdir(parents=True)
        load_business_raw(settings.warehouse_path, _business_with(root / "biz", SHANGHAI_ROWS))
        # dbt's unit tests pin their expectations to UTC; `make test` runs them in UTC.
        result = run_dbt(
            settings.warehouse_path, root / "dbt", "build", "--exclude-resource-type", "unit_test"
        )
        assert result.returncode == 0, result.stdout[-4000:]
        publish(settings)
    return settings


def _rows(settings: Settings, sql: str, *params: object) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql, list(params)).fetchall()


def test_daily_sales_count_an_order_on_its_local_day(shanghai: Settings) -> None:
    rows = _rows(
        shanghai,
        "select sales_date, sum(orders), sum(net_revenue) from marts.daily_sales "
        "where channel = 'web' and sales_date between '2026-02-28' and '2026-03-01' "
        "group by sales_date order by sales_date",
    )
    assert rows == [(date(2026, 3, 1), 1, Decimal("100.00"))]


def test_monthly_periods_and_cohorts_use_the_local_month(shanghai: Settings) -> None:
    months = _rows(
        shanghai,
        "select period_start, orders from marts.sales_periods where period_type = 'month' "
        "and channel = 'web' and period_start in ('2026-02-01', '2026-03-01') "
        "order by period_start",
    )
    assert months == [(date(2026, 2, 1), 1), (date(2026, 3, 1), 1)]
    cohort = _rows(
        shanghai,
        "select cohort_size from marts.customer_cohorts "
        "where cohort_month = '2026-03-01' and months_since_first = 0",
    )
    assert cohort == [(1,)]
    first = _rows(
        shanghai, "select first_order_date from marts.customer_summary where customer_id = 'CZ'"
    )
    assert first == [(date(2026, 3, 1),)]


def test_on_time_is_judged_on_local_dates(shanghai: Settings) -> None:
    order = _rows(
        shanghai,
        "select ordered_date, delivered_date, is_on_time from marts.order_fulfilment "
        "where order_id = 'OZ'",
    )
    assert order == [(date(2026, 3, 1), date(2026, 3, 2), False)]
    week = _rows(
        shanghai,
        "select orders, on_time_orders from marts.fulfilment_rates_weekly "
        "where week_start = '2026-02-23' and channel = 'web' and warehouse_id = 'WH-E'",
    )
    assert week == [(1, 0)]


def test_stage_weeks_are_local_weeks(shanghai: Settings) -> None:
    ended = _rows(
        shanghai,
        "select ended_at from marts.order_stage_durations "
        "where order_id = 'OZ' and stage = 'order_cycle'",
    )
    assert [str(r[0]) for r in ended] == ["2026-03-01 16:30:00"]  # stored in UTC
    weeks = _rows(
        shanghai,
        "select week_start from marts.stage_performance_weekly "
        "where stage = 'order_cycle' and channel = 'web' and orders > 0 "
        "and week_start between '2026-02-23' and '2026-03-02' order by week_start",
    )
    assert weeks == [(date(2026, 3, 2),)]


def test_stock_days_are_local_days(shanghai: Settings) -> None:
    sold = _rows(
        shanghai,
        "select position_date, units_sold from marts.daily_stock_positions "
        "where sku = 'SKU-B' and warehouse_id = 'WH-S' "
        "and position_date between '2026-02-28' and '2026-03-01' order by position_date",
    )
    assert [(d, int(u)) for d, u in sold] == [(date(2026, 2, 28), 0), (date(2026, 3, 1), 1)]


def test_the_sales_page_shows_the_order_on_its_local_day(
    shanghai: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDERLENS_DATA_DIR", str(shanghai.data_dir))
    srv = serving.current(shanghai)
    assert srv is not None
    web = Filters(date(2026, 2, 28), date(2026, 3, 1), channels=("web",))
    trend = sales.trend(srv, web, "day")
    assert isinstance(trend, pl.DataFrame)
    by_day = {row["period"]: row["net_revenue"] for row in trend.iter_rows(named=True)}
    assert by_day.get(date(2026, 2, 28), 0) == 0
    assert by_day[date(2026, 3, 1)] == pytest.approx(100.0)


def test_new_york_counts_a_daylight_saving_change_night_on_its_local_day(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDERLENS_BUSINESS_TIMEZONE", "America/New_York")
    rows = {
        "orders": "ONY,C5,web,2026-11-01T04:30:00Z,,CNY,0.00,0.00,25.00,California,"
        "San Francisco,United States,card,false,",
        "order_lines": "ONY,1,SKU-A,1,25.00,0.00",
    }
    warehouse = tmp_path / "warehouse.duckdb"
    load_business_raw(warehouse, _business_with(tmp_path / "biz", rows))
    result = run_dbt(
        warehouse,
        tmp_path / "dbt",
        "build",
        "--select",
        "staging",
        "int_changes",
        "int_changes",
        "int_orders_classified+",
        "--indirect-selection",
        "cautious",
        "--exclude-resource-type",
        "unit_test",
    )
    assert result.returncode == 0, result.stdout[-4000:]
    with duckdb.connect(str(warehouse), read_only=True) as con:
        days = con.sql(
            "select distinct sales_date from marts.daily_sales "
            "where sales_date between '2026-10-31' and '2026-11-01'"
        ).fetchall()
    assert days == [(date(2026, 11, 1),)]


def test_an_unknown_business_time_zone_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ORDERLENS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("ORDERLENS_BUSINESS_TIMEZONE", "Mars/Olympus")
    with pytest.raises(SettingsError, match="ORDERLENS_BUSINESS_TIMEZONE='Mars/Olympus'"):
        get_settings()
    result = CliRunner().invoke(main, ["status"])
    assert result.exit_code == 1
    assert "ORDERLENS_BUSINESS_TIMEZONE='Mars/Olympus' is not a time zone" in result.output


def test_the_zone_of_the_last_build_is_read_from_int_changes(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    assert built_timezone(warehouse) is None  # no warehouse
    with duckdb.connect(str(warehouse)) as con:
        con.execute("create schema intermediate")
    assert built_timezone(warehouse) is None  # no build yet
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "create table intermediate.int_changes (batch_id bigint, entity varchar, "
            "entity_key varchar, first_affected_date date, business_timezone varchar)"
        )
    assert built_timezone(warehouse) is None  # an empty list: nothing built from
    with duckdb.connect(str(warehouse)) as con:
        # The newest batch's rows are the last build's, whatever order they were written in.
        con.execute(
            "insert into intermediate.int_changes values "
            "(2, 'order', 'O2', '2026-03-02', 'Asia/Shanghai'), "
            "(1, 'order', 'O1', '2026-03-01', 'UTC')"
        )
    assert built_timezone(warehouse) == "Asia/Shanghai"


def test_a_build_in_another_zone_is_a_full_one(
    shanghai: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert built_timezone(shanghai.warehouse_path) == "Asia/Shanghai"
    assert full_build_reason(shanghai) is None
    monkeypatch.setenv("ORDERLENS_DATA_DIR", str(shanghai.data_dir))
    monkeypatch.setenv("ORDERLENS_BUSINESS_TIMEZONE", "UTC")
    assert full_build_reason(get_settings()) == "business time zone Asia/Shanghai -> UTC"


def test_a_warehouse_built_before_int_changes_gets_a_full_build(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, lock_timeout_s=30, source_timezone="UTC")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("create schema intermediate")
    assert full_build_reason(settings) is None  # nothing built yet: a first build anyway
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("create table intermediate.int_orders_priced (order_id varchar)")
    reason = full_build_reason(settings)
    assert reason is not None and "no build state" in reason
