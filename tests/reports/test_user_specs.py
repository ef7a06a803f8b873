"""User report specs (the dashboard builder's): YAML round trip, validation, save, lookup."""

from __future__ import annotations

import pytest

from pipelines.reports.catalog import Catalog
from pipelines.reports.runner import find_spec
from pipelines.reports.spec import SpecError, load_spec
from pipelines.reports.user_specs import (
    check_spec_text,
    save_user_spec,
    spec_yaml,
    user_spec_paths,
    user_specs_dir,
)

CATALOG = Catalog(
    {
        "daily_sales": {
            "sales_date": "DATE",
            "channel": "VARCHAR",
            "net_revenue": "DECIMAL(18,2)",
        }
    }
)


def _raw(**changes: object) -> dict[str, object]:
    raw: dict[str, object] = {
        "name": "channel_sales",
        "kind": "report",
        "title": {"en": "Sales by channel", "zh": "各渠道销售"},
        "language": "zh",
        "period": "week",
        "schedule": "0 7 * * 1",
        "recipients": [],
        "sections": [
            {
                "id": "main",
                "mart": "daily_sales",
                "date_column": "sales_date",
                "measures": [{"column": "net_revenue", "agg": "sum"}],
                "dimensions": ["channel"],
                "filters": [{"column": "channel", "op": "in", "value": ["web", "app"]}],
                "sort": [{"column": "net_revenue", "descending": True}],
                "limit": 20,
                "chart": "bar",
            }
        ],
    }
    return raw | changes


def test_a_spec_survives_the_trip_through_yaml(tmp_path):
    text = spec_yaml(_raw())
    assert "各渠道销售" in text  # readable, not escaped
    spec = check_spec_text(text, tmp_path / "x.yaml", CATALOG)
    assert spec.title.zh == "各渠道销售"
    assert spec.sections[0].filters[0].value == ["web", "app"]
    assert spec.sections[0].sort[0].descending is True


def test_saving_writes_a_spec_that_loads_and_is_found_by_name(settings):
    path = save_user_spec(_raw(), CATALOG, settings)
    assert path == user_specs_dir(settings) / "channel_sales.yaml"
    assert load_spec(path).name == "channel_sales"
    assert user_spec_paths(settings) == [path]
    assert find_spec("channel_sales", settings) == path
    assert not list(user_specs_dir(settings).glob(".*.tmp"))


def test_an_unknown_column_is_refused_with_its_line_and_nothing_is_written(settings):
    raw = _raw()
    raw["sections"][0]["dimensions"] = ["region"]  # type: ignore[index]
    with pytest.raises(SpecError) as caught:
        save_user_spec(raw, CATALOG, settings)
    problem = caught.value.problems[0]
    assert "unknown column 'region'" in problem.message and problem.line > 1
    assert "channel" in problem.allowed
    assert not user_specs_dir(settings).exists()


def test_a_name_that_could_leave_the_folder_is_refused(settings):
    with pytest.raises(SpecError, match="is not a name"):
        save_user_spec(_raw(name="../outside"), CATALOG, settings)
    assert not (settings.reports_dir / "outside.yaml").exists()


def test_the_name_of_a_built_in_report_is_refused(settings):
    with pytest.raises(SpecError, match="built-in"):
        save_user_spec(_raw(name="weekly_sales"), CATALOG, settings)


def test_find_spec_does_not_look_up_odd_names_in_the_user_folder(settings):
    with pytest.raises(FileNotFoundError):
        find_spec("../reports/nothing", settings)
