"""Mappings that declare a text layout (`source.format`, `source.widths`): validation, and
whitespace-separated and fixed-width exports loaded through `ingest_paths` into a real
warehouse."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.api import ingest_paths
from pipelines.ingest.mapping import MappingError, load_mapping
from pipelines.settings import Settings

PRODUCTS = """\
name: stock_list
source:
  columns: [Code, Name, Price]
  {layout}
routes: [{{table: products}}]
tables:
  products:
    columns: {{sku: Code, product_name: Name, list_price: Price}}
"""
WIDTHS = (6, 14, 8)


def _write_mapping(tmp_path: Path, layout: str, name: str = "stock.yaml") -> Path:
    path = tmp_path / name
    path.write_text(PRODUCTS.format(layout=layout), encoding="utf-8")
    return path


def _products(settings: Settings) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.sql(
            "SELECT sku, product_name, list_price FROM raw.products ORDER BY 1"
        ).fetchall()


def _ledger(settings: Settings) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.sql(
            "SELECT status, rows_in, rows_loaded, rows_quarantined, rows_duplicate, message "
            "FROM ops.ingest_batches ORDER BY batch_id"
        ).fetchall()


FIXED = "format: fixed_width"
WHITESPACE = "format: whitespace"
NOT_POSITIVE = "source.widths: expected a list of positive integers"


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        (["format: xml"], "source.format: 'xml': one of csv, whitespace, fixed_width"),
        ([FIXED], "source.widths: required for format fixed_width"),
        ([FIXED, "widths: []"], NOT_POSITIVE),
        ([FIXED, "widths: [6, 0]"], NOT_POSITIVE),
        ([FIXED, "widths: [6, -2]"], NOT_POSITIVE),
        ([FIXED, "widths: [6, 2.5]"], NOT_POSITIVE),
        ([FIXED, "widths: [6, true]"], NOT_POSITIVE),
        ([FIXED, "widths: [6, '8']"], NOT_POSITIVE),
        ([FIXED, "widths: 6"], NOT_POSITIVE),
        (["widths: [6, 14]"], "source.widths: only for format fixed_width"),
        ([WHITESPACE, "widths: [6]"], "source.widths: only for format fixed_width"),
        ([WHITESPACE, "delimiter: ';'"], "source.delimiter: only for format csv"),
    ],
)
def test_invalid_layouts_are_refused_naming_the_file_and_the_key(
    tmp_path: Path, layout: list[str], expected: str
) -> None:
    path = _write_mapping(tmp_path, "\n  ".join(layout), name="broken.yaml")
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    assert str(caught.value).startswith(f"{path}: {expected}")


def test_layouts_are_passed_to_the_reader(tmp_path: Path) -> None:
    whitespace = load_mapping(_write_mapping(tmp_path, "format: whitespace", "a.yaml"))
    fixed = load_mapping(
        _write_mapping(tmp_path, "format: fixed_width\n  widths: [6, 14]", "b.yaml")
    )
    csv = load_mapping(_write_mapping(tmp_path, "format: csv\n  delimiter: ';'", "c.yaml"))
    assert whitespace.read_options() == {"format": "whitespace"}
    assert fixed.read_options() == {"format": "fixed_width", "widths": (6, 14)}
    assert csv.read_options() == {"delimiter": ";"}  # csv is the default: not passed


def test_whitespace_export_loads_through_its_mapping(tmp_path: Path, settings: Settings) -> None:
    export = tmp_path / "stock_list.txt"
    lines = ["Code  Name\tPrice", "P1    Tea     9.90", "", "P2\tRice\t\t0", "P3  Soap  -1"]
    export.write_bytes(("\ufeff" + "\r".join(lines) + "\r").encode())
    mapping = _write_mapping(tmp_path, "format: whitespace")
    (result,) = ingest_paths([export], mapping=mapping, settings=settings)
    # P3's negative price breaks the contract: held, every row accounted for.
    assert _ledger(settings) == [("partial", 3, 2, 1, 0, None)]
    assert result.adds_up
    assert _products(settings) == [("P1", "Tea", Decimal("9.90")), ("P2", "Rice", Decimal("0"))]


def test_whitespace_line_with_a_blank_in_a_value_rejects_the_file_naming_the_line(
    tmp_path: Path, settings: Settings
) -> None:
    export = tmp_path / "stock_list.txt"
    export.write_bytes(b"Code Name Price\r\nP1 Tea 9.90\r\nP2 Green Tea 12\r\n")
    (result,) = ingest_paths(
        [export], mapping=_write_mapping(tmp_path, "format: whitespace"), settings=settings
    )
    assert result.status == "rejected"
    assert result.message.startswith("stock_list.txt, line 3: expected 3 fields, found 4")
    assert _ledger(settings) == [("rejected", 0, 0, 0, 0, result.message)]


def _fixed_line(*values: str) -> str:
    return "".join(v.ljust(w) for v, w in zip(values, WIDTHS, strict=True))


def test_fixed_width_export_loads_through_its_mapping(tmp_path: Path, settings: Settings) -> None:
    export = tmp_path / "stock_list.txt"
    lines = [
        _fixed_line("Code", "Name", "Price"),
        _fixed_line("P1", "Green Tea", "12.50"),
        _fixed_line("P2", "Rice 5 kg", "0"),
        _fixed_line("P1", "Green Tea", "12.50"),  # an exact copy: a duplicate
    ]
    export.write_bytes(("\r\n".join(lines) + "\r\n").encode())
    layout = f"format: fixed_width\n  widths: {list(WIDTHS)}"
    (result,) = ingest_paths([export], mapping=_write_mapping(tmp_path, layout), settings=settings)
    assert _ledger(settings) == [("loaded", 3, 2, 0, 1, None)]
    assert result.adds_up
    assert _products(settings) == [
        ("P1", "Green Tea", Decimal("12.50")),
        ("P2", "Rice 5 kg", Decimal("0")),
    ]


def test_fixed_width_line_cut_short_rejects_the_file_naming_the_line(
    tmp_path: Path, settings: Settings
) -> None:
    export = tmp_path / "stock_list.txt"
    lines = [_fixed_line("Code", "Name", "Price"), _fixed_line("P1", "Tea", "1"), "P2    Ri"]
    export.write_bytes("\r".join(lines).encode())
    layout = f"format: fixed_width\n  widths: {list(WIDTHS)}"
    (result,) = ingest_paths([export], mapping=_write_mapping(tmp_path, layout), settings=settings)
    assert result.status == "rejected"
    assert result.message == (
        "stock_list.txt, line 3: line has 8 characters; the widths need at least 20 "
        "(a truncated line?)"
    )
