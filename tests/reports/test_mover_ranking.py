"""What changed, ranked: a sum by its change over the old total, a rate by the change of its
numerator at its old rate (checked against hand-computed cases), and a ratio measure in a
spec (its parts checked with file and line, its SQL adding up the parts)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.reports.labels import SHARE, Names
from pipelines.reports.query import _measure_sql
from pipelines.reports.snapshot import Mover, rate_contributions, sum_contributions
from pipelines.reports.spec import SpecError, load_spec
from pipelines.reports.wording import mover_sentence


def test_a_sum_moves_by_its_change_over_the_old_total() -> None:
    now = pl.DataFrame({"channel": ["web", "app", "store"], "value": [150.0, 60.0, 40.0]})
    before = pl.DataFrame({"channel": ["web", "app", "shop"], "value": [100.0, 80.0, 20.0]})
    got = {r["channel"]: r for r in sum_contributions(now, before, "channel").to_dicts()}
    # Old total 200: web +50 -> +0.25, app -20 -> -0.10, store new +40 -> +0.20, shop gone -0.10.
    assert {k: round(r["contribution"], 12) for k, r in got.items()} == {
        "web": 0.25,
        "app": -0.1,
        "store": 0.2,
        "shop": -0.1,
    }
    assert (got["shop"]["current"], got["shop"]["previous"]) == (0.0, 20.0)


def test_a_rate_moves_by_its_numerator_at_the_old_rate() -> None:
    # Hand-computed: before, web 90/100 (0.9), app 40/50 (0.8): total 130/150.
    # Now web 80/100 (0.8), app 72/80 (0.9), store (new) 10/20 (0.5): total 162/200 = 0.81.
    now = pl.DataFrame(
        {
            "channel": ["web", "app", "store"],
            "numerator": [80.0, 72.0, 10.0],
            "denominator": [100.0, 80.0, 20.0],
        }
    )
    before = pl.DataFrame(
        {"channel": ["web", "app"], "numerator": [90.0, 40.0], "denominator": [100.0, 50.0]}
    )
    old_rate = 130 / 150
    expected = {
        # web: 80 - 0.9 x 100 = -10 units of numerator; over 200 now, over the old rate.
        "web": (80 - 0.9 * 100) / 200 / old_rate,
        # app: 72 - 0.8 x 80 = +8.
        "app": (72 - 0.8 * 80) / 200 / old_rate,
        # store had no denominator before: held to the old total rate, 10 - 0.8667 x 20.
        "store": (10 - old_rate * 20) / 200 / old_rate,
    }
    got = {r["channel"]: r for r in rate_contributions(now, before, "channel").to_dicts()}
    assert got.keys() == expected.keys()
    for channel, contribution in expected.items():
        assert got[channel]["contribution"] == pytest.approx(contribution, rel=1e-12)
    assert (got["web"]["current"], got["web"]["previous"]) == (0.8, 0.9)
    assert got["store"]["previous"] is None
    # The rate effects plus the shift of volume between channels make the whole change.
    mix = (0.9 * 100 + 0.8 * 80 + old_rate * 20) / 200 - old_rate
    total = sum(expected.values()) * old_rate + mix
    assert total == pytest.approx(162 / 200 - old_rate, rel=1e-12)
    # Ranked by size: web's fall (-10 at the old rate) before app's rise (+8), though both
    # rates moved ten points, and before the new store's shortfall (-7.3).
    ranked = sorted(got, key=lambda k: abs(got[k]["contribution"]), reverse=True)
    assert ranked == ["web", "app", "store"]


def test_a_rate_is_not_ranked_without_a_denominator_in_either_period() -> None:
    now = pl.DataFrame({"channel": ["web"], "numerator": [5.0], "denominator": [10.0]})
    empty = pl.DataFrame({"channel": ["web"], "numerator": [0.0], "denominator": [0.0]})
    assert rate_contributions(now, empty, "channel").is_empty()


def test_a_rate_mover_reads_in_points() -> None:
    mover = Mover("otif", "channel", "web", "Web", "otif_rate", "OTIF rate", SHARE, 0.8, 0.9, -0.06)
    assert mover_sentence(mover, Names(), "en", "week") == (
        "Web: OTIF rate 80.0%, \u221210.0 pp on the week before"
    )
    assert (
        mover_sentence(mover, Names(), "zh", "week")
        == "Web：OTIF rate 80.0%，较上周 \u221210.0个百分点"
    )
    new = Mover(**{**mover.__dict__, "previous": None})
    assert (
        mover_sentence(new, Names(), "en", "week") == "Web: OTIF rate 80.0%, none the week before"
    )


RATIO_SPEC = """\
name: otif
title: {en: OTIF, zh: 准时足量}
period: week
schedule: "0 7 * * 1"
sections:
  - id: otif
    mart: fulfilment_rates_weekly
    date_column: week_start
    dimensions: [channel]
    measures:
      - {column: otif_rate, agg: ratio, MEASURE}
    chart: bar
"""


def test_a_ratio_needs_its_numerator_and_denominator(tmp_path: Path) -> None:
    path = tmp_path / "otif.yaml"
    path.write_text(RATIO_SPEC.replace("MEASURE", "numerator: otif_orders"), encoding="utf-8")
    with pytest.raises(SpecError) as failed:
        load_spec(path)
    assert "otif.yaml:11" in str(failed.value)
    assert "denominator" in str(failed.value)
    path.write_text(
        RATIO_SPEC.replace("agg: ratio, MEASURE", "agg: sum, numerator: otif_orders"),
        encoding="utf-8",
    )
    with pytest.raises(SpecError, match="only a ratio has a numerator"):
        load_spec(path)


def test_a_ratio_adds_up_its_parts_not_its_rows_rates(tmp_path: Path) -> None:
    path = tmp_path / "otif.yaml"
    path.write_text(
        RATIO_SPEC.replace("MEASURE", "numerator: otif_orders, denominator: otif_known_orders"),
        encoding="utf-8",
    )
    measure = load_spec(path).sections[0].measures[0]
    assert measure.alias == "otif_rate"
    columns = {"otif_orders": "BIGINT", "otif_known_orders": "BIGINT", "otif_rate": "DOUBLE"}
    con = duckdb.connect()
    con.execute(
        "create table t as select * from (values (1, 2, 0.5), (9, 10, 0.9), (0, 0, null))"
        " as v(otif_orders, otif_known_orders, otif_rate)"
    )
    # 10 / 12, where the mean of the rows' rates would be 0.7.
    select = "select " + _measure_sql(measure, columns) + " from t"  # noqa: S608 - allow-listed
    value = con.execute(select).fetchall()[0][0]
    assert value == pytest.approx(10 / 12)
