"""A corrected mapping replaces: the same file with a changed mapping supersedes its batch.

The export and both mappings are small enough that every figure below is counted by hand.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.ingest.api import ingest_frame, ingest_paths
from pipelines.ingest.mapping import load_mapping
from pipelines.settings import Settings

HEADER = "Inv,Code,Qty,Price,Cust,When"
EXPORT = [
    "O1,A,2,1.50,c1,2026-03-02 08:00",
    "O1,B,1,3.00,c1,2026-03-02 08:00",
    "O2,A,3,1.50,c2,2026-03-03 09:00",
    "O3,TEST,1,9.99,c3,2026-03-03 10:00",
    "O2,POST,1,5.00,c2,2026-03-03 09:00",
]

_MAPPING = """
name: shop
source:
  columns: [Inv, Code, Qty, Price, Cust, When]
routes:
  - when: "Code = 'POST'"
    exclude: postage
{test_route}  - table: order_lines
tables:
  order_lines:
    columns:
      order_id: Inv
      line_number: {{row_number_over: [Inv]}}
      sku: Code
      quantity: {quantity}
      unit_price: {price}
  orders:
    key: [order_id]
    columns:
      order_id: Inv
      customer_id: Cust
      channel: {{const: web}}
      ordered_at: {{column: When, agg: min}}
  products:
    key: [sku]
    columns:
      sku: Code
      product_name: {{const: a product}}
      list_price: {{column: Price, agg: last}}
  customers:
    key: [customer_id]
    columns:
      customer_id: Cust
"""
# The first mapping swaps quantity and price and lets the test order through.
FIRST = _MAPPING.format(test_route="", quantity="Price", price="Qty")
CORRECTED = _MAPPING.format(
    test_route="  - when: \"Code = 'TEST'\"\n    exclude: a test order\n",
    quantity="Qty",
    price="Price",
)


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    return {
        "export": _write(tmp_path / "in", "shop.csv", "\n".join([HEADER, *EXPORT]) + "\n"),
        "first": _write(tmp_path / "m1", "shop.yaml", FIRST),
        "corrected": _write(tmp_path / "m2", "shop.yaml", CORRECTED),
    }


def _rows(settings: Settings, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_a_corrected_mapping_replaces_what_the_first_load_of_the_file_wrote(
    files: dict[str, Path], settings: Settings
) -> None:
    (first,) = ingest_paths([files["export"]], mapping=files["first"], settings=settings)
    # Swapped columns: quantities 1.50 and 9.99 are no whole numbers (3 lines held); the
    # line O1/2 reads quantity 3.00 at price 1 and loads; the postage row is excluded.
    assert (first.status, first.rows_loaded, first.rows_quarantined, first.rows_excluded) == (
        "partial",
        1,
        3,
        1,
    )
    (second,) = ingest_paths([files["export"]], mapping=files["corrected"], settings=settings)
    assert second.supersedes == first.batch_id
    assert (second.status, second.rows_in, second.rows_loaded) == ("loaded", 5, 3)
    assert (second.rows_quarantined, second.rows_duplicate, second.rows_excluded) == (0, 0, 2)
    assert f"replaces batch {first.batch_id}" in second.message

    assert _rows(
        settings,
        "SELECT batch_id, status, superseded_by, mapping_digest IS NOT NULL "
        "FROM ops.ingest_batches ORDER BY 1",
    ) == [
        (first.batch_id, "superseded", second.batch_id, True),
        (second.batch_id, "loaded", None, True),
    ]
    # Only the corrected load's rows: O3 and its customer and product went with batch 1.
    assert _rows(
        settings,
        "SELECT order_id, line_number, sku, quantity, unit_price, _batch_id "
        "FROM raw.order_lines ORDER BY 1, 2",
    ) == [
        ("O1", 1, "A", 2, Decimal("1.50"), second.batch_id),
        ("O1", 2, "B", 1, Decimal("3.00"), second.batch_id),
        ("O2", 1, "A", 3, Decimal("1.50"), second.batch_id),
    ]
    for table, key, expected in [
        ("orders", "order_id", ["O1", "O2"]),
        ("customers", "customer_id", ["c1", "c2"]),
        ("products", "sku", ["A", "B"]),
    ]:
        sql = f"SELECT {key}, _batch_id FROM raw.{table} ORDER BY 1"  # noqa: S608 (fixed names)
        assert _rows(settings, sql) == [(k, second.batch_id) for k in expected], table
    # The first batch's held and excluded rows are superseded; the new batch has its own.
    assert _rows(
        settings,
        "SELECT batch_id, status, count(*) FROM ops.quarantine GROUP BY ALL ORDER BY 1, 2",
    ) == [(first.batch_id, "superseded", 4), (second.batch_id, "excluded", 2)]
    # Nothing counts twice: the batches that count add up to what raw holds.
    assert _rows(
        settings,
        "SELECT sum(rows_in), sum(rows_loaded), sum(rows_quarantined), sum(rows_excluded) "
        "FROM ops.ingest_batches WHERE status IN ('loaded', 'partial', 'empty')",
    ) == [(5, 3, 0, 2)]
    assert _rows(
        settings,
        "SELECT sum(t.rows_loaded) FROM ops.ingest_batch_tables t JOIN ops.ingest_batches b "
        "USING (batch_id) WHERE b.status = 'loaded' AND table_name = 'order_lines'",
    ) == _rows(settings, "SELECT count(*) FROM raw.order_lines")


def test_the_same_file_and_mapping_is_already_loaded_however_the_mapping_is_laid_out(
    files: dict[str, Path], settings: Settings, tmp_path: Path
) -> None:
    (first,) = ingest_paths([files["export"]], mapping=files["corrected"], settings=settings)
    # The same document with a comment and its top-level keys in another order.
    blocks = CORRECTED.strip().split("\nroutes:")
    relaid = "# the same mapping\nroutes:" + blocks[1] + "\n" + blocks[0] + "\n"
    relaid_path = _write(tmp_path / "m3", "shop.yaml", relaid)
    assert load_mapping(relaid_path).digest == load_mapping(files["corrected"]).digest
    assert load_mapping(files["first"]).digest != load_mapping(files["corrected"]).digest
    (again,) = ingest_paths([files["export"]], mapping=relaid_path, settings=settings)
    assert (again.status, again.rows_loaded, again.rows_duplicate) == ("already_loaded", 0, 5)
    assert _rows(settings, "SELECT status FROM ops.ingest_batches ORDER BY batch_id") == [
        ("loaded",),
        ("already_loaded",),
    ]
    assert first.batch_id == 1


def test_a_version_a_later_batch_wrote_stays_when_an_earlier_batch_is_superseded(
    files: dict[str, Path], settings: Settings
) -> None:
    (first,) = ingest_paths([files["export"]], mapping=files["first"], settings=settings)
    later = ingest_frame(
        pl.DataFrame({"customer_id": ["c1"], "customer_name": ["Ann (later)"]}),
        "customers",
        settings=settings,
    )
    assert later.status == "loaded"
    (second,) = ingest_paths([files["export"]], mapping=files["corrected"], settings=settings)
    assert _rows(
        settings, "SELECT customer_id, customer_name, _batch_id FROM raw.customers ORDER BY 1"
    ) == [("c1", "Ann (later)", later.batch_id), ("c2", None, second.batch_id)]
    # The corrected load's c1 met the newer version: it counts as a duplicate there.
    customers = second.tables["customers"]
    assert (customers.built, customers.loaded, customers.duplicate) == (2, 1, 1)
    assert first.batch_id < later.batch_id < second.batch_id


def test_rows_the_superseded_batch_released_are_released_again_by_its_replacement(
    files: dict[str, Path], settings: Settings, tmp_path: Path
) -> None:
    lines = _write(
        tmp_path / "other",
        "order_lines.csv",
        "order_id,line_number,sku,quantity,unit_price\nO1,9,A,1,1.50\n",
    )
    (waiting,) = ingest_paths([lines], settings=settings)
    assert waiting.rows_quarantined == 1  # order O1 is not there yet
    (first,) = ingest_paths([files["export"]], mapping=files["first"], settings=settings)
    assert first.rows_released == 1
    (second,) = ingest_paths([files["export"]], mapping=files["corrected"], settings=settings)
    assert second.rows_released == 1
    assert _rows(
        settings, "SELECT _batch_id FROM raw.order_lines WHERE order_id = 'O1' AND line_number = 9"
    ) == [(second.batch_id,)]
    assert _rows(
        settings,
        "SELECT status, resolved_batch_id FROM ops.quarantine WHERE batch_id = ?",
        [waiting.batch_id],
    ) == [("released", second.batch_id)]


def test_going_back_to_the_first_mapping_supersedes_the_correction_in_turn(
    files: dict[str, Path], settings: Settings
) -> None:
    results = [
        ingest_paths([files["export"]], mapping=files[m], settings=settings)[0]
        for m in ("first", "corrected", "first")
    ]
    # The first batch is superseded already: the current one of this file is the second.
    assert [r.supersedes for r in results] == [None, 1, 2]
    assert _rows(
        settings, "SELECT batch_id, status, superseded_by FROM ops.ingest_batches ORDER BY 1"
    ) == [
        (1, "superseded", 2),
        (2, "superseded", 3),
        (3, "partial", None),
    ]
    # As after the first load alone: one line loads, three are held (now of batch 3).
    assert _rows(settings, "SELECT order_id, line_number, _batch_id FROM raw.order_lines") == [
        ("O1", 2, 3)
    ]
    assert _rows(
        settings, "SELECT batch_id, status, count(*) FROM ops.quarantine GROUP BY ALL ORDER BY 1, 2"
    ) == [(1, "superseded", 4), (2, "superseded", 2), (3, "excluded", 1), (3, "held", 3)]
