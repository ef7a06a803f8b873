"""Identical rows: an id-less log whose identical lines are separate purchases.

`identical_rows: keep` keys each line by its content and its occurrence number among equal
lines, so a cumulative re-export adds only its new lines; `drop` counts copies as duplicates.
Expected figures come from the written files with plain Python.
"""

from __future__ import annotations

import csv
from collections import Counter
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl

from pipelines.ingest.api import ingest_paths
from pipelines.ingest.mapping import apply_mapping, load_mapping
from pipelines.ingest.readers import ROW
from pipelines.settings import Settings

MAPPING = Path(__file__).parent / "mappings" / "till_log.yaml"
COLUMNS = ["day", "time", "sku", "qty", "total"]
FIRST = [
    ("2024-03-01", "09:15", "TEA", "2", "18.00"),
    ("2024-03-01", "09:15", "TEA", "2", "18.00"),  # the next customer bought the same
    ("2024-03-01", "09:20", "CUP", "1", "25.50"),
    ("2024-03-01", "09:15", "TEA", "2", "18.00"),  # and a third, later in the log
    ("2024-03-02", "00:30", "CUP", "3", "76.50"),  # 00:30 in Shanghai is the day before in UTC
]
# The next export is cumulative: the same lines, then the new ones (one identical again).
SECOND = [*FIRST, ("2024-03-02", "10:00", "TEA", "1", "9.00"), FIRST[2]]


def _write(path: Path, rows: list[tuple[str, ...]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
    return path


def _revenue(rows: list[tuple[str, ...]]) -> Decimal:
    return sum((Decimal(r[4]) for r in rows), Decimal(0))


def _warehouse(settings: Settings) -> tuple[int, Decimal, int]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        lines, revenue = con.sql(
            "SELECT count(*), sum(quantity * unit_price) FROM raw.order_lines"
        ).fetchall()[0]
        orders = con.sql("SELECT count(*) FROM raw.orders").fetchall()[0][0]
    return lines, revenue, orders


def test_kept_identical_lines_each_load_as_a_purchase(tmp_path: Path, settings: Settings) -> None:
    (result,) = ingest_paths(
        [_write(tmp_path / "log.csv", FIRST)], mapping=MAPPING, settings=settings
    )
    assert (result.status, result.rows_in, result.rows_loaded) == ("loaded", 5, 5)
    assert result.rows_duplicate == 0
    assert _warehouse(settings) == (len(FIRST), _revenue(FIRST), len(FIRST))


def test_a_cumulative_re_export_adds_only_its_new_lines(tmp_path: Path, settings: Settings) -> None:
    ingest_paths([_write(tmp_path / "log.csv", FIRST)], mapping=MAPPING, settings=settings)
    (again,) = ingest_paths(
        [_write(tmp_path / "log_later.csv", SECOND)], mapping=MAPPING, settings=settings
    )
    new = len(SECOND) - len(FIRST)
    assert (again.rows_in, again.rows_loaded, again.rows_duplicate) == (
        len(SECOND),
        new,
        len(FIRST),
    )
    assert again.adds_up
    # Neither doubled nor shifted: the warehouse holds exactly the lines of the latest export.
    assert _warehouse(settings) == (len(SECOND), _revenue(SECOND), len(SECOND))


def test_dropped_identical_lines_count_as_duplicates(tmp_path: Path, settings: Settings) -> None:
    text = MAPPING.read_text(encoding="utf-8").replace(
        "identical_rows: keep", "identical_rows: drop"
    )
    mapping = tmp_path / "till_log_drop.yaml"
    mapping.write_text(text, encoding="utf-8")
    (result,) = ingest_paths(
        [_write(tmp_path / "log.csv", FIRST)], mapping=mapping, settings=settings
    )
    distinct = list(dict.fromkeys(FIRST))
    assert (result.rows_in, result.rows_loaded) == (len(FIRST), len(distinct))
    assert result.rows_duplicate == len(FIRST) - len(distinct)
    assert _warehouse(settings) == (len(distinct), _revenue(distinct), len(distinct))


def test_content_keys_differ_among_identical_lines_and_stay_put_when_lines_are_added(
    tmp_path: Path,
) -> None:
    mapping = load_mapping(MAPPING)

    def keys(rows: list[tuple[str, ...]]) -> list[str]:
        frame = pl.DataFrame(rows, schema=dict.fromkeys(COLUMNS, pl.String), orient="row")
        lines = apply_mapping(frame, mapping, source="log.csv").tables["order_lines"]
        return lines.sort(ROW)["order_id"].to_list()

    first, second = keys(FIRST), keys(SECOND)
    assert len(set(first)) == len(FIRST)  # three identical TEA lines, three keys
    assert all(len(k) == 32 and int(k, 16) >= 0 for k in first)
    assert second[: len(FIRST)] == first
    # A line inserted before identical ones does not move their keys: only equal lines count.
    shifted = keys([("2024-02-29", "08:00", "CUP", "1", "25.50"), *FIRST])
    assert shifted[1:] == first


def test_a_derived_date_time_is_parsed_with_the_declared_format_and_zone() -> None:
    frame = pl.DataFrame([FIRST[4]], schema=dict.fromkeys(COLUMNS, pl.String), orient="row")
    orders = apply_mapping(frame, load_mapping(MAPPING), source="log.csv").tables["orders"]
    assert orders["ordered_at"].to_list() == ["2024-03-01T16:30:00+00:00"]
    assert Counter(orders["customer_id"]) == {"WALK-IN": 1}
