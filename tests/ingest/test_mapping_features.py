"""Mapping features on small frames: joins, unpivot, map, greatest, constant keys, errors."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipelines.ingest.coerce import FILE
from pipelines.ingest.mapping import MappingError, apply_export, load_mapping
from pipelines.ingest.readers import ROW

EXPORT = """
name: tiny
source:
  timezone: Europe/Berlin
  files:
    orders:
      pattern: "o*.csv"
      columns: [oid, status, placed, packed, sent]
      datetimes: {placed: "%d.%m.%Y %H:%M", packed: "%d.%m.%Y %H:%M", sent: "%d.%m.%Y %H:%M"}
      join:
        pays:
          on: {oid: order}
          columns:
            paid: {column: amount, agg: sum}
            n_pays: {column: amount, agg: count}
            first_paid_at: {column: at, agg: min}
    pays:
      pattern: "p*.csv"
      columns: [order, amount, at]
      datetimes: {at: "%d.%m.%Y %H:%M"}
routes:
  orders:
    - when: "oid LIKE 'X%'"
      exclude: test order
    - table: orders
tables:
  orders:
    columns:
      order_id: oid
      customer_id: {const: C1}
      channel: {const: web}
      ordered_at: placed
      total_amount: paid
      payment_method: {column: status, map: {paid: card}, default: other}
  customers:
    from_routes: [orders]
    key: [customer_id]
    columns:
      customer_id: {const: C1}
  order_events:
    from_routes: [orders]
    unpivot:
      columns: {packed: packed, sent: shipped}
      value: event_at
      name: event_type
    columns:
      order_id: oid
      note: status
  last_events:
    table: order_events
    from_routes: [orders]
    key: [order_id]
    skip_if_null: [event_type]
    columns:
      order_id: oid
      event_type: {column: status, map: {void: cancelled}}
      event_at: {greatest: [placed, packed, sent]}
"""

ORDERS = [
    ("A1", "paid", "01.03.2024 10:00", "01.03.2024 12:30", "02.03.2024 08:00"),
    ("A2", "void", "31.03.2024 01:30", None, "garbage"),  # 01:30 CET, the day of the DST change
    ("X9", "paid", "01.03.2024 10:00", None, None),
]
PAYS = [
    ("A1", "10.50", "01.03.2024 10:05"),
    ("A1", "4.25", "01.03.2024 09:55"),
    ("B7", "3.00", "01.03.2024 11:00"),  # no such order
]


def _frame(rows: list[tuple], columns: list[str]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.String), orient="row")


@pytest.fixture
def batch(tmp_path: Path):
    path = tmp_path / "tiny.yaml"
    path.write_text(EXPORT, encoding="utf-8")
    files = {
        "orders": ("orders.csv", _frame(ORDERS, ["oid", "status", "placed", "packed", "sent"])),
        "pays": ("pays.csv", _frame(PAYS, ["order", "amount", "at"])),
    }
    return apply_export(load_mapping(path), files)


def test_a_join_sums_counts_and_takes_the_earliest_instant_per_key(batch) -> None:
    orders = batch.tables["orders"].sort("order_id")
    assert orders.select("order_id", "total_amount").rows() == [("A1", "14.75"), ("A2", None)]
    assert orders["payment_method"].to_list() == ["card", "other"]  # unmapped -> default


def test_looked_up_rows_load_through_a_match_or_are_excluded_naming_the_part(batch) -> None:
    assert batch.lookup_rows == 2
    excluded = batch.excluded.sort(FILE).select(FILE, ROW, "reason").rows()
    assert excluded == [
        ("orders.csv", 3, "test order"),
        ("pays.csv", 3, "matches no row of orders"),
    ]
    assert batch.source_rows == 6 and batch.adds_up


def test_an_unpivot_makes_one_event_per_non_empty_column_and_a_status_event_at_the_latest(
    batch,
) -> None:
    events = batch.tables["order_events"]
    rows = set(events.select("order_id", "event_type", "event_at", ROW, FILE).rows())
    assert rows == {
        ("A1", "packed", "2024-03-01T11:30:00+00:00", 1, "orders.csv"),
        ("A1", "shipped", "2024-03-02T07:00:00+00:00", 1, "orders.csv"),
        ("A2", "shipped", "garbage", 2, "orders.csv"),  # left for the loader to quarantine
        # the only timestamp that parses: 01:30 CET is 00:30 UTC
        ("A2", "cancelled", "2024-03-31T00:30:00+00:00", 2, "orders.csv"),
    }
    assert "packed" not in set(events.filter(pl.col("order_id") == "A2")["event_type"])


def test_a_constant_key_makes_one_row(batch) -> None:
    assert batch.tables["customers"].select("customer_id", ROW).rows() == [("C1", 1)]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "        pays:\n          on",
            "        orders:\n          on",
            "source.files.orders.join.orders: not another part",
        ),
        (
            "on: {oid: order}",
            "on: {oid: orderid}",
            "source.files.orders.join.pays.on.oid: no source",
        ),
        (
            "agg: count}",
            "agg: median}",
            "source.files.orders.join.pays.columns.n_pays.agg: 'median'",
        ),
        (
            "    - table: orders\n",
            "    - exclude: all\n",
            "tables.orders: give exactly one of `key` or `unpivot`",
        ),
        (
            "    from_routes: [orders]\n    key: [customer_id]",
            "    key: [customer_id]",
            "tables.customers: missing key from_routes",
        ),
        (
            "      value: event_at",
            "      value: when",
            "tables.order_events.unpivot.value: 'when' is not a column",
        ),
        (
            "skip_if_null: [event_type]",
            "skip_if_null: [colour]",
            "tables.last_events.skip_if_null: 'colour'",
        ),
        (
            "    table: order_events\n",
            "    table: order_event\n",
            "tables.last_events.table: unknown table 'order_event'",
        ),
        (
            "    - table: orders\n",
            "    - table: orders\n  pays:\n    - table: orders\n",
            "tables.orders: a route target of two parts",
        ),
        (
            "      columns: [oid,",
            "      colums: [oid,",
            "source.files.orders: unknown key(s) colums",
        ),
    ],
)
def test_invalid_export_mappings_are_refused_naming_the_key(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in EXPORT
    path = tmp_path / "broken.yaml"
    path.write_text(EXPORT.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    assert str(caught.value).startswith(f"{path}: {expected}")


def test_a_part_neither_routed_nor_joined_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    text = EXPORT.replace("      join:\n        pays:", "      x_join:\n        pays:", 1)
    cut = text.index("      x_join:")
    text = text[:cut] + text[text.index("    pays:\n      pattern") :]
    path.write_text(text, encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    assert "routes.pays: missing: the part has no routes and no join uses it" in str(caught.value)
