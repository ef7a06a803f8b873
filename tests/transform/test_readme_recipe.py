"""The README's recipe for a new incremental mart works as written.

The recipe (README.md, between `<!-- recipe:start -->` and `<!-- recipe:end -->`: the mart's
path and its SQL) is written into a copy of dbt_project/. One simulated business is built
with it as a daily update on top of its earlier days and in full: the new mart must hold the
same rows both ways, and the figures an independent Polars computation from the raw tables
gives (net revenue per local day and channel of the orders that were not cancelled).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.ingest.api import ingest_paths
from pipelines.transform.dbt import DBT_DIR
from tests.fixtures.incremental import build, differing_tables, settings_for, simulated_split

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("readme_recipe")]

README = Path(__file__).resolve().parents[2] / "README.md"


def recipe() -> tuple[str, str]:
    """The recipe's model path (under dbt_project/) and SQL, as the README gives them."""
    text = README.read_text(encoding="utf-8")
    found = re.search(r"<!-- recipe:start -->(.*?)<!-- recipe:end -->", text, re.DOTALL)
    assert found, "README.md has no recipe between <!-- recipe:start --> and <!-- recipe:end -->"
    path = re.search(r"`dbt_project/(models/[\w/]+\.sql)`", found.group(1))
    sql = re.search(r"```sql\n(.*?)```", found.group(1), re.DOTALL)
    assert path and sql, found.group(1)
    return path.group(1), sql.group(1)


def test_the_recipe_is_one_config_line_one_macro_call_and_the_absorbed_batch() -> None:
    _, sql = recipe()
    config = [line for line in sql.splitlines() if "config(" in line]
    assert len(config) == 1 and "materialized='incremental'" in config[0]
    assert "window=" in config[0]
    assert sql.count("in_window(") == 1
    assert "{{ absorbed_batch() }} as absorbed_batch_id" in sql


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Path]]:
    root = tmp_path_factory.mktemp("readme_recipe")
    project = root / "dbt_project"
    shutil.copytree(
        DBT_DIR, project, ignore=shutil.ignore_patterns("target", "logs", "dbt_packages")
    )
    path, sql = recipe()
    model = project / path
    model.parent.mkdir(parents=True, exist_ok=True)
    model.write_text(sql, encoding="utf-8")
    # The mart and what it reads, with the tests whose every parent is built.
    selected = ("--select", f"+{model.stem}", "--indirect-selection", "cautious")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("ORDERLENS_BUSINESS_TIMEZONE", "UTC")
        base, last_days = simulated_split(root)
        daily, full = settings_for(root / "daily"), settings_for(root / "rebuilt")
        ingest_paths([base], settings=daily)
        build(daily, root / "work-daily-1", *selected, project_dir=project)
        ingest_paths([last_days], settings=daily)
        build(daily, root / "work-daily-2", *selected, project_dir=project)
        ingest_paths([base], settings=full)
        ingest_paths([last_days], settings=full)
        build(full, root / "work-full", *selected, project_dir=project)
        yield model.stem, daily.warehouse_path, full.warehouse_path


def test_the_recipe_mart_of_a_daily_update_equals_a_full_build(
    built: tuple[str, Path, Path],
) -> None:
    name, daily, full = built
    assert differing_tables(daily, full, only={("marts", name)}) == {}


def _net_revenue_from_raw(warehouse: Path) -> pl.DataFrame:
    """Net revenue per UTC day and channel, from the raw tables: each line's gross (its
    line_amount plus its own discount where given, else quantity x unit price) less its own
    discount, less the order discount (an order with no gross has no discount to share);
    orders with a 'cancelled' event left out."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        orders = con.sql(
            "select order_id, channel, ordered_at, order_discount from raw.orders"
        ).pl()
        lines = con.sql(
            "select order_id, quantity, unit_price, discount_amount, line_amount "
            "from raw.order_lines"
        ).pl()
        cancelled = con.sql(
            "select distinct order_id from raw.order_events where event_type = 'cancelled'"
        ).pl()
    per_order = (
        lines.lazy()
        .with_columns(
            gross=pl.when(pl.col("line_amount").is_not_null())
            .then(pl.col("line_amount") + pl.col("discount_amount"))
            .otherwise(pl.col("quantity") * pl.col("unit_price"))
        )
        .group_by("order_id")
        .agg(pl.col("gross").sum(), pl.col("discount_amount").sum().alias("line_discounts"))
    )
    return (
        orders.lazy()
        .join(per_order, on="order_id")
        .join(cancelled.lazy(), on="order_id", how="anti")
        .with_columns(
            net=pl.col("gross")
            - pl.col("line_discounts")
            - pl.when(pl.col("gross") != 0).then(pl.col("order_discount")).otherwise(0)
        )
        .group_by(pl.col("ordered_at").dt.date().alias("sales_date"), "channel")
        .agg(pl.col("net").sum().alias("net_revenue"))
        .collect()
    )


def test_the_recipe_mart_holds_the_net_revenue_computed_from_the_raw_tables(
    built: tuple[str, Path, Path],
) -> None:
    name, daily, _ = built
    expected = {
        (row["sales_date"], row["channel"]): Decimal(str(row["net_revenue"])).quantize(
            Decimal("0.01")
        )
        for row in _net_revenue_from_raw(daily).iter_rows(named=True)
    }
    with duckdb.connect(str(daily), read_only=True) as con:
        rows = con.execute(
            "select sales_date, channel, net_revenue from query_table($mart)",
            {"mart": f"marts.{name}"},
        ).fetchall()
    assert len(expected) > 100
    assert {(day, channel): revenue for day, channel, revenue in rows} == expected
