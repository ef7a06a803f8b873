"""A daily update that leaves a day with no sale empties that day in the marts.

One simulated business is split before its last days and built. Its daily update (the last
days) also cancels every order of an older day D on which nothing was returned: D had sales
rows, and must have none after the update, as in a full build of the same batches (the
replace_partitions strategy deletes a changed day's rows before it inserts the new ones, so
a day left with no row is emptied).
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.ingest.api import ingest_paths
from tests.fixtures.incremental import build, differing_tables, settings_for, simulated_split

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("emptied_day")]


def _quiet_day(warehouse: Path) -> tuple[date, list[str]]:
    """A day with sales and no return, a month before the last one, and its orders."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        [(day,)] = con.execute(
            "select max(sales_date) from marts.daily_sales "
            "where sales_date < (select max(sales_date) - 30 from marts.daily_sales) "
            "and sales_date not in (select returned_date "
            "from intermediate.int_order_lines_returned where returned_date is not null)"
        ).fetchall()
        assert day is not None
        orders = [
            order
            for (order,) in con.execute(
                "select order_id from intermediate.int_orders_classified "
                "where ordered_date = $day order by order_id",
                {"day": day},
            ).fetchall()
        ]
    assert orders
    return day, orders


def _cancel(orders: list[str], folder: Path) -> None:
    """Add to the daily update's files a cancellation of each order, timed within it."""
    events = pl.concat(
        [pl.read_parquet(path) for path in sorted(folder.glob("order_events*.parquet"))]
    )
    cancelled = pl.DataFrame({"order_id": orders}).with_columns(
        event_type=pl.lit("cancelled"), event_at=pl.lit(events.get_column("event_at").max())
    )
    cancelled.select(
        pl.col(c) if c in cancelled.columns else pl.lit(None, pl.String).alias(c)
        for c in events.columns
    ).write_parquet(folder / "order_events__cancellations.parquet")


@pytest.fixture(scope="module")
def emptied(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, date]:
    root = tmp_path_factory.mktemp("emptied_day")
    base, last_days = simulated_split(root)
    daily, full = settings_for(root / "daily"), settings_for(root / "rebuilt")
    ingest_paths([base], settings=daily)
    build(daily, root / "work-daily-1")
    day, orders = _quiet_day(daily.warehouse_path)
    _cancel(orders, last_days)
    ingest_paths([last_days], settings=daily)
    build(daily, root / "work-daily-2")
    ingest_paths([base], settings=full)
    ingest_paths([last_days], settings=full)
    build(full, root / "work-full")
    return daily.warehouse_path, full.warehouse_path, day


def _sales_on(warehouse: Path, day: date) -> int:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        found = con.execute(
            "select count(*) from marts.daily_sales where sales_date = $day", {"day": day}
        ).fetchone()
    assert found is not None
    return int(found[0])


def test_the_daily_update_empties_the_day_whose_sales_it_cancelled(
    emptied: tuple[Path, Path, date],
) -> None:
    daily, full, day = emptied
    assert _sales_on(daily, day) == 0
    assert _sales_on(full, day) == 0
    assert differing_tables(daily, full, only={("marts", "daily_sales")}) == {}


def test_every_table_of_the_daily_update_equals_the_full_build(
    emptied: tuple[Path, Path, date],
) -> None:
    daily, full, _ = emptied
    # table: (rows only the daily update has, rows only the full build has, rows in full)
    assert differing_tables(daily, full) == {}
