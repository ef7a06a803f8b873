"""Spec validation: shape, allow-list, line numbers, and injection attempts in every field."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from pipelines.reports.catalog import Catalog, validate_spec
from pipelines.reports.spec import SpecError, builtin_spec_paths, load_spec

CATALOG = Catalog(
    {
        "daily_sales": {
            "sales_date": "DATE",
            "channel": "VARCHAR",
            "sku": "VARCHAR",
            "net_revenue": "DECIMAL(18,2)",
            "units": "BIGINT",
        }
    }
)

GOOD = """\
name: custom_sales
title: {en: Custom sales, zh: 自定义销售}
period: week
schedule: "0 7 * * 1"
recipients: [boss@example.com]
sections:
  - id: by_channel
    mart: daily_sales
    date_column: sales_date
    dimensions: [channel]
    measures:
      - {column: net_revenue, agg: sum}
    filters:
      - {column: channel, op: in, value: [web, app]}
    sort: [{column: net_revenue, descending: true}]
    limit: 5
    chart: bar
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(tmp_path: Path, text: str) -> list[str]:
    with pytest.raises(SpecError) as caught:
        validate_spec(load_spec(write(tmp_path, text)), CATALOG)
    return [str(p) for p in caught.value.problems]


def test_a_good_spec_passes_shape_and_catalog_checks(tmp_path: Path) -> None:
    spec = load_spec(write(tmp_path, GOOD))
    validate_spec(spec, CATALOG)
    assert spec.sections[0].measures[0].alias == "net_revenue"
    assert spec.title.get("zh") == "自定义销售"


def test_every_builtin_spec_has_a_valid_shape() -> None:
    paths = builtin_spec_paths()
    assert {p.stem for p in paths} >= {"weekly_sales"}
    for path in paths:
        assert load_spec(path).name == path.stem


def test_unknown_mart_is_reported_with_file_line_and_allowed_marts(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, GOOD.replace("mart: daily_sales", "mart: daily_salez"))
    assert problem.startswith(
        f"{tmp_path / 'spec.yaml'}:8: sections[0].mart: unknown mart 'daily_salez'"
    )
    assert "allowed: daily_sales" in problem


def test_unknown_column_is_reported_with_the_mart_columns(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, GOOD.replace("dimensions: [channel]", "dimensions: [region]"))
    assert ":10: sections[0].dimensions[0]: unknown column 'region' of daily_sales" in problem
    assert "allowed: sales_date, channel, sku, net_revenue, units" in problem


def test_summing_a_text_column_is_refused(tmp_path: Path) -> None:
    found = problems(
        tmp_path, GOOD.replace("{column: net_revenue, agg: sum}", "{column: sku, agg: sum}")
    )
    assert any("sum needs a number column (allowed: net_revenue, units)" in p for p in found)


def test_bad_chart_type_lists_the_chart_types(tmp_path: Path) -> None:
    [problem] = problems(tmp_path, GOOD.replace("chart: bar", "chart: radar"))
    assert ":17: sections[0].chart: 'radar' is not allowed" in problem
    assert "line, bar, stacked_bar, pie, table, heatmap" in problem


@pytest.mark.parametrize(
    "cron",
    ["61 7 * * 1", "0 7 * *", "0 7 * * 1 2026", "0 7 * * 1; rm -rf /", "@daily", "0 7 */0 * *"],
)
def test_bad_cron_is_refused_on_its_line(tmp_path: Path, cron: str) -> None:
    found = problems(tmp_path, GOOD.replace('"0 7 * * 1"', yaml.safe_dump(cron).splitlines()[0]))
    assert any(":4: schedule:" in p for p in found)


@pytest.mark.parametrize(
    ("original", "attack"),
    [
        ("name: custom_sales", 'name: "x; drop table marts.daily_sales"'),
        ("mart: daily_sales", 'mart: "daily_sales; drop table marts.daily_sales"'),
        ("mart: daily_sales", 'mart: "main.daily_sales"'),
        ("date_column: sales_date", 'date_column: "sales_date) or (1=1"'),
        ("dimensions: [channel]", 'dimensions: ["channel\\" , (select 1) as \\"x"]'),
        ("{column: net_revenue, agg: sum}", '{column: "net_revenue) from x --", agg: sum}'),
        ("agg: sum", 'agg: "sum(1)); drop table x; --"'),
        ("{column: channel, op: in", '{column: "1=1 or channel", op: in'),
        ("op: in", 'op: "in (select 1) or 1 in"'),
        ("value: [web, app]", "value: [{nested: 1}]"),
        (
            "{column: net_revenue, descending: true}",
            '{column: "net_revenue; drop table x", descending: true}',
        ),
        ("descending: true", 'descending: "desc; drop table x"'),
        ("limit: 5", 'limit: "5; drop table x"'),
        ("chart: bar", 'chart: "bar<script>"'),
        ("period: week", 'period: "week\' or 1=1"'),
        (
            "recipients: [boss@example.com]",
            'recipients: ["boss@example.com\\nBcc: all@example.com"]',
        ),
        ("recipients: [boss@example.com]", 'recipients: ["a@b.com, everyone@example.com"]'),
        ("title: {en: Custom sales, zh: 自定义销售}", 'title: "Sales\\r\\nBcc: all@example.com"'),
        ("    mart: daily_sales", '    sql: "select * from raw.customers"\n    mart: daily_sales'),
    ],
)
def test_injection_attempts_in_every_field_are_refused(
    tmp_path: Path, original: str, attack: str
) -> None:
    assert original in GOOD
    found = problems(tmp_path, GOOD.replace(original, attack, 1))
    assert found, "the attack must be reported"


def test_a_filter_value_that_looks_like_sql_is_only_ever_a_bound_value(tmp_path: Path) -> None:
    text = GOOD.replace("value: [web, app]", 'value: ["web\'); drop table marts.daily_sales; --"]')
    validate_spec(load_spec(write(tmp_path, text)), CATALOG)  # valid: it is just a string


def test_every_problem_of_a_spec_is_reported_at_once(tmp_path: Path) -> None:
    text = GOOD.replace("chart: bar", "chart: radar").replace("period: week", "period: year")
    with pytest.raises(SpecError) as caught:
        load_spec(write(tmp_path, text))
    assert {p.where for p in caught.value.problems} == {"sections[0].chart", "period"}


def test_broken_yaml_is_reported_with_its_line(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match=r"(?s)spec.yaml:\d: spec: not valid YAML.*line 3"):
        load_spec(write(tmp_path, "name: x\ntitle: a\nperiod: [week\n"))
