"""Readers: every format to a frame with `_source_row`, unreadable files rejected by line."""

from __future__ import annotations

import gzip
import hashlib
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from pipelines.ingest.readers import (
    ROW,
    BatchRejected,
    file_sha256,
    list_input_files,
    read_file,
    sniff_delimiter,
    table_for_path,
)


def _write(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _rejection(path: Path, **options: str) -> str:
    with pytest.raises(BatchRejected) as caught:
        read_file(path, **options)
    return str(caught.value)


# --- names and folders ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "table"),
    [
        ("orders.csv", "orders"),
        ("order_lines__2024-01.csv.gz", "order_lines"),
        ("Customers__web.xlsx", "customers"),
        ("returns.jsonl", "returns"),
        ("orders_web.csv", None),
        ("online_retail.csv.gz", None),
        ("unknown__orders.csv", None),
    ],
)
def test_table_for_path_reads_the_table_from_the_file_name(name: str, table: str | None) -> None:
    assert table_for_path(Path(name)) == table


def test_list_input_files_orders_parents_first_and_skips_hidden_and_foreign_files(
    tmp_path: Path,
) -> None:
    for name in [
        "order_lines__b.csv",
        "order_lines__a.csv",
        "orders.jsonl",
        "zz_export.csv",
        "sub/products.xlsx",
        "customers.csv.gz",
        ".hidden.csv",
        ".cache/orders.csv",
        "~$customers.xlsx",
        "README.md",
    ]:
        _write(tmp_path, name, b"x\n")
    files = list_input_files([tmp_path, tmp_path / "orders.jsonl"])
    assert [f.name for f in files] == [
        "customers.csv.gz",
        "products.xlsx",
        "orders.jsonl",
        "order_lines__a.csv",
        "order_lines__b.csv",
        "zz_export.csv",
    ]


def test_file_sha256_is_the_hex_digest_of_the_bytes(tmp_path: Path) -> None:
    path = _write(tmp_path, "orders.csv", b"order_id\nO1\n")
    assert file_sha256(path) == hashlib.sha256(b"order_id\nO1\n").hexdigest()


def test_batch_rejected_names_file_line_and_field() -> None:
    exc = BatchRejected("orders__web.csv", "expected 15 fields, found 14", line=17, field="sku")
    assert str(exc) == "orders__web.csv, line 17, field 'sku': expected 15 fields, found 14"
    assert str(BatchRejected("a.csv", "empty file")) == "a.csv: empty file"


# --- CSV ------------------------------------------------------------------------------------


@pytest.mark.parametrize("sep", [",", ";", "\t", "|"])
def test_csv_delimiter_is_sniffed_from_the_header(tmp_path: Path, sep: str) -> None:
    text = sep.join(["id", "name", "amount"]) + "\n" + sep.join(["1", "Ann", "2.50"]) + "\n"
    frame = read_file(_write(tmp_path, "customers.csv", text.encode()))
    assert frame.columns == ["id", "name", "amount", ROW]
    assert frame.row(0) == ("1", "Ann", "2.50", 1)


def test_sniffing_ignores_delimiters_inside_quotes() -> None:
    assert sniff_delimiter('"a;b;c",d,e') == ","
    assert sniff_delimiter("single") == ","


def test_csv_reads_every_column_as_text_with_one_based_row_numbers(tmp_path: Path) -> None:
    data = '\ufeff id , name ,qty\n007,"Smith, Ann",3\n008,"two\nlines",\n009,"",4\n'
    frame = read_file(_write(tmp_path, "customers.csv", data.encode()))
    assert frame.schema == pl.Schema(
        {"id": pl.String, "name": pl.String, "qty": pl.String, ROW: pl.Int64}
    )
    # Leading zeros survive (no inference); empty fields, quoted or not, are missing values.
    assert frame.rows() == [
        ("007", "Smith, Ann", "3", 1),
        ("008", "two\nlines", None, 2),
        ("009", None, "4", 3),
    ]


def test_csv_gz_is_read_like_csv(tmp_path: Path) -> None:
    path = _write(tmp_path, "orders.csv.gz", gzip.compress(b"order_id;channel\nO1;web\n"))
    assert read_file(path).rows() == [("O1", "web", 1)]


def test_gb18030_file_is_decoded_when_it_is_not_utf8(tmp_path: Path) -> None:
    path = _write(tmp_path, "customers.csv", "编号,姓名\nC1,王芳\n".encode("gb18030"))
    assert read_file(path).rows() == [("C1", "王芳", 1)]


def test_explicit_encoding_is_used(tmp_path: Path) -> None:
    path = _write(tmp_path, "customers.csv", "id,name\n1,Zoë\n".encode("latin-1"))
    assert read_file(path, encoding="latin-1").rows() == [("1", "Zoë", 1)]


def test_explicit_delimiter_overrides_sniffing(tmp_path: Path) -> None:
    path = _write(tmp_path, "customers.csv", b"id;note\n1;a,b\n")
    assert read_file(path, delimiter=";").rows() == [("1", "a,b", 1)]


def test_undecodable_bytes_reject_naming_their_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "customers.csv", b"id,name\n1,Ann\n2,\x80\xff\n")
    message = _rejection(path)
    assert message.startswith("customers.csv, line 3: cannot decode byte 0x")


def test_explicit_utf8_does_not_fall_back_to_gb18030(tmp_path: Path) -> None:
    path = _write(tmp_path, "customers.csv", "id,name\nC1,王芳\n".encode("gb18030"))
    assert _rejection(path, encoding="utf-8").startswith("customers.csv, line 2: bytes that")


def test_short_row_rejects_the_batch_naming_the_physical_line(tmp_path: Path) -> None:
    # Row 2 spans two lines, so the short row (data row 3) is on line 5.
    data = b'a,b,c\n1,2,3\n4,"x\ny",6\n7,8\n9,10,11\n'
    assert _rejection(_write(tmp_path, "orders__web.csv", data)) == (
        "orders__web.csv, line 5: expected 3 fields, found 2 (broken quoting or a truncated row)"
    )


def test_long_row_rejects_the_batch_naming_the_line(tmp_path: Path) -> None:
    data = b"a|b\n1|2\n3|4|5\n"
    assert _rejection(_write(tmp_path, "orders.csv", data)).startswith(
        "orders.csv, line 3: expected 2 fields, found 3"
    )


def test_quote_never_closed_rejects_the_batch_naming_where_it_opened(tmp_path: Path) -> None:
    data = b'a,b\n1,2\n3,"open\n5,6\n'
    assert _rejection(_write(tmp_path, "orders.csv", data)) == (
        "orders.csv, line 3: quote opened here is never closed"
    )


def test_truncated_gz_is_rejected(tmp_path: Path) -> None:
    whole = gzip.compress(b"a,b\n" + b"1,2\n" * 10_000)
    path = _write(tmp_path, "orders.csv.gz", whole[: len(whole) // 2])
    assert "orders.csv.gz" in _rejection(path)


def test_empty_file_is_rejected(tmp_path: Path) -> None:
    assert _rejection(_write(tmp_path, "orders.csv", b"")) == "orders.csv: empty file"


@pytest.mark.parametrize("data", [b"order_id,channel\n", b"order_id,channel"])
def test_header_only_file_is_an_empty_frame_with_the_header(tmp_path: Path, data: bytes) -> None:
    frame = read_file(_write(tmp_path, "orders.csv", data))
    assert frame.height == 0
    assert frame.columns == ["order_id", "channel", ROW]


def test_blank_header_name_is_rejected_naming_its_position(tmp_path: Path) -> None:
    path = _write(tmp_path, "orders.csv", b"order_id, ,channel\n1,2,3\n")
    assert _rejection(path) == "orders.csv, line 1: blank column name at position 2"


def test_repeated_header_name_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, "orders.csv", b"order_id,sku,order_id \n1,2,3\n")
    assert _rejection(path) == "orders.csv, line 1: repeated column name(s): order_id"


def test_unsupported_extension_is_rejected(tmp_path: Path) -> None:
    assert "unsupported file type" in _rejection(_write(tmp_path, "orders.xls", b"x"))


# --- JSON lines, Parquet, XLSX --------------------------------------------------------------


def test_jsonl_keeps_native_types_and_skips_blank_lines(tmp_path: Path) -> None:
    data = b'{"order_id": "O1", "qty": 2}\n\n{"order_id": "O2", "qty": 3, "note": "x"}\n'
    frame = read_file(_write(tmp_path, "orders.jsonl", data))
    assert frame.schema["qty"] == pl.Int64
    assert frame.rows() == [("O1", 2, None, 1), ("O2", 3, "x", 2)]


def test_invalid_json_line_rejects_naming_the_line(tmp_path: Path) -> None:
    data = b'{"order_id": "O1"}\n{"order_id": \n'
    assert _rejection(_write(tmp_path, "orders.ndjson", data)).startswith(
        "orders.ndjson, line 2: invalid JSON"
    )


def test_jsonl_values_of_clashing_types_come_back_as_text(tmp_path: Path) -> None:
    data = b'{"qty": 2}\n{"qty": "two"}\n{"qty": [1]}\n'
    assert read_file(_write(tmp_path, "orders.jsonl", data))["qty"].to_list() == [
        "2",
        "two",
        "[1]",
    ]


def test_parquet_round_trips_with_row_numbers(tmp_path: Path) -> None:
    path = tmp_path / "orders.parquet"
    pl.DataFrame({"order_id": ["O1", "O2"], "qty": [1, 2]}).write_parquet(path)
    assert read_file(path).rows() == [("O1", 1, 1), ("O2", 2, 2)]


def test_corrupt_parquet_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, "orders.parquet", b"PAR1 not really")
    assert _rejection(path).startswith("orders.parquet: cannot read as Parquet")


def _xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    book = xlsxwriter.Workbook(str(path))
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            sheet.write_row(r, 0, row)
    book.close()
    return path


def test_xlsx_reads_the_first_sheet_as_text_keeping_sheet_row_numbers(tmp_path: Path) -> None:
    path = _xlsx(
        tmp_path / "customers.xlsx",
        {
            "Export": [[" customer_id ", "score"], ["17850", 17850], [], ["C2", 2.5]],
            "Other": [["x"], ["y"]],
        },
    )
    frame = read_file(path)
    assert frame.columns == ["customer_id", "score", ROW]
    # The blank sheet row is dropped but the numbering stays the sheet's (row 4 -> 3).
    assert frame.rows() == [("17850", "17850", 1), ("C2", "2.5", 3)]


def test_xlsx_named_sheet_is_read_and_a_missing_one_rejected(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "customers.xlsx", {"A": [["x"], ["1"]], "B": [["y"], ["2"]]})
    assert read_file(path, sheet="B").rows() == [("2", 1)]
    assert _rejection(path, sheet="C").startswith("customers.xlsx: cannot read as XLSX")


def test_xlsx_repeated_header_is_rejected(tmp_path: Path) -> None:
    path = _xlsx(tmp_path / "customers.xlsx", {"A": [["id", "id"], ["1", "2"]]})
    assert _rejection(path) == "customers.xlsx, line 1: repeated column name(s): id"
