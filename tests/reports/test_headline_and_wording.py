"""The spec's `headline:` list (checked with file and line), the words composed from the
figures (mover sentences, summary, sparkline), and `report run --language`."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipelines.i18n import fmt_money, fmt_period
from pipelines.reports.cli import report
from pipelines.reports.labels import MINUS, MONEY, Names, fmt_growth, value_label
from pipelines.reports.snapshot import Figure, Mover
from pipelines.reports.spec import SpecError, load_spec
from pipelines.reports.wording import figure_row, mover_sentence, sparkline
from pipelines.settings import Settings
from tests.reports.conftest import archive_beside

SPEC = """\
name: custom_sales
title: {en: Custom sales, zh: 自定义销售}
period: week
schedule: "0 7 * * 1"
sections:
  - id: by_channel
    mart: daily_sales
    date_column: sales_date
    dimensions: [channel]
    measures:
      - {column: net_revenue, agg: sum, label: {en: Net revenue, zh: 净销售额}}
      - {column: units, agg: count}
    chart: bar
headline:
"""


def write(tmp_path: Path, headline: str) -> Path:
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC + headline, encoding="utf-8")
    return path


def test_headline_entries_name_a_measure_by_column_alias_or_short_form(tmp_path: Path) -> None:
    spec = load_spec(
        write(
            tmp_path,
            "  - {section: by_channel, measure: net_revenue}\n  - by_channel.count_units\n",
        )
    )
    assert [(r.section, r.measure) for r in spec.headline] == [
        ("by_channel", "net_revenue"),
        ("by_channel", "count_units"),
    ]


FIRST = len(SPEC.splitlines()) + 1  # the line of the first headline entry


@pytest.mark.parametrize(
    ("entry", "line", "message"),
    [
        ("  - {section: nope, measure: units}\n", FIRST, "headline[0].section: no section 'nope'"),
        (
            "  - {section: by_channel, measure: margin}\n",
            FIRST,
            "headline[0].measure: section 'by_channel' has no measure 'margin'",
        ),
        (
            "  - by_channel.net_revenue\n  - {section: by_channel, measure: net_revenue}\n",
            FIRST + 1,
            "headline[1]: by_channel.net_revenue is chosen twice",
        ),
        ("  - 42\n", FIRST, "headline[0]: must be {section: ID, measure: NAME} or ID.NAME"),
    ],
)
def test_a_bad_headline_entry_is_reported_with_its_file_and_line(
    tmp_path: Path, entry: str, line: int, message: str
) -> None:
    path = write(tmp_path, entry)
    with pytest.raises(SpecError) as raised:
        load_spec(path)
    assert f"{path}:{line}: {message}" in str(raised.value)
    checked = CliRunner().invoke(report, ["check", str(path)], obj=Settings(data_dir=tmp_path))
    assert checked.exit_code == 2 and f"{path}:{line}: {message}" in checked.output


def test_a_mover_reads_as_a_sentence_with_the_names_people_use() -> None:
    names = Names({"SKU-1": "Rice cooker"}, "$")
    mover = Mover(
        section="by_channel",
        dimension="channel",
        key="email",
        name=value_label("channel", "email", names, "en"),
        measure="net_revenue",
        label="Net revenue",
        kind=MONEY,
        current=300.0,
        previous=120.0,
        contribution=0.5,
    )
    change = fmt_money(mover.change, "en", "$")
    assert mover_sentence(mover, names, "en", "week") == (
        f"E-mail: net revenue {fmt_money(300.0, 'en', '$')}, +{change} "
        f"({fmt_growth(180 / 120)}) on the week before"
    )
    assert value_label("sku", "SKU-1", names, "zh") == "Rice cooker (SKU-1)"
    fell = Mover(**{**mover.__dict__, "current": 60.0, "name": "电子邮件", "label": "净销售额"})
    assert mover_sentence(fell, names, "zh", "month") == (
        f"电子邮件：净销售额 {fmt_money(60.0, 'zh', '$')}，较上月 "
        f"{MINUS}{fmt_money(60.0, 'zh', '$')}（{MINUS}50.0%）"
    )


def test_periods_print_as_weeks_and_months_of_the_language() -> None:
    assert fmt_period("week", dt.date(2026, 8, 3), "zh") == "2026-W32"
    assert fmt_period("month", dt.date(2026, 8, 1), "en") == "2026-08"
    assert fmt_period("month", dt.date(2026, 8, 1), "zh") == "2026年8月"


def test_sparkline_draws_one_point_per_period_with_a_value() -> None:
    svg = sparkline([1.0, None, 3.0, 2.0])
    points = svg.split('points="')[1].split('"')[0].split()
    assert svg.startswith("<svg") and len(points) == 3
    assert sparkline([None, 5.0]) == ""  # one value draws no line


def test_report_run_language_writes_a_one_off_copy_in_the_other_language(
    served: Settings, tmp_path: Path
) -> None:
    settings = archive_beside(served, tmp_path)
    data_dir = settings.data_dir
    ran = CliRunner().invoke(report, ["run", "monthly_customers", "--language", "en"], obj=settings)
    assert ran.exit_code == 0, ran.output
    [folder] = (data_dir / "reports" / "monthly_customers").glob("*/v1")
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in html and "<h1>Monthly customers</h1>" in html
    spec = load_spec(Path("pipelines/reports/specs/monthly_customers.yaml"))
    assert spec.language == "zh"  # the spec itself is unchanged


def test_a_service_target_reads_as_a_percentage_in_a_row_header() -> None:
    names = Names()
    assert value_label("service_target", 0.95, names, "en") == "95.0%"
    assert value_label("service_target", 0.9, names, "zh") == "90.0%"
    assert value_label("service_target", None, names, "en") == "—"  # what happened: no target
    assert value_label("policy", "min_max", names, "en") == "Simple min/max"


@pytest.mark.parametrize(
    ("measure", "value", "previous", "shown"),
    [
        ("net_revenue", 120.0, 100.0, "better"),
        ("orders", 80.0, 100.0, "worse"),
        ("refund_amount", 120.0, 100.0, "worse"),  # refunds up: bad news, in red
        ("cancelled_orders", 3.0, 5.0, "better"),
        ("max_hours_late", 30.0, 48.0, "better"),
        ("units_over_180", 900.0, 700.0, "worse"),  # more aged stock
        ("on_hand", 900.0, 700.0, ""),  # more stock is neither good nor bad
        ("net_revenue", 100.0, 100.0, ""),
        ("net_revenue", 100.0, None, ""),
    ],
)
def test_a_headline_change_is_coloured_by_whether_it_is_good_news(
    measure: str, value: float, previous: float | None, shown: str
) -> None:
    figure = Figure("s", measure, measure, value, previous, None, kind=MONEY)
    assert figure_row(figure, Names(), "en")["direction"] == shown
