"""Readers: every format to a frame with `_source_row`, unreadable files rejected by line."""

from __future__ import annotations

import gzip
import hashlib
import io
import subprocess
import sys
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


# --- line endings and BOM ---------------------------------------------------------------------

NEWLINES = {"LF": "\n", "CRLF": "\r\n", "CR": "\r"}
BOM = "\ufeff"
# Row 2 holds a line break inside quotes, so data row 3 starts on physical line 5.
ROWS_TEXT = ["id,name,qty", "007,Ann,3", '008,"two{nl}lines",', "009,Zoë,4"]


def _lines(lines: list[str], newline: str, *, bom: bool = False) -> str:
    body = "".join(line.replace("{nl}", newline) + newline for line in lines)
    return (BOM if bom else "") + body


def _expected_rows(newline: str) -> list[tuple]:
    return [("007", "Ann", "3", 1), ("008", f"two{newline}lines", None, 2), ("009", "Zoë", "4", 3)]


@pytest.mark.parametrize("bom", [False, True], ids=["no-bom", "bom"])
@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"], ids=["fast-path", "decoded-path"])
@pytest.mark.parametrize("name", ["customers.csv", "customers.csv.gz", "customers.txt"])
def test_cr_only_file_reads_with_the_right_row_numbers(
    tmp_path: Path, name: str, encoding: str, bom: bool
) -> None:
    # GB18030 bytes are not UTF-8, so they take the decoded (slow) path.
    data = _lines(ROWS_TEXT, "\r", bom=bom).encode(encoding)
    path = _write(tmp_path, name, gzip.compress(data) if name.endswith(".gz") else data)
    frame = read_file(path)
    assert frame.columns == ["id", "name", "qty", ROW]
    assert frame.rows() == _expected_rows("\r")


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"], ids=["fast-path", "decoded-path"])
def test_lf_crlf_and_cr_files_give_the_same_rows(tmp_path: Path, encoding: str) -> None:
    frames = {
        label: read_file(
            _write(tmp_path, f"{label}/orders.tsv", _lines(ROWS_TEXT, nl).encode(encoding))
        )
        for label, nl in NEWLINES.items()
    }
    # Equal but for the line break kept inside the quoted value, which is the file's own.
    for label, frame in frames.items():
        assert frame.rows() == _expected_rows(NEWLINES[label]), label


@pytest.mark.parametrize("newline", list(NEWLINES.values()), ids=list(NEWLINES))
@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"], ids=["fast-path", "decoded-path"])
def test_short_row_is_rejected_at_its_physical_line_whatever_the_line_ending(
    tmp_path: Path, newline: str, encoding: str
) -> None:
    lines = [*ROWS_TEXT[:3], "7,8", "9,10,11"]  # the short row is on line 5
    path = _write(tmp_path, "orders.csv", _lines(lines, newline, bom=True).encode(encoding))
    assert _rejection(path) == (
        "orders.csv, line 5: expected 3 fields, found 2 (broken quoting or a truncated row)"
    )


@pytest.mark.parametrize("newline", list(NEWLINES.values()), ids=list(NEWLINES))
def test_quote_never_closed_is_rejected_where_it_opened_whatever_the_line_ending(
    tmp_path: Path, newline: str
) -> None:
    path = _write(
        tmp_path, "orders.csv", _lines(["a,b", "1,2", '3,"open', "5,6"], newline).encode()
    )
    assert _rejection(path) == "orders.csv, line 3: quote opened here is never closed"


@pytest.mark.parametrize("newline", list(NEWLINES.values()), ids=list(NEWLINES))
def test_undecodable_byte_is_rejected_at_its_line_whatever_the_line_ending(
    tmp_path: Path, newline: str
) -> None:
    data = _lines(["id,name", "1,Ann", "2,Bob"], newline).encode() + b"3,\x80\xff" + b"\n"
    assert _rejection(_write(tmp_path, "customers.csv", data)).startswith(
        "customers.csv, line 4: cannot decode byte 0x80"
    )


@pytest.mark.parametrize("newline", list(NEWLINES.values()), ids=list(NEWLINES))
def test_header_only_file_is_empty_whatever_the_line_ending(tmp_path: Path, newline: str) -> None:
    frame = read_file(_write(tmp_path, "orders.csv", f"{BOM}order_id,channel{newline}".encode()))
    assert (frame.height, frame.columns) == (0, ["order_id", "channel", ROW])


@pytest.mark.parametrize("newline", list(NEWLINES.values()), ids=list(NEWLINES))
def test_jsonl_with_a_bom_reads_whatever_the_line_ending(tmp_path: Path, newline: str) -> None:
    lines = ['{"order_id": "O1", "qty": 2}', "", '{"order_id": "O2", "qty": 3}']
    frame = read_file(_write(tmp_path, "orders.jsonl", _lines(lines, newline, bom=True).encode()))
    assert frame.rows() == [("O1", 2, 1), ("O2", 3, 2)]
    broken = _lines([lines[0], '{"order_id": '], newline).encode()
    assert _rejection(_write(tmp_path, "bad.jsonl", broken)).startswith(
        "bad.jsonl, line 2: invalid JSON"
    )


# --- whitespace-separated and fixed-width text ------------------------------------------------


@pytest.mark.parametrize("newline", list(NEWLINES.values()), ids=list(NEWLINES))
def test_whitespace_file_splits_fields_at_runs_of_spaces_and_tabs(
    tmp_path: Path, newline: str
) -> None:
    lines = ["Invoice   Item\tQty", "", "A1 X-1  2", "  A2\t \tY 3  ", "   "]
    path = _write(tmp_path, "log.txt", _lines(lines, newline, bom=True).encode())
    frame = read_file(path, format="whitespace")
    assert frame.columns == ["Invoice", "Item", "Qty", ROW]
    assert frame.rows() == [("A1", "X-1", "2", 1), ("A2", "Y", "3", 2)]


@pytest.mark.parametrize("newline", list(NEWLINES.values()), ids=list(NEWLINES))
def test_whitespace_line_with_the_wrong_field_count_is_rejected_at_its_line(
    tmp_path: Path, newline: str
) -> None:
    lines = ["Invoice Item Qty", "A1 X 2", "", "A2 blue cup 3"]
    path = _write(tmp_path, "log.txt.gz", gzip.compress(_lines(lines, newline).encode()))
    assert _rejection(path, format="whitespace") == (
        "log.txt.gz, line 4: expected 3 fields, found 4 "
        "(fields are separated by spaces or tabs; a value cannot contain one)"
    )


WIDTHS = (4, 10, 3)


@pytest.mark.parametrize("newline", list(NEWLINES.values()), ids=list(NEWLINES))
def test_fixed_width_file_is_cut_at_the_widths_header_included(
    tmp_path: Path, newline: str
) -> None:
    lines = [
        "id  name      qty",
        "1   Ann Lee   3",  # the last field's padding trimmed: still its value
        "",
        "  2 " + " " * 10 + "12",  # a blank field is a missing value
        "3   " + "王芳".ljust(10) + "7  ",  # widths count characters, not bytes
    ]
    path = _write(tmp_path, "stock.txt", _lines(lines, newline, bom=True).encode())
    frame = read_file(path, format="fixed_width", widths=WIDTHS)
    assert frame.columns == ["id", "name", "qty", ROW]
    assert frame.rows() == [("1", "Ann Lee", "3", 1), ("2", None, "12", 2), ("3", "王芳", "7", 3)]


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("3   Bo", "line 3: line has 6 characters; the widths need at least 14"),
        ("3   Bob       7  xx", "line 3: text beyond the declared widths (17 characters)"),
    ],
)
def test_fixed_width_line_too_short_or_too_long_is_rejected_at_its_line(
    tmp_path: Path, line: str, message: str
) -> None:
    lines = ["id  name      qty", "1   Ann       3", line]
    path = _write(tmp_path, "stock.txt", _lines(lines, "\r").encode())
    assert _rejection(path, format="fixed_width", widths=WIDTHS).startswith(f"stock.txt, {message}")


def test_fixed_width_header_with_a_blank_name_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, "stock.txt", b"id            qty\n1   Ann       3\n")
    assert _rejection(path, format="fixed_width", widths=WIDTHS) == (
        "stock.txt, line 1: blank column name at position 2"
    )


def test_text_layouts_are_refused_for_files_that_are_not_text(tmp_path: Path) -> None:
    path = tmp_path / "orders.parquet"
    pl.DataFrame({"order_id": ["O1"]}).write_parquet(path)
    assert _rejection(path, format="whitespace") == (
        "orders.parquet: the whitespace format is for text files (.csv, .tsv, .txt and their .gz)"
    )


# --- what the parsing libraries raise on corrupt files ---------------------------------------


def _parquet_bytes() -> bytes:
    out = io.BytesIO()
    pl.DataFrame(
        {"order_id": [f"O{i}" for i in range(100)], "qty": list(range(100))}
    ).write_parquet(out)
    return out.getvalue()


def _with_byte(data: bytes, position: int, value: int) -> bytes:
    return data[:position] + bytes([value]) + data[position + 1 :]


def test_parquet_whose_page_header_asks_for_an_absurd_allocation_is_rejected(
    tmp_path: Path,
) -> None:
    # This byte made `pl.read_parquet` abort the whole process (a failed allocation of 2^61
    # bytes): read in a child process, so that a regression fails this test, not the run.
    path = _write(tmp_path, "orders.parquet", _with_byte(_parquet_bytes(), 147, 0xFF))
    script = (
        "import sys\n"
        "from pipelines.ingest.readers import BatchRejected, read_file\n"
        "try:\n"
        "    read_file(sys.argv[1])\n"
        "except BatchRejected as exc:\n"
        "    print(exc)\n"
    )
    child = subprocess.run(
        [sys.executable, "-c", script, str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert child.returncode == 0, child.stderr[-2000:]
    assert child.stdout.startswith("orders.parquet: cannot read as Parquet"), child.stdout


def test_parquet_that_makes_polars_panic_is_rejected(tmp_path: Path) -> None:
    path = _write(tmp_path, "orders.parquet", _with_byte(_parquet_bytes(), 975, 0xFF))
    with pytest.raises(BatchRejected) as caught:
        read_file(path)
    # A pyo3 PanicException is a BaseException: `except Exception` would let it through.
    assert isinstance(caught.value.__cause__, pl.exceptions.PanicException)
    assert str(caught.value).startswith("orders.parquet: cannot read as Parquet")


def test_parquet_with_invalid_utf8_text_is_rejected(tmp_path: Path) -> None:
    # Arrow reads Parquet text without checking it; unchecked, DuckDB refused it mid-load.
    out = io.BytesIO()
    frame = pl.DataFrame({"customer_id": ["C1", "C2"], "customer_name": ["Ann", "Zoë"]})
    frame.write_parquet(out, compression="uncompressed")
    broken = out.getvalue().replace("Zoë".encode(), b"Zo\xc3\x28")  # not UTF-8
    path = _write(tmp_path, "customers.parquet", broken)
    assert _rejection(path).startswith("customers.parquet: cannot read as Parquet")
    assert "UTF8" in _rejection(path)


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.99])
def test_truncated_parquet_and_xlsx_are_rejected(tmp_path: Path, fraction: float) -> None:
    sheet = _xlsx(
        tmp_path / "whole.xlsx", {"A": [["id", "qty"], *[[f"C{i}", i] for i in range(50)]]}
    )
    for name, whole in (("orders.parquet", _parquet_bytes()), ("orders.xlsx", sheet.read_bytes())):
        path = _write(tmp_path, name, whole[: int(len(whole) * fraction)])
        assert _rejection(path).startswith(f"{name}: cannot read as "), name
