"""The Replenishment page on the fixture business with its published plan, and without one."""

from __future__ import annotations

import io
import json
from datetime import date

import duckdb
import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboards.lib import charts, serving, ui
from dashboards.lib.filters import Filters
from dashboards.lib.queries import replenishment
from pipelines.i18n import sentence_in
from pipelines.settings import Settings
from pipelines.warehouse import serving_path
from tests.dashboards.conftest import APP

PAGE = "pages/replenishment.py"
TIMEOUT = 60


def _open(**query: str | list[str]) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    return at


def _mart(settings: Settings, sql: str) -> pl.DataFrame:
    with duckdb.connect(str(serving_path(settings)), read_only=True) as con:
        return con.sql(sql).pl()


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def test_reorder_list_shows_the_lines_to_order_first_and_all_lines_on_request(with_data):
    plan = _mart(with_data, "select * from marts.replenishment_reorder")
    at = _open()
    shown = at.dataframe[0].value
    assert len(shown) == plan["needs_order"].sum() > 0
    assert _metric(at, "Units to order") == f"{plan['order_qty'].sum():,}"
    at.toggle(key="repl_needs_only").set_value(False).run()
    assert not at.exception
    assert len(at.dataframe[0].value) == plan.height


def test_reorder_list_honours_the_warehouse_and_category_filters(with_data):
    plan = _mart(
        with_data,
        "select r.* from marts.replenishment_reorder r join marts.products p using (sku) "
        "where r.warehouse_id = 'WH-S' and p.category = 'gadgets'",
    )
    at = _open(warehouse="WH-S", category="gadgets")
    at.toggle(key="repl_needs_only").set_value(False).run()
    shown = at.dataframe[0].value
    assert sorted(shown["SKU"]) == sorted(plan["sku"]) and len(shown) == 2
    assert set(shown["Warehouse"]) == {"华南仓 South DC"}


def test_picking_a_series_draws_its_forecast_bands_against_actual_demand(with_data):
    backtest = _mart(
        with_data,
        "select model_used from marts.replenishment_backtest "
        "where sku = 'SKU-B' and warehouse_id = 'WH-E'",
    )
    at = _open()
    at.selectbox(key="repl_series").set_value("SKU-B|WH-E").run()
    assert not at.exception
    figure = at.get("plotly_chart")[0].proto.spec
    for name in ("95% interval", "80% interval", "Forecast", "Actual demand"):
        assert f'"name":"{name}"' in figure
    assert figure.count('"fill":"tonexty"') == 2
    assert _metric(at, "Model") == backtest["model_used"][0]
    assert any("Model choice" in c.value for c in at.caption)


def test_the_page_reads_in_chinese(with_data):
    at = _open(lang="zh")
    assert at.title[0].value == "补货"
    assert "需下单" in at.dataframe[0].value.columns
    assert any(m.label == "待下单件数" for m in at.metric)
    assert "补货清单" in [h.value for h in at.subheader]
    # Each line's explanation, written in English by the forecasting step, reads in Chinese.
    assert all(why.startswith("日需求 d=") for why in at.dataframe[0].value["原因"])
    reason = _mart(
        with_data,
        "select model_reason from marts.replenishment_backtest "
        "where sku = 'SKU-B' and warehouse_id = 'WH-E'",
    )["model_reason"][0]
    assert sentence_in(reason, "zh") != reason
    at.selectbox(key="repl_series").set_value("SKU-B|WH-E").run()
    assert any(f"模型选择：{sentence_in(reason, 'zh')}" in c.value for c in at.caption)


def test_reorder_table_has_csv_and_excel_downloads_of_what_it_shows(with_data):
    at = _open(lang="zh")
    names = [b.proto.id for b in at.get("download_button")]
    assert any(n.endswith("replenishment-reorder-csv") for n in names)
    assert any(n.endswith("replenishment-reorder-xlsx") for n in names)
    srv = serving.current(with_data)
    assert srv is not None
    frame = replenishment.page_data(srv, Filters(date(2026, 1, 1), date(2026, 3, 12)))
    reorder = frame["reorder"]
    assert isinstance(reorder, pl.DataFrame)
    shown = ui._display(reorder.drop("warehouse_id"), "zh")
    back = pl.read_excel(io.BytesIO(ui._xlsx(shown)))
    assert back.columns[:2] == ["SKU", "商品"] and back.height == reorder.height


def test_without_a_published_plan_the_page_explains_how_to_get_one(without_plan):
    at = _open()
    assert not at.error
    assert "orderlens build" in " ".join(i.value for i in at.info)


def test_transfers_and_accuracy_say_why_they_are_empty(with_data):
    at = _open()
    infos = " ".join(i.value for i in at.info)
    assert "No transfer is suggested" in infos  # the fixture has no surplus to move
    assert "enough history to be backtested" in infos


def test_actual_demand_has_a_zero_on_every_day_without_a_sale():
    sales = pl.DataFrame({"date": [date(2026, 3, 2)], "units": [3.0]})
    filled = replenishment.daily_actuals(sales, date(2026, 3, 1), date(2026, 3, 4))
    assert isinstance(filled, pl.DataFrame)
    assert filled["units"].to_list() == [0.0, 3.0, 0.0, 0.0]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_accuracy_chart_puts_the_plan_and_the_naive_side_by_side(lang):
    scores = pl.DataFrame(
        {
            "demand_class": ["smooth", "smooth", "all", "all"],
            "scope": ["plan", "naive", "plan", "naive"],
            "wape": [0.3, 0.4, 0.35, 0.45],
        }
    )
    fig = charts.grouped_bars(scores, lang, "demand_class", "wape", "scope", "WAPE", True)
    assert [trace.name for trace in fig.data] == (
        ["Plan's models", "Seasonal naive"] if lang == "en" else ["计划所用模型", "季节性朴素"]
    )
    assert list(fig.data[0].y) == [0.3, 0.35]
    assert fig.layout.barmode == "group"


def test_the_page_shows_the_simulated_trade_off_one_point_per_policy_and_target(with_data):
    pooled = _mart(
        with_data,
        "select policy, service_target from marts.replenishment_policy_simulation "
        "where scope = 'all'",
    )
    assert set(pooled["policy"]) >= {"plan_policy", "min_max"}
    at = _open()
    assert "The policy replayed on history: service against stock" in [
        h.value for h in at.subheader
    ]
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    tradeoff = next(
        s
        for s in specs
        if s["layout"].get("title", {}).get("text") == "Fill rate against average stock value"
    )
    names = [trace["name"] for trace in tradeoff["data"]]
    assert names[:2] == ["The plan's policy", "Simple min/max"]
    assert list(tradeoff["data"][0]["text"]) == ["90%", "95%", "98%"]
    assert pooled.filter(pl.col("policy") != "actual").height == 6


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_trade_off_chart_labels_each_policy_in_the_readers_language(lang):
    points = pl.DataFrame(
        {
            "policy": ["plan_policy"] * 3 + ["min_max"] * 3 + ["actual"],
            "service_target": [0.9, 0.95, 0.98] * 2 + [None],
            "fill_rate": [0.9, 0.93, 0.96, 0.88, 0.92, 0.95, 0.91],
            "avg_stock_value": [100.0, 120.0, 150.0, 110.0, 130.0, 170.0, 140.0],
        }
    )
    fig = charts.tradeoff(points, lang, "t")
    names = [trace.name for trace in fig.data]
    assert names == (
        ["The plan's policy", "Simple min/max", "What happened"]
        if lang == "en"
        else ["计划策略", "简单最小/最大库存策略", "实际情况"]
    )
    assert list(fig.data[0].text) == ["90%", "95%", "98%"]
    assert list(fig.data[0].x) == [100.0, 120.0, 150.0]
