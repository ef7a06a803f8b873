"""Saved report specs run on their own schedules, like the built-in ones."""

from __future__ import annotations

import yaml

from pipelines.assets.reports import build_report_definitions, user_report_specs
from pipelines.reports.spec import BUILTIN_DIR
from pipelines.reports.user_specs import user_specs_dir
from pipelines.settings import Settings


def _save(settings: Settings, name: str, **changes: object) -> None:
    spec = yaml.safe_load((BUILTIN_DIR / "weekly_sales.yaml").read_text(encoding="utf-8"))
    spec.update(name=name, **changes)
    folder = user_specs_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.yaml").write_text(yaml.safe_dump(spec, allow_unicode=True), "utf-8")


def test_a_saved_spec_gets_an_asset_and_a_schedule_of_its_cron(settings: Settings) -> None:
    _save(settings, "daily_sales_for_boss", schedule="30 6 * * *")

    assets, schedules = build_report_definitions([], settings)

    assert any(a.key.path == ["reports", "daily_sales_for_boss"] for a in assets)
    mine = [s for s in schedules if s.name == "report_daily_sales_for_boss_schedule"]
    assert [s.cron_schedule for s in mine] == ["30 6 * * *"]


def test_a_broken_saved_spec_or_one_named_as_a_built_in_is_left_out(settings: Settings) -> None:
    _save(settings, "weekly_sales", schedule="* * * * *")  # a built-in report's name
    _save(settings, "broken", schedule="every monday")
    _save(settings, "fine")

    assert [spec.name for spec in user_report_specs(settings)] == ["fine"]
