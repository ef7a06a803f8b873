"""Property-based: for any batch the ledger adds up, a second ingest changes nothing, and a
broken file of any format is rejected or accounted for row by row, never a traceback."""

from __future__ import annotations

import csv
import dataclasses
import gzip
import io
import json
import tempfile
from pathlib import Path

import duckdb
import polars as pl
import xlsxwriter
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from pipelines.ingest.api import ingest_frame, ingest_paths
from pipelines.ingest.contract import TABLES
from pipelines.settings import Settings

ids = st.sampled_from(["C1", "C2", "C3", "O1", "", " ", None, "客户1", "x" * 70])
texts = st.one_of(st.none(), st.text(max_size=12))
numbers = st.one_of(
    st.none(), st.sampled_from(["1", "0", "-3", "2.5", "1e400", "abc", "99999999999999999999"])
)
stamps = st.one_of(
    st.none(),
    st.sampled_from(
        [
            "2026-01-01T10:00:00Z",
            "2026-01-01 10:00",
            "2026-13-01",
            "yesterday",
            "2026-02-30T00:00:00+08:00",
        ]
    ),
)
channels = st.sampled_from(["web", "app", "fax", None, "WEB"])

customer_rows = st.lists(
    st.fixed_dictionaries(
        {
            "customer_id": ids,
            "customer_name": texts,
            "is_guest": st.sampled_from(["true", "no", "maybe", None]),
        }
    ),
    max_size=12,
)
order_rows = st.lists(
    st.fixed_dictionaries(
        {
            "order_id": ids,
            "customer_id": ids,
            "channel": channels,
            "ordered_at": stamps,
            "shipping_fee": numbers,
        }
    ),
    max_size=12,
)


def _raw_state(settings: Settings) -> dict[str, list[tuple]]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return {
            t: con.sql(f"SELECT * FROM raw.{t} ORDER BY ALL").fetchall()  # noqa: S608
            for t in ("customers", "orders")
        }


@hyp_settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(customers=customer_rows, orders=order_rows)
def test_ledger_adds_up_and_a_second_ingest_changes_nothing(
    settings: Settings, customers: list[dict], orders: list[dict]
) -> None:
    frames = [
        (
            "customers",
            pl.DataFrame(
                customers,
                schema=dict.fromkeys(["customer_id", "customer_name", "is_guest"], pl.String),
            ),
        ),
        (
            "orders",
            pl.DataFrame(
                orders,
                schema=dict.fromkeys(
                    ["order_id", "customer_id", "channel", "ordered_at", "shipping_fee"], pl.String
                ),
            ),
        ),
    ]
    for table, frame in frames:
        assert table in TABLES
        first = ingest_frame(frame, table, settings=settings)
        assert first.adds_up and first.rows_in == frame.height
    state = _raw_state(settings)
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        quarantined = con.sql("SELECT count(*) FROM ops.quarantine").fetchall()
    for table, frame in frames:
        again = ingest_frame(frame, table, settings=settings)
        assert again.adds_up and again.rows_loaded == 0
    assert _raw_state(settings) == state
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert con.sql("SELECT count(*) FROM ops.quarantine").fetchall() == quarantined


# --- broken files of every format through `ingest_paths` ---------------------------------------

HEADER = ("customer_id", "customer_name", "is_guest")
WIDTHS = (12, 14, 8)  # the fixed-width layout of the mapped file below

customer_values = st.tuples(
    st.sampled_from(["C1", "C2", "c 3", "客户4", "x" * 70]),
    st.sampled_from(["Ann", "Zoë", "王芳", 'say "hi"', "a,b", "two words", ""]),
    st.sampled_from(["true", "no", "maybe", ""]),
)
# How one file is broken: its line ending and BOM (text formats), then a cut and byte flips.
damage = st.fixed_dictionaries(
    {
        "newline": st.sampled_from(["\n", "\r\n", "\r"]),
        "bom": st.booleans(),
        "cut": st.one_of(st.none(), st.floats(0, 1)),
        "flips": st.lists(st.tuples(st.floats(0, 1), st.integers(0, 255)), max_size=3),
        "before_gzip": st.booleans(),  # .gz: break the text, or the compressed bytes
    }
)
FILES = (
    "customers__comma.csv",
    "customers__tab.tsv",
    "customers__pipe.txt",
    "customers__zipped.csv.gz",
    "customers__lines.jsonl",
    "customers__table.parquet",
    "customers__sheet.xlsx",
    "whitespace.txt",
    "fixed.txt",
)


def _mapping_yaml(text_format: str) -> str:
    layout = f"format: {text_format}"
    if text_format == "fixed_width":
        layout += f", widths: {list(WIDTHS)}"
    return (
        f"name: {text_format}_customers\n"
        f"source: {{columns: [cid, name, guest], {layout}}}\n"
        "routes: [{table: customers}]\n"
        "tables:\n"
        "  customers:\n"
        "    columns: {customer_id: cid, customer_name: name, is_guest: guest}\n"
    )


def _break(data: bytes, how: dict) -> bytes:
    broken = bytearray(data)
    for where, value in how["flips"]:
        if broken:
            broken[min(int(where * len(broken)), len(broken) - 1)] = value
    if how["cut"] is not None:
        broken = broken[: int(how["cut"] * len(broken))]
    return bytes(broken)


def _text_bytes(lines: list[str], how: dict) -> bytes:
    text = "".join(line + how["newline"] for line in lines)
    return ("\ufeff" if how["bom"] else "").encode() + text.encode()


def _delimited(rows: list[tuple[str, ...]], sep: str, how: dict) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=sep, lineterminator="\n").writerows([HEADER, *rows])
    return _text_bytes(out.getvalue().splitlines(), how)


def _whitespace(rows: list[tuple[str, ...]], how: dict) -> bytes:
    # Values without blanks, so that an unbroken file reads; the breaks do the rest.
    cells = [
        ("cid", "name", "guest"),
        *[tuple(v.replace(" ", "_") or "-" for v in r) for r in rows],
    ]
    return _text_bytes(["  \t ".join(r) for r in cells], how)


def _fixed(rows: list[tuple[str, ...]], how: dict) -> bytes:
    cells = [("cid", "name", "guest"), *rows]
    lines = ["".join(v[:w].ljust(w) for v, w in zip(r, WIDTHS, strict=True)) for r in cells]
    return _text_bytes(lines, how)


def _binary(rows: list[tuple[str, ...]], kind: str) -> bytes:
    out = io.BytesIO()
    if kind == "parquet":
        pl.DataFrame(rows, schema=list(HEADER), orient="row").write_parquet(out)
    else:
        book = xlsxwriter.Workbook(out, {"in_memory": True})
        sheet = book.add_worksheet("Export")
        for r, row in enumerate([HEADER, *rows]):
            sheet.write_row(r, 0, row)
        book.close()
    return out.getvalue()


def _file_bytes(name: str, rows: list[tuple[str, ...]], how: dict) -> bytes:
    if name.endswith(".gz"):
        text = _delimited(rows, ",", how)
        if how["before_gzip"]:
            return gzip.compress(_break(text, how), mtime=0)
        return _break(gzip.compress(text, mtime=0), how)
    if name.endswith(".jsonl"):
        lines = [json.dumps(dict(zip(HEADER, r, strict=True)), ensure_ascii=False) for r in rows]
        data = _text_bytes(lines, how)
    elif name.endswith((".parquet", ".xlsx")):
        data = _binary(rows, name.rsplit(".", 1)[1])
    else:
        data = {
            "customers__comma.csv": lambda: _delimited(rows, ",", how),
            "customers__tab.tsv": lambda: _delimited(rows, "\t", how),
            "customers__pipe.txt": lambda: _delimited(rows, "|", how),
            "whitespace.txt": lambda: _whitespace(rows, how),
            "fixed.txt": lambda: _fixed(rows, how),
        }[name]()
    return _break(data, how)


def _ledger(settings: Settings) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.sql(
            "SELECT source, status, rows_in, rows_loaded, rows_quarantined, rows_duplicate, "
            "message FROM ops.ingest_batches ORDER BY batch_id"
        ).fetchall()


@hyp_settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(customer_values, min_size=1, max_size=6),
    damages=st.fixed_dictionaries(dict.fromkeys(FILES, damage)),
)
def test_broken_files_of_every_format_are_rejected_or_accounted_for_never_a_traceback(
    settings: Settings, rows: list[tuple[str, ...]], damages: dict[str, dict]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        example = dataclasses.replace(settings, data_dir=root / "data")
        paths = {}
        for name in FILES:
            paths[name] = root / ("mapped" if name in FILES[-2:] else "plain") / name
            paths[name].parent.mkdir(exist_ok=True)
            paths[name].write_bytes(_file_bytes(name, rows, damages[name]))
        mappings = {}
        for name, text_format in (("whitespace.txt", "whitespace"), ("fixed.txt", "fixed_width")):
            mappings[name] = root / f"{text_format}.yaml"
            mappings[name].write_text(_mapping_yaml(text_format), encoding="utf-8")
        # No exception may escape any of these calls.
        results = ingest_paths([root / "plain"], settings=example)
        for name in FILES[-2:]:
            results += ingest_paths([paths[name]], mapping=mappings[name], settings=example)
        ledger = _ledger(example)

    assert len(results) == len(FILES)
    assert sorted(row[0] for row in ledger) == sorted(str(p) for p in paths.values())
    for source, status, rows_in, loaded, quarantined, duplicate, message in ledger:
        name = Path(source).name
        if status == "rejected":
            assert message.startswith(name), message
            assert rows_in == loaded == quarantined == duplicate == 0
        else:
            assert rows_in == loaded + quarantined + duplicate, (name, status)
        how = damages[name]
        if how["cut"] is None and not how["flips"]:
            # An unbroken file reads, whatever its line ending and BOM, row for row.
            assert (status, rows_in) in {("loaded", len(rows)), ("partial", len(rows))}, (
                name,
                status,
                message,
            )
