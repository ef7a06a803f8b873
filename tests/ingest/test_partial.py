"""Partial updates: a mapping that supplies some columns of an entity keeps the others."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.ingest.api import ingest_frame, ingest_paths, release
from pipelines.ingest.mapping import MappingError, load_mapping
from pipelines.settings import Settings

CATALOGUE = pl.DataFrame(
    {
        "sku": ["P1", "P2"],
        "product_name": ["Tea", "Cup"],
        "category": ["drinks", "kitchen"],
        "list_price": ["10.00", "4.50"],
    }
)


def _mapping(folder: Path, columns: str, partial: str = "true") -> Path:
    path = folder / "products.yaml"
    path.write_text(
        f"""
name: product_update
source:
  columns: [Sku, Name, Price]
routes:
  - table: products
tables:
  products:
    partial: {partial}
    columns: {columns}
""",
        encoding="utf-8",
    )
    return path


def _export(folder: Path, lines: list[str]) -> Path:
    path = folder / "product_update.csv"
    path.write_text("\n".join(["Sku,Name,Price", *lines]) + "\n", encoding="utf-8")
    return path


def _products(settings: Settings) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.sql(
            "SELECT sku, product_name, category, list_price FROM raw.products ORDER BY sku"
        ).fetchall()


def _held(settings: Settings, batch_id: int) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(
            "SELECT source_row, field, reason_code, status FROM ops.quarantine "
            "WHERE batch_id = ? ORDER BY source_row",
            [batch_id],
        ).fetchall()


@pytest.fixture
def catalogue(settings: Settings) -> Settings:
    assert ingest_frame(CATALOGUE, "products", settings=settings).status == "loaded"
    return settings


def test_a_file_without_prices_renames_products_and_keeps_their_prices(
    tmp_path: Path, catalogue: Settings
) -> None:
    mapping = _mapping(tmp_path, "{sku: Sku, product_name: Name}")
    export = _export(tmp_path, ["P1,Green tea,", "P3,Mystery,"])
    (result,) = ingest_paths([export], mapping=mapping, settings=catalogue)
    # P1 exists: its name changes, category and price stay. P3 is new and has no price,
    # which the contract requires: it is held, naming the field.
    assert _products(catalogue) == [
        ("P1", "Green tea", "drinks", Decimal("10.00")),
        ("P2", "Cup", "kitchen", Decimal("4.50")),
    ]
    assert _held(catalogue, result.batch_id) == [(2, "list_price", "missing", "held")]
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (2, 1, 1)
    assert result.status == "partial"
    assert result.tables["products"].updated == 1


def test_a_price_file_keeps_names_and_a_new_product_takes_the_contract_defaults(
    tmp_path: Path, catalogue: Settings
) -> None:
    mapping = _mapping(tmp_path, "{sku: Sku, product_name: Name, list_price: Price}")
    export = _export(tmp_path, ["P2,Cup,5.00", "P4,Jug,12.00"])
    (result,) = ingest_paths([export], mapping=mapping, settings=catalogue)
    # P2 keeps its category; P4 is new and gets the contract's default category.
    assert _products(catalogue) == [
        ("P1", "Tea", "drinks", Decimal("10.00")),
        ("P2", "Cup", "kitchen", Decimal("5.00")),
        ("P4", "Jug", "uncategorised", Decimal("12.00")),
    ]
    assert (result.status, result.rows_loaded) == ("loaded", 2)


def test_a_new_product_without_a_name_is_held_naming_the_field(
    tmp_path: Path, catalogue: Settings
) -> None:
    mapping = _mapping(tmp_path, "{sku: Sku, list_price: Price}")
    export = _export(tmp_path, ["P1,,11.00", "P5,,2.00"])
    (result,) = ingest_paths([export], mapping=mapping, settings=catalogue)
    assert _products(catalogue)[0] == ("P1", "Tea", "drinks", Decimal("11.00"))
    assert _held(catalogue, result.batch_id) == [(2, "product_name", "missing", "held")]


def test_without_partial_a_mapping_must_supply_every_required_column(tmp_path: Path) -> None:
    with pytest.raises(MappingError, match=r"required column\(s\) not mapped: list_price"):
        load_mapping(_mapping(tmp_path, "{sku: Sku, product_name: Name}", partial="false"))
    partial = load_mapping(_mapping(tmp_path, "{sku: Sku, product_name: Name}"))
    assert partial.partial_columns == {"products": ("sku", "product_name")}


@pytest.mark.parametrize(
    ("table", "columns", "message"),
    [
        (
            "order_events",
            "{order_id: Sku, event_type: {const: placed}, event_at: Price}",
            r"tables\.order_events\.partial: only entity tables can be updated in part",
        ),
        ("products", "{product_name: Name}", r"tables\.products\.columns: key column\(s\) not"),
    ],
)
def test_partial_is_refused_for_events_and_without_the_key(
    tmp_path: Path, table: str, columns: str, message: str
) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(
        f"""
name: bad
source:
  columns: [Sku, Name, Price]
routes:
  - table: {table}
tables:
  {table}:
    partial: true
    columns: {columns}
""",
        encoding="utf-8",
    )
    with pytest.raises(MappingError, match=message):
        load_mapping(path)


def test_a_held_partial_row_released_later_keeps_the_columns_it_did_not_supply(
    tmp_path: Path, catalogue: Settings
) -> None:
    mapping = _mapping(tmp_path, "{sku: Sku, product_name: Name}")
    export = _export(tmp_path, ["P3,Mystery,"])
    (held,) = ingest_paths([export], mapping=mapping, settings=catalogue)
    assert held.rows_quarantined == 1  # P3 is new and has no price
    later = pl.DataFrame(
        {"sku": ["P3"], "product_name": ["Old name"], "category": ["misc"], "list_price": ["7"]}
    )
    assert ingest_frame(later, "products", settings=catalogue).status == "loaded"
    released = release(batch_id=held.batch_id, settings=catalogue)
    assert (released.rows_loaded, released.rows_quarantined) == (1, 0)
    # The row supplied the name only: P3 keeps the price and category it has now.
    assert _products(catalogue)[2] == ("P3", "Mystery", "misc", Decimal("7.00"))
