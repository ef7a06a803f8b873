"""The Reports page: the archive of the fixture's two weekly snapshots, compare, the builder."""

from __future__ import annotations

import shutil

import polars as pl
import pytest
from streamlit.testing.v1 import AppTest

from dashboards.lib.queries import reports
from pipelines.reports.archive import list_snapshots, record_delivery
from pipelines.reports.runner import check_spec_file, find_spec
from pipelines.settings import Settings
from tests.dashboards.conftest import APP, REPORT_WEEKS

PAGE = "pages/reports.py"
TIMEOUT = 60


def _open(**query: str) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    return at


def _texts(elements) -> str:  # type: ignore[no-untyped-def]
    return " ".join(str(e.value) for e in elements)


def _builder_on_a_month_with_sales(at: AppTest) -> AppTest:
    # the fixture's last complete week has no sales; its last complete month has
    return at.selectbox(key="rb_period").set_value("month").run()


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_archive_lists_the_snapshots_and_opens_the_newest(with_data, lang):
    at = _open(lang=lang)
    listed = at.dataframe[0].value
    assert len(listed) == len(REPORT_WEEKS)
    period = "Period" if lang == "en" else "期间"
    assert next(m.value for m in at.metric if m.label == period) == max(REPORT_WEEKS)
    status = "Delivery" if lang == "en" else "发送状态"
    assert next(m.value for m in at.metric if m.label == status) == (
        "Not sent" if lang == "en" else "未发送"
    )
    tabs = [tab.label for tab in at.tabs]
    assert tabs == (
        ["Archive", "Compare", "Build a report"] if lang == "en" else ["归档", "对比", "自定义报告"]
    )


def test_a_snapshot_offers_every_file_it_holds(with_data):
    at = _open()
    labels = {b.label for b in at.get("download_button")}
    assert {"report.html", "report.pdf", "report.xlsx", "data/top_products.csv"} <= labels
    newest = list_snapshots(with_data.reports_dir)[0]
    for name, path, _ in reports.files(newest):
        assert name in labels and path.stat().st_size > 0


def test_the_report_page_shows_inline_on_request(with_data):
    at = _open()
    assert not at.get("iframe")
    at.toggle(key="reports_show_html").set_value(True).run()
    assert not at.exception
    assert at.get("iframe")


def test_a_failed_delivery_is_shown_with_its_error(with_data, own_archive: Settings):
    source = with_data.reports_dir / "weekly_sales"
    shutil.copytree(source, own_archive.reports_dir / "weekly_sales")
    newest = list_snapshots(own_archive.reports_dir)[0]
    record_delivery(
        newest.path,
        {"channel": "email", "attempt": 4, "at": "2026-03-16T07:00:00", "status": "failed"}
        | {"to": ["boss@example.com"], "error": "SMTPConnectError: connection refused"},
    )
    at = _open()
    assert "connection refused" in _texts(at.error)
    assert next(m.value for m in at.metric if m.label == "Delivery") == "Failed"
    deliveries = at.dataframe[2].value
    assert list(deliveries["Status"]) == ["Failed"]


def test_an_empty_archive_says_how_to_fill_it(own_archive):
    at = _open()
    infos = _texts(at.info)
    assert "orderlens report run weekly_sales" in infos
    assert "two snapshots" in infos


def test_compare_puts_two_snapshots_side_by_side_with_the_change(with_data):
    at = _open()
    assert at.get("plotly_chart"), "the comparison chart"
    earlier, later = sorted(list_snapshots(with_data.reports_dir), key=lambda s: s.period)
    table = reports.compare(earlier, later)
    figures = {f["label"]: f["value"] for f in earlier.manifest["figures"]}
    assert table["earlier"].to_list() == list(figures.values())
    assert table["change"].to_list() == pytest.approx((table["later"] - table["earlier"]).to_list())
    shown = at.dataframe[-1].value  # the compare table
    assert list(shown.columns[:3]) == ["Figure", f"{earlier.period} v1", f"{later.period} v1"]


def test_builder_previews_and_saves_a_spec_the_cli_accepts(own_archive):
    at = _builder_on_a_month_with_sales(_open())
    assert not at.warning, _texts(at.warning)
    assert any(c.value.startswith("Preview of 2026-02") for c in at.caption)
    assert at.get("plotly_chart"), "the preview chart"
    at.text_input(key="rb_name").set_value("sales_by_sku").run()
    at.button(key="rb_save").click().run()
    assert not at.exception
    path = own_archive.reports_dir / "specs" / "sales_by_sku.yaml"
    assert str(path) in _texts(at.success)
    spec = check_spec_file(path, own_archive)  # what `orderlens report check` runs
    assert spec.sections[0].mart == "daily_sales" and spec.period == "month"
    assert find_spec("sales_by_sku", own_archive) == path


def test_builder_shows_the_problems_of_an_invalid_spec_and_offers_no_save(own_archive):
    at = _open()
    at.text_input(key="rb_name").set_value("Not a name!").run()
    assert "is not a name" in _texts(at.warning)
    assert not [b for b in at.button if b.key == "rb_save"]
    assert not (own_archive.reports_dir / "specs").exists()


def test_builder_refuses_the_name_of_a_built_in_report(own_archive):
    at = _builder_on_a_month_with_sales(_open())
    at.text_input(key="rb_name").set_value("weekly_sales").run()
    at.button(key="rb_save").click().run()
    assert "built-in report" in _texts(at.error)
    assert not (own_archive.reports_dir / "specs" / "weekly_sales.yaml").exists()


def test_a_filter_value_that_looks_like_sql_is_only_a_value(own_archive):
    at = _builder_on_a_month_with_sales(_open())
    at.selectbox(key="rb_filter_1_column").set_value("channel").run()
    at.text_input(key="rb_filter_1_value").set_value("web' or '1'='1").run()
    assert not at.exception
    assert "The preview has no rows." in _texts(at.info)


def test_a_filter_value_of_the_wrong_type_is_reported_and_blocks_saving(own_archive):
    at = _builder_on_a_month_with_sales(_open())
    at.selectbox(key="rb_filter_1_column").set_value("units").run()
    at.text_input(key="rb_filter_1_value").set_value("many").run()
    assert "'many' is not a valid BIGINT" in _texts(at.warning)
    assert at.button(key="rb_save").disabled


def test_filter_values_take_the_type_of_their_column():
    assert reports.parse_value("5", "BIGINT", ">") == 5
    assert reports.parse_value("2026-03-01", "DATE", ">=").isoformat() == "2026-03-01"
    assert reports.parse_value("web, app", "VARCHAR", "in") == ["web", "app"]
    assert reports.parse_value("", "VARCHAR", "is_null") is None
    with pytest.raises(ValueError):
        reports.parse_value("yes", "BOOLEAN", "=")


def test_change_is_shown_as_signed_percent_text():
    frame = pl.DataFrame({"change_pct": [0.25, -0.5, None]})
    assert frame.select(reports.pct_text(pl.col("change_pct")))["change_pct"].to_list() == [
        "+25.0%",
        "-50.0%",
        None,
    ]
