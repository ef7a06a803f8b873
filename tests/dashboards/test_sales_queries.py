"""Sales queries over daily_category_sales and daily_sales agree (hand-computed fixture).

The published fixture business (shared order events: O9 cancelled). Kitchen = SKU-A
(O1 2 x 25, O6 4 x 25; R3 refunds 25 on a return without order) and SKU-B (O1 100, O2 200,
O4 600, O7 200, O8 300; R1 refunds 200). Gadgets = SKU-C (O3 85, O5 60, O10 300; R2
refunds 30) and SKU-D (O7 0 after its line discount).
"""

from __future__ import annotations

from datetime import date

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from dashboards.lib import serving
from dashboards.lib.filters import Filters
from dashboards.lib.queries import sales
from dashboards.lib.queries.common import SALES_FROM, SALES_SUMS, SALES_WHERE
from pipelines.settings import Settings

ALL = Filters(date(2026, 1, 1), date(2026, 3, 31))
COLUMNS = ["key", "label", "net_revenue", "units", "refund_amount"]
# The same sums straight from daily_sales (SKU grain, category by semi-join): the reference
# the category mart must reproduce.
SKU_GRAIN_TREND_SQL = f"""
    select ds.sales_date as period, {SALES_SUMS}
    from {SALES_FROM}
    where {SALES_WHERE}
    group by all
    order by period
"""  # noqa: S608 - constant fragments only


@pytest.fixture
def srv(with_data: Settings) -> serving.Serving:
    found = serving.current(with_data)
    assert found is not None
    return found


def _frame(section: serving.Section) -> pl.DataFrame:
    assert isinstance(section, pl.DataFrame)
    return section


def test_drill_down_lists_only_the_category_products_with_their_totals(srv):
    drill = _frame(sales.drill(srv, ALL, "kitchen"))
    assert drill.select(COLUMNS).rows() == [
        ("SKU-B", "茶壶 Teapot", 1400.0, 14, 200.0),
        ("SKU-A", "茶杯 Tea cup", 150.0, 6, 25.0),
    ]
    assert drill["share"].to_list() == pytest.approx([1400 / 1550, 150 / 1550])


def test_drill_down_equals_the_product_breakdown_of_that_category(srv):
    gadgets = Filters(ALL.start, ALL.end, categories=("gadgets",))
    drill = _frame(sales.drill(srv, ALL, "gadgets"))
    assert drill["key"].to_list() == ["SKU-C", "SKU-D"]
    assert_frame_equal(drill, _frame(sales.breakdown(srv, gadgets, "product")))


def test_drill_down_of_a_category_the_filter_excludes_is_empty(srv):
    gadgets = Filters(ALL.start, ALL.end, categories=("gadgets",))
    assert _frame(sales.drill(srv, gadgets, "kitchen")).is_empty()


def test_breakdowns_carry_every_refund_of_a_key_that_sold(srv):
    by_category = _frame(sales.breakdown(srv, ALL, "category"))
    assert by_category.select(COLUMNS).rows() == [
        ("kitchen", "kitchen", 1550.0, 20, 225.0),
        ("gadgets", "gadgets", 445.0, 16, 30.0),
    ]
    # R3's row has no channel and sold nothing: no channel shows it, the rest add up.
    by_channel = _frame(sales.breakdown(srv, ALL, "channel"))
    assert None not in by_channel["key"].to_list()
    assert by_channel["refund_amount"].sum() == pytest.approx(230.0)


def test_warehouse_breakdown_labels_keys_after_summing(srv):
    by_warehouse = _frame(sales.breakdown(srv, ALL, "warehouse"))
    names = dict(zip(by_warehouse["key"].to_list(), by_warehouse["label"].to_list(), strict=True))
    assert set(names) == {"WH-E", "WH-S"}
    assert all(label and label != key for key, label in names.items())


@pytest.mark.parametrize(
    "filters",
    [
        ALL,
        Filters(ALL.start, ALL.end, categories=("kitchen",)),
        Filters(date(2026, 2, 1), date(2026, 3, 15), channels=("web", "app")),
        Filters(ALL.start, ALL.end, regions=("Shanghai",), categories=("gadgets",)),
    ],
)
def test_category_mart_trend_equals_the_sku_grain_sums(srv, filters):
    trend = _frame(sales.trend(srv, filters, "day"))
    reference = _frame(serving.run(srv, SKU_GRAIN_TREND_SQL, filters.params(), ()))
    assert not reference.is_empty()
    assert_frame_equal(trend, reference)
