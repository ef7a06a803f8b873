from datetime import date
from pathlib import Path

import duckdb
import pytest

from dashboards.lib.filters import Filters, Options, from_query, to_query
from dashboards.lib.queries.common import options
from dashboards.lib.serving import Serving
from pipelines.i18n import status

OPTIONS = Options(
    first_date=date(2025, 1, 1),
    last_date=date(2026, 3, 12),
    channels=("web", "store"),
    warehouses=(("WH-E", "East"),),
    regions=("Shanghai",),
    categories=("kitchen",),
)


def test_default_range_is_the_last_90_days_of_the_data_clock():
    filters = from_query({}, OPTIONS)
    assert (filters.start, filters.end) == (date(2025, 12, 13), date(2026, 3, 12))


def test_unknown_values_and_bad_dates_from_the_url_are_dropped():
    query = {
        "channel": ["web", "'; drop table x; --"],
        "from": ["not-a-date"],
        "to": ["2026-02-01"],
    }
    filters = from_query(query, OPTIONS)
    assert filters.channels == ("web",)
    assert filters.start == date(2025, 12, 13)
    assert filters.end == date(2026, 2, 1)


def test_a_view_round_trips_through_the_url():
    filters = Filters(date(2026, 1, 1), date(2026, 1, 31), ("store",), ("WH-E",), (), ("kitchen",))
    query = {k: v if isinstance(v, list) else [v] for k, v in to_query(filters, "zh").items()}
    assert query["lang"] == ["zh"]
    assert from_query(query, OPTIONS) == filters


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        # A calendar month or quarter: the previous one, the same one a year before.
        ((2026, 3, 1), (2026, 3, 31), ((2026, 2, 1), (2026, 2, 28), (2025, 3, 1), (2025, 3, 31))),
        ((2024, 1, 1), (2024, 3, 31), ((2023, 10, 1), (2023, 12, 31), (2023, 1, 1), (2023, 3, 31))),
        # Monday to Sunday: the week before, the week 364 days before.
        ((2026, 3, 9), (2026, 3, 15), ((2026, 3, 2), (2026, 3, 8), (2025, 3, 10), (2025, 3, 16))),
        # Thirty days ending on 29 February: the span before, the span 364 days before.
        ((2024, 1, 31), (2024, 2, 29), ((2024, 1, 1), (2024, 1, 30), (2023, 2, 1), (2023, 3, 2))),
    ],
)
def test_a_range_compares_as_the_calendar_period_it_is_or_by_its_span(start, end, expected):
    params = Filters(date(*start), date(*end)).params()
    compared = ("prev_start", "prev_end", "ya_start", "ya_end")
    assert tuple(params[key] for key in compared) == tuple(date(*day) for day in expected)


def test_params_leave_unrestricted_lists_null():
    assert Filters(date(2024, 2, 29), date(2024, 3, 1)).params()["channels"] is None


def test_the_channel_filter_lists_the_channels_the_data_has_with_labels_for_known_ones(
    tmp_path: Path,
) -> None:
    path = tmp_path / "serving.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute("create table marts.daily_sales (sales_date date, ship_to_region varchar)")
        con.execute("insert into marts.daily_sales values ('2026-03-01', null)")
        con.execute("create table marts.sales_periods (channel varchar)")
        con.execute(
            "insert into marts.sales_periods values "
            "('web'), ('b2b'), ('trade fair'), ('all'), ('web')"
        )
    found = options(Serving(path=path, version="channels-test", published_at=""))
    assert found is not None
    assert found.channels == ("b2b", "trade fair", "web")  # 'all' is the total row
    assert from_query({"channel": ["trade fair", "store"]}, found).channels == ("trade fair",)
    assert [status(c, "en") for c in found.channels] == ["B2B", "trade fair", "Web"]
    assert [status(c, "zh") for c in found.channels] == ["企业客户", "trade fair", "网站"]
