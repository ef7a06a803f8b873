"""The catalogue of bad ingest inputs (issue 2): each input next to the outcome it must have.

Every case writes its files into tmp_path and runs the real `ingest_paths` on a real DuckDB
file (the `settings` fixture gives each test its own data directory), one call per step.
A step expects either `Rejected` (nothing of the file is written; the ledger says `rejected`
with a message naming the file, the line and the field) or `Rows` (where the file's rows went:
loaded, quarantined with their reason code and field, duplicate, released). After every
step the ledger must add up (rows_in = loaded + quarantined + duplicate) and every loaded row
must be in a raw table; after the last step the case's queries must return the stored rows.

Covered elsewhere and not repeated: reader details (tests/ingest/test_readers.py), row fates
of in-memory frames and atomicity (test_loader.py), mappings (test_mapping.py), random
inputs (test_properties.py), crash safety (test_crash.py).
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
import xlsxwriter

from pipelines.ingest.api import ingest_paths, release
from pipelines.ingest.contract import TABLES
from pipelines.ingest.loader import BatchResult
from pipelines.settings import Settings

# --- how a case is written ------------------------------------------------------------------

# (source_row, field, reason_code, status) of one quarantine row.
Held = tuple[int, str, str, str]
Data = bytes | Callable[[Path], None]  # file bytes, or a writer for binary formats (XLSX)


@dataclass(frozen=True)
class Rejected:
    """The whole file is refused: nothing written, the ledger records `rejected`."""

    where: str  # the message starts with this: "file, line N, field 'x'"
    why: str  # and contains this


@dataclass(frozen=True)
class Rows:
    """The file is read: where its rows went (rows_in is their sum, always)."""

    status: str
    loaded: int = 0
    quarantined: int = 0
    duplicate: int = 0
    released: int = 0
    held: tuple[Held, ...] = ()  # this batch's quarantine rows, by source row
    note: str = ""  # the ledger message contains this

    @property
    def rows_in(self) -> int:
        return self.loaded + self.quarantined + self.duplicate


@dataclass(frozen=True)
class Step:
    """One file ingested on its own (`ingest_paths([file])`)."""

    name: str  # the file name says the table
    data: Data
    expect: Rejected | Rows


@dataclass(frozen=True)
class Release:
    """`quarantine release` of the given quarantine ids."""

    ids: tuple[int, ...]
    expect: Rows


@dataclass(frozen=True)
class Case:
    id: str
    steps: tuple[Step | Release, ...]
    given: tuple[tuple[str, bytes], ...] = ()  # parents loaded first, all must load
    stored: tuple[tuple[str, list[tuple]], ...] = ()  # (query, rows) after the last step
    source_timezone: str = "UTC"


def text(*lines: str, encoding: str = "utf-8", end: str = "\n") -> bytes:
    """A text file of the given lines."""
    return ("\n".join(lines) + end).encode(encoding)


def xlsx(rows: list[list]) -> Callable[[Path], None]:
    """A writer of a one-sheet workbook; datetime cells are real Excel date-times."""

    def write(path: Path) -> None:
        book = xlsxwriter.Workbook(str(path))
        sheet = book.add_worksheet("Export")
        when = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, datetime):
                    sheet.write_datetime(r, c, value, when)
                else:
                    sheet.write(r, c, value)
        book.close()

    return write


C1 = ("customers__given.csv", text("customer_id,customer_name", "C1,Li"))
P1 = ("products__given.csv", text("sku,product_name,list_price", "P1,Tea,9.90"))
O1 = (
    "orders__given.csv",
    text("order_id,customer_id,channel,ordered_at", "O1,C1,web,2024-03-01T08:00:00Z"),
)
ORDER_HEADER = "order_id,customer_id,channel,ordered_at"
CUSTOMERS_SQL = "SELECT customer_id, customer_name FROM raw.customers ORDER BY 1"

# --- the catalogue ----------------------------------------------------------------------------

CATALOGUE: list[Case] = [
    # Columns
    Case(
        "missing_required_column",
        (
            Step(
                "customers.csv",
                text("customer_name,city", "Li,Shanghai"),
                Rejected("customers.csv, line 1, field 'customer_id'", "missing required column"),
            ),
        ),
    ),
    Case(
        "missing_optional_columns_take_their_defaults",
        (Step("orders.csv", text(ORDER_HEADER, "O2,C1,web,2024-03-01"), Rows("loaded", 1)),),
        given=(C1,),
        stored=(
            (
                "SELECT currency, shipping_fee, needs_approval, promised_date FROM raw.orders "
                "WHERE order_id = 'O2'",
                [("CNY", Decimal("0.00"), False, None)],
            ),
        ),
    ),
    Case(
        "extra_columns_are_ignored_and_named_in_the_ledger",
        (
            Step(
                "customers.csv",
                text("customer_id,customer_name,shoe_size,vip", "C1,Li,42,yes"),
                Rows("loaded", 1, note="ignored column(s) not in the contract: shoe_size, vip"),
            ),
        ),
        stored=((CUSTOMERS_SQL, [("C1", "Li")]),),
    ),
    # Values that do not cast
    Case(
        "wrong_types",
        (
            Step(
                "products.csv",
                text(
                    "sku,product_name,list_price,pack_size",
                    "P1,Tea,9.90,1",
                    "P2,Cup,abc,1",
                    "P3,Pot,5.00,two",
                    "P4,Mug,5.00,1.5",
                    "P5,Jar,5.00,2.0",
                ),
                Rows(
                    "partial",
                    loaded=2,
                    quarantined=3,
                    held=(
                        (2, "list_price", "type", "held"),
                        (3, "pack_size", "type", "held"),
                        (4, "pack_size", "type", "held"),
                    ),
                ),
            ),
            Step(
                "customers.csv",
                text("customer_id,is_guest", "C1,maybe", "C2,yes", "C3,0"),
                Rows("partial", loaded=2, quarantined=1, held=((1, "is_guest", "type", "held"),)),
            ),
        ),
        stored=(
            ("SELECT sku, pack_size FROM raw.products ORDER BY 1", [("P1", 1), ("P5", 2)]),
            (
                "SELECT customer_id, is_guest FROM raw.customers ORDER BY 1",
                [("C2", True), ("C3", False)],
            ),
        ),
    ),
    Case(
        "decimal_comma_is_quarantined_not_read_as_thousands",
        (
            Step(
                "products.csv",
                text("sku;product_name;list_price", "P1;Tea;12,50", "P2;Pot;1,234.50"),
                Rows("partial", loaded=1, quarantined=1, held=((1, "list_price", "type", "held"),)),
            ),
        ),
        stored=(("SELECT sku, list_price FROM raw.products", [("P2", Decimal("1234.50"))]),),
    ),
    Case(
        "unparseable_dates",
        (
            Step(
                "orders.csv",
                text(
                    ORDER_HEADER + ",promised_date",
                    "O2,C1,web,2024-03-01T08:00:00Z,2024-03-05",
                    "O3,C1,web,31/02/2024,",
                    "O4,C1,web,yesterday,",
                    "O5,C1,web,2024-02-30 10:00,",
                    "O6,C1,web,2024-03-01,2024-13-45",
                ),
                Rows(
                    "partial",
                    loaded=1,
                    quarantined=4,
                    held=(
                        (2, "ordered_at", "type", "held"),
                        (3, "ordered_at", "type", "held"),
                        (4, "ordered_at", "type", "held"),
                        (5, "promised_date", "type", "held"),
                    ),
                ),
            ),
        ),
        given=(C1,),
    ),
    Case(
        "negative_or_zero_quantities_and_prices",
        (
            Step(
                "order_lines.csv",
                text(
                    "order_id,line_number,sku,quantity,unit_price",
                    "O1,1,P1,2,9.90",
                    "O1,2,P1,0,9.90",
                    "O1,3,P1,-1,9.90",
                    "O1,4,P1,1,0",
                    "O1,5,P1,1,-9.90",
                    "O1,0,P1,1,9.90",
                ),
                Rows(
                    "partial",
                    loaded=2,  # a price of 0 is a free line: it loads
                    quarantined=4,
                    held=(
                        (2, "quantity", "check", "held"),
                        (3, "quantity", "check", "held"),
                        (5, "unit_price", "check", "held"),
                        (6, "line_number", "check", "held"),
                    ),
                ),
            ),
            Step(
                "products.csv",
                text(
                    "sku,product_name,list_price,unit_cost,pack_size",
                    "P2,Free sample,0,0,1",
                    "P3,Cup,-1,1,1",
                    "P4,Pot,5,-0.01,1",
                    "P5,Jar,5,1,0",
                ),
                Rows(
                    "partial",
                    loaded=1,
                    quarantined=3,
                    held=(
                        (2, "list_price", "check", "held"),
                        (3, "unit_cost", "check", "held"),
                        (4, "pack_size", "check", "held"),
                    ),
                ),
            ),
        ),
        given=(C1, P1, O1),
        stored=(
            (
                "SELECT line_number, quantity, unit_price FROM raw.order_lines ORDER BY 1",
                [(1, 2, Decimal("9.90")), (4, 1, Decimal("0.00"))],
            ),
        ),
    ),
    Case(
        "line_amount_instead_of_unit_price",
        (
            Step(
                "order_lines.csv",
                text(
                    "order_id,line_number,sku,quantity,unit_price,line_amount",
                    "O1,1,P1,3,,25.00",
                    "O1,2,P1,1,9.90,8.00",
                    "O1,3,P1,1,,",
                    "O1,4,P1,2,,-1",
                    "O1,5,P1,2,,0",
                ),
                Rows(
                    "partial",
                    loaded=3,
                    quarantined=2,
                    held=(
                        (3, "unit_price", "missing", "held"),
                        (4, "line_amount", "check", "held"),
                    ),
                ),
            ),
        ),
        given=(C1, P1, O1),
        stored=(
            (
                "SELECT line_number, unit_price, line_amount FROM raw.order_lines ORDER BY 1",
                [
                    (1, None, Decimal("25.00")),
                    (2, Decimal("9.90"), Decimal("8.00")),
                    (5, None, Decimal("0.00")),
                ],
            ),
        ),
    ),
    Case(
        "channels_are_an_open_list_in_lower_case",
        (
            Step(
                "orders.csv",
                text(
                    ORDER_HEADER,
                    "O2,C1,B2B,2024-03-01",
                    "O3,C1, Tender ,2024-03-01",
                    "O4,C1,wholesale,2024-03-01",
                    "O5,C1,Web,2024-03-01",
                    "O6,C1,All,2024-03-01",
                    "O7,C1," + "x" * 65 + ",2024-03-01",
                    "O8,C1,,2024-03-01",
                ),
                Rows(
                    "partial",
                    loaded=4,
                    quarantined=3,
                    held=(
                        (5, "channel", "check", "held"),
                        (6, "channel", "check", "held"),
                        (7, "channel", "missing", "held"),
                    ),
                ),
            ),
        ),
        given=(C1,),
        stored=(
            (
                "SELECT order_id, channel FROM raw.orders WHERE order_id <> 'O1' ORDER BY 1",
                [("O2", "b2b"), ("O3", "tender"), ("O4", "wholesale"), ("O5", "web")],
            ),
        ),
    ),
    Case(
        "ids_up_to_255_characters",
        (
            Step(
                "customers.csv",
                text("customer_id,customer_name", "C" * 255 + ",Li", "C" * 256 + ",Wang"),
                Rows(
                    "partial", loaded=1, quarantined=1, held=((2, "customer_id", "check", "held"),)
                ),
            ),
        ),
        stored=(("SELECT length(customer_id) FROM raw.customers", [(255,)]),),
    ),
    Case(
        "shipments_with_an_unknown_warehouse_or_carrier_load",
        (
            Step(
                "shipments.csv",
                text(
                    "shipment_id,order_id,warehouse_id,carrier,shipped_at",
                    "S1,O1,WH-NOT-LISTED,SF Express,2024-03-02T08:00:00Z",
                    "S2,O1,,,2024-03-02T09:00:00Z",
                ),
                Rows("loaded", loaded=2),
            ),
        ),
        given=(C1, O1),
        stored=(
            (
                "SELECT shipment_id, warehouse_id, carrier FROM raw.shipments ORDER BY 1",
                [("S1", "WH-NOT-LISTED", "SF Express"), ("S2", None, None)],
            ),
        ),
    ),
    Case(
        "huge_numbers",
        (
            Step(
                "products.csv",
                text(
                    "sku,product_name,list_price,pack_size",
                    "P1,Largest price,999999999999.99,1",
                    "P2,Too big for DECIMAL,12345678901234567890.00,1",
                    "P3,Beyond the contract,1000000000000.01,1",
                    "P4,Beyond int64,1,99999999999999999999",
                    "P5,Beyond the contract,1,1000000001",
                ),
                Rows(
                    "partial",
                    loaded=1,
                    quarantined=4,
                    held=(
                        (2, "list_price", "type", "held"),
                        (3, "list_price", "check", "held"),
                        (4, "pack_size", "type", "held"),
                        (5, "pack_size", "check", "held"),
                    ),
                ),
            ),
            Step(
                "products.jsonl",
                b'{"sku": "P6", "product_name": "x", "list_price": 1e30, "pack_size": 1}\n'
                b'{"sku": "P7", "product_name": "y", "list_price": 1, '
                b'"pack_size": 99999999999999999999}\n',
                Rows(
                    "partial",
                    quarantined=2,
                    held=((1, "list_price", "type", "held"), (2, "pack_size", "type", "held")),
                ),
            ),
        ),
        stored=(
            (
                "SELECT sku, list_price FROM raw.products",
                [("P1", Decimal("999999999999.99"))],
            ),
        ),
    ),
    Case(
        "null_keys",
        (
            Step(
                "customers.csv",
                text(
                    "customer_id,customer_name", "C2,Wang", ",no id", '"",quoted empty', "   ,blank"
                ),
                Rows(
                    "partial",
                    loaded=1,
                    quarantined=3,
                    held=(
                        (2, "customer_id", "missing", "held"),
                        (3, "customer_id", "missing", "held"),
                        (4, "customer_id", "missing", "held"),
                    ),
                ),
            ),
            Step(
                "order_lines.csv",
                text("order_id,line_number,sku,quantity,unit_price", "O1,,P1,1,9.90"),
                Rows("partial", quarantined=1, held=((1, "line_number", "missing", "held"),)),
            ),
        ),
        given=(C1, P1, O1),
    ),
    # Event times
    Case(
        "event_times_in_the_future_or_before_1990",
        (
            Step(
                "orders.csv",
                text(
                    ORDER_HEADER,
                    "O2,C1,web,2999-01-01T00:00:00Z",
                    "O3,C1,web,1989-12-31T23:59:59Z",
                    "O4,C1,web,1990-01-01T07:00:00+08:00",  # 1989-12-31 23:00 UTC
                    "O5,C1,web,1990-01-01T00:00:00Z",
                ),
                Rows(
                    "partial",
                    loaded=1,
                    quarantined=3,
                    held=(
                        (1, "ordered_at", "check", "held"),
                        (2, "ordered_at", "check", "held"),
                        (3, "ordered_at", "check", "held"),
                    ),
                ),
            ),
        ),
        given=(C1,),
    ),
    Case(
        "mixed_time_zone_offsets_are_stored_in_utc",
        (
            Step(
                "orders.csv",
                text(
                    ORDER_HEADER,
                    "T1,C1,web,2024-03-01T08:00:00Z",
                    "T2,C1,web,2024-03-01T08:00:00+08:00",
                    "T3,C1,web,2024-03-01T08:00:00-05:00",
                    "T4,C1,web,2024-03-01 08:00:00",
                    "T5,C1,web,2024-03-01T08:00:00+0800",
                    "T6,C1,web,2024-03-01T08:00:00.5+05:30",
                ),
                Rows("loaded", 6),
            ),
        ),
        given=(C1,),
        stored=(
            (
                "SELECT order_id, ordered_at FROM raw.orders WHERE order_id LIKE 'T%' ORDER BY 1",
                [
                    ("T1", datetime(2024, 3, 1, 8)),
                    ("T2", datetime(2024, 3, 1, 0)),
                    ("T3", datetime(2024, 3, 1, 13)),
                    ("T4", datetime(2024, 3, 1, 8)),  # naive: the source zone, UTC
                    ("T5", datetime(2024, 3, 1, 0)),
                    ("T6", datetime(2024, 3, 1, 2, 30, 0, 500000)),
                ],
            ),
        ),
    ),
    Case(
        "naive_times_are_read_in_the_source_time_zone",
        (
            Step(
                "orders.csv",
                text(
                    ORDER_HEADER + ",promised_date",
                    "T1,C1,web,2024-03-01 08:00:00,2024-03-05",
                    "T2,C1,web,2024-03-01T08:00:00Z,",
                ),
                Rows("loaded", 2),
            ),
        ),
        given=(C1,),
        source_timezone="Asia/Shanghai",
        stored=(
            (
                "SELECT order_id, ordered_at, promised_date FROM raw.orders "
                "WHERE order_id LIKE 'T%' ORDER BY 1",
                [
                    ("T1", datetime(2024, 3, 1, 0), date(2024, 3, 5)),  # dates never shift
                    ("T2", datetime(2024, 3, 1, 8), None),
                ],
            ),
        ),
    ),
    # Duplicates
    Case(
        "duplicate_keys_inside_a_batch",
        (
            Step(
                "customers.csv",
                text(
                    "customer_id,customer_name",
                    "C1,Li",
                    "C1,Li",  # exact copy: duplicate
                    "C2,Wang (old)",  # superseded by row 4: quarantined
                    "C2,Wang",
                    " C3 ,Ann",
                    "C3,Ann",  # the same once trimmed: duplicate
                ),
                Rows(
                    "partial",
                    loaded=3,
                    quarantined=1,
                    duplicate=2,
                    held=((3, "customer_id", "duplicate_key", "held"),),
                ),
            ),
        ),
        stored=((CUSTOMERS_SQL, [("C1", "Li"), ("C2", "Wang"), ("C3", "Ann")]),),
    ),
    Case(
        "entity_across_batches_the_newest_version_wins",
        (
            Step(
                "customers.csv",
                text("customer_id,customer_name", "C1,Li", "C2,Wang"),
                Rows("loaded", 2),
            ),
            Step(
                "customers__update.csv",
                text("customer_id,customer_name", "C1,Li Na", "C2,Wang"),
                Rows("loaded", loaded=1, duplicate=1),
            ),
        ),
        stored=(
            (CUSTOMERS_SQL, [("C1", "Li Na"), ("C2", "Wang")]),
            ("SELECT rows_inserted, rows_updated FROM ops.ingest_batch_tables", [(2, 0), (0, 1)]),
        ),
    ),
    Case(
        "event_across_batches_is_appended_once",
        (
            Step(
                "order_events.csv",
                text(
                    "order_id,event_type,event_at,note",
                    "O1,received,2024-03-01T16:00:00+08:00,first",
                    "O1,paid,2024-03-01T09:00:00Z,",
                    "O1,paid,2024-03-01T09:00:00Z,",  # exact copy: duplicate
                ),
                Rows("loaded", loaded=2, duplicate=1),
            ),
            Step(
                "order_events__again.csv",
                text(
                    "order_id,event_type,event_at,note",
                    "O1,received,2024-03-01T08:00:00Z,resent",  # the same instant: same event
                    "O1,shipped,2024-03-02T09:00:00Z,",
                ),
                Rows("loaded", loaded=1, duplicate=1),
            ),
        ),
        given=(C1, O1),
        stored=(
            (
                "SELECT event_type, event_at, note FROM raw.order_events ORDER BY event_at",
                [
                    ("received", datetime(2024, 3, 1, 8), "first"),
                    ("paid", datetime(2024, 3, 1, 9), None),
                    ("shipped", datetime(2024, 3, 2, 9), None),
                ],
            ),
        ),
    ),
    Case(
        "the_same_file_twice_changes_nothing",
        (
            Step(
                "customers.csv",
                text("customer_id,customer_name", "C1,Li", "C2,"),
                Rows("loaded", 2),
            ),
            Step(
                "customers.csv",
                text("customer_id,customer_name", "C1,Li", "C2,"),
                Rows("already_loaded", duplicate=2, note="same file as batch 1"),
            ),
            Step(
                "customers__renamed.csv",
                text("customer_id,customer_name", "C1,Li", "C2,"),
                Rows("already_loaded", duplicate=2, note="same file as batch 1"),
            ),
        ),
        stored=(
            ("SELECT customer_id, _batch_id FROM raw.customers ORDER BY 1", [("C1", 1), ("C2", 1)]),
            ("SELECT count(*) FROM ops.quarantine", [(0,)]),
        ),
    ),
    # Parents
    Case(
        "unknown_parents_wait_and_are_released_automatically_in_a_chain",
        (
            Step(
                "orders.csv",
                text(ORDER_HEADER, "O1,C1,web,2024-03-01", "O2,C9,web,2024-03-02"),
                Rows(
                    "partial",
                    loaded=1,
                    quarantined=1,
                    held=((2, "customer_id", "unknown_parent", "waiting"),),
                ),
            ),
            Step(
                "order_lines.csv",
                text("order_id,line_number,sku,quantity,unit_price", "O2,1,P1,3,9.90"),
                Rows(
                    "partial", quarantined=1, held=((1, "order_id", "unknown_parent", "waiting"),)
                ),
            ),
            # The customer releases the order, and the order then releases its line.
            Step(
                "customers__late.csv",
                text("customer_id,customer_name", "C9,Zhao"),
                Rows("loaded", loaded=1, released=2),
            ),
        ),
        given=(C1, P1),
        stored=(
            (
                "SELECT order_id, customer_id FROM raw.orders ORDER BY 1",
                [("O1", "C1"), ("O2", "C9")],
            ),
            ("SELECT order_id, quantity FROM raw.order_lines", [("O2", 3)]),
            (
                "SELECT table_name, status, resolved_batch_id FROM ops.quarantine ORDER BY 1",
                [("order_lines", "released", 5), ("orders", "released", 5)],
            ),
        ),
    ),
    Case(
        "manual_release_retries_held_rows_whatever_their_reason",
        (
            Step(
                "customers.csv",
                text(
                    "customer_id,customer_name,is_guest",
                    "C1,Li (right),",
                    "C1,Li,",
                    "C2,Wang,maybe",
                ),
                Rows(
                    "partial",
                    loaded=1,
                    quarantined=2,
                    held=(
                        (1, "customer_id", "duplicate_key", "held"),
                        (3, "is_guest", "type", "held"),
                    ),
                ),
            ),
            # Row 1 was superseded by row 2; the user says row 1 was right after all.
            Release((1,), Rows("loaded", loaded=1, released=1)),
            # Row 3 still does not cast, and row 1 is released already (not counted again).
            Release((2, 1), Rows("partial", quarantined=1, note="ignored id(s)")),
        ),
        stored=(
            (CUSTOMERS_SQL, [("C1", "Li (right)")]),
            (
                "SELECT quarantine_id, status FROM ops.quarantine ORDER BY 1",
                [(1, "released"), (2, "held")],
            ),
        ),
    ),
    # Whole files that cannot be read
    Case("empty_file", (Step("customers.csv", b"", Rejected("customers.csv", "empty file")),)),
    Case(
        "blank_lines_only",
        (Step("customers.csv", b"\n\n", Rejected("customers.csv, line 1", "no header line")),),
    ),
    Case(
        "header_only_file",
        (Step("customers.csv", text("customer_id,customer_name"), Rows("empty")),),
    ),
    Case(
        "truncated_file",
        (
            Step(
                "customers.csv",
                text("customer_id,customer_name,city", "C1,Li,Shanghai", "C2,Wa", end=""),
                Rejected("customers.csv, line 3", "expected 3 fields, found 2"),
            ),
            # A rejected file leaves no trace but its ledger row: the whole file sent again loads.
            Step(
                "customers.csv",
                text("customer_id,customer_name,city", "C1,Li,Shanghai", "C2,Wang,Beijing"),
                Rows("loaded", 2),
            ),
        ),
    ),
    Case(
        "truncated_gzip",
        (
            Step(
                "customers.csv.gz",
                gzip.compress(text("customer_id,customer_name", *[f"C{i},x" for i in range(99)]))[
                    :-12
                ],
                Rejected("customers.csv.gz", "cannot decompress"),
            ),
        ),
    ),
    Case(
        "quote_never_closed",
        (
            Step(
                "customers.csv",
                text("customer_id,customer_name,city", 'C1,"Li,Shanghai', "C2,Wang,Beijing"),
                Rejected("customers.csv, line 2", "expected 3 fields"),
            ),
        ),
    ),
    Case(
        "quote_never_closed_swallowing_rows_of_the_right_width",
        (
            Step(
                "customers.csv",
                text("customer_id,customer_name", "C1,Li", 'C2,"Wang', "C3,Ann"),
                Rejected("customers.csv, line 3", "quote opened here is never closed"),
            ),
        ),
    ),
    Case(
        "stray_quote_inside_a_quoted_field",
        (
            Step(
                "customers.csv",
                text("customer_id,customer_name,city", "C1,Li,Shanghai", 'C2,"Wang "Jr" ",Beijing'),
                Rejected("customers.csv, line 3", "broken quoting"),
            ),
        ),
    ),
    Case(
        "correct_quoting_loads_exactly",
        (
            Step(
                "customers.csv",
                text(
                    "customer_id,customer_name,city",
                    'C1,"Li, Na","say ""hi"""',
                    'C2,"two\nlines",5" tall',
                ),
                Rows("loaded", 2),
            ),
        ),
        stored=(
            (
                "SELECT customer_name, city FROM raw.customers ORDER BY customer_id",
                [("Li, Na", 'say "hi"'), ("two\nlines", '5" tall')],
            ),
        ),
    ),
    Case(
        "file_name_matches_no_table",
        (
            Step(
                "export_2024.csv",
                text("customer_id", "C1"),
                Rejected("export_2024.csv", "one of suppliers, customers, warehouses, products"),
            ),
        ),
    ),
    Case(
        "json_lines_with_a_broken_line",
        (
            Step(
                "customers.jsonl",
                b'{"customer_id": "C1"}\n'
                b'{"customer_id": "C2", "customer_name": \n'  # cut off
                b'{"customer_id": "C3"}\n',
                Rejected("customers.jsonl, line 2", "invalid JSON"),
            ),
        ),
    ),
    Case(
        "json_lines_native_types_are_checked",
        (
            Step(
                "customers.jsonl",
                b'{"customer_id": "C1", "is_guest": 1, "created_at": "2024-03-01T08:00:00+08:00"}'
                b'\n\n{"customer_id": "C2", "is_guest": 5}\n',
                Rows("partial", loaded=1, quarantined=1, held=((2, "is_guest", "type", "held"),)),
            ),
        ),
        stored=(
            (
                "SELECT customer_id, is_guest, created_at FROM raw.customers",
                [("C1", True, datetime(2024, 3, 1))],
            ),
        ),
    ),
    # Encodings
    Case(
        "gbk_encoded_csv_with_chinese_text",
        (
            Step(
                "customers.csv",
                text(
                    "customer_id,customer_name,city",
                    "G1,王芳,上海市",
                    'G2,"李, 娜",深圳',
                    encoding="gbk",
                ),
                Rows("loaded", 2),
            ),
        ),
        stored=(
            (
                "SELECT customer_name, city FROM raw.customers ORDER BY customer_id",
                [("王芳", "上海市"), ("李, 娜", "深圳")],
            ),
        ),
    ),
    Case(
        "undecodable_bytes",
        (
            Step(
                "customers.csv",
                b"customer_id,customer_name\nC1,Li\nC2,\xff\xfe bad\nC3,Ann\n",
                Rejected("customers.csv, line 3", "cannot decode byte 0xFF"),
            ),
        ),
    ),
    Case(
        "utf8_bom",
        (
            Step(
                "customers.csv",
                b"\xef\xbb\xbf" + text("customer_id,customer_name", "C1,王芳"),
                Rows("loaded", 1),
            ),
        ),
        stored=((CUSTOMERS_SQL, [("C1", "王芳")]),),
    ),
    Case(
        "chinese_text_round_trips_exactly",
        (
            Step(
                "products.csv",
                text(
                    "sku,product_name,category,list_price",
                    "P1,西湖龙井茶（特级）「礼盒装」,茶叶,1",
                    "P2,張小泉剪刀 ‧ 繁體,廚具,1",
                    "P3,𠮷野家 牛丼 ￥38 🍜,餐饮,1",
                    'P4,"含,逗号与""引号""",其他,1',
                ),
                Rows("loaded", 4),
            ),
        ),
        stored=(
            (
                "SELECT product_name, category FROM raw.products ORDER BY sku",
                [
                    ("西湖龙井茶（特级）「礼盒装」", "茶叶"),
                    ("張小泉剪刀 ‧ 繁體", "廚具"),
                    ("𠮷野家 牛丼 ￥38 🍜", "餐饮"),
                    ('含,逗号与"引号"', "其他"),
                ],
            ),
        ),
    ),
    # Line endings (old Excel and Mac exports end lines in a lone CR)
    Case(
        "cr_only_bom_export",
        (
            Step(
                "products.csv",
                "\r".join(
                    [
                        "\ufeffsku,product_name,list_price",
                        "P1,Tea,9.90",
                        "P2,Rice,abc",
                        'P3,"Tea\rset",12',
                    ]
                ).encode(),
                Rows("partial", loaded=2, quarantined=1, held=((2, "list_price", "type", "held"),)),
            ),
        ),
        stored=(
            (
                "SELECT sku, product_name FROM raw.products ORDER BY 1",
                [("P1", "Tea"), ("P3", "Tea\rset")],
            ),
        ),
    ),
    Case(
        "crlf_export",
        (
            Step(
                "customers.csv",
                b"customer_id,customer_name\r\nC1,Li\r\nC2,Wang\r\n",
                Rows("loaded", 2),
            ),
        ),
        stored=((CUSTOMERS_SQL, [("C1", "Li"), ("C2", "Wang")]),),
    ),
    Case(
        "cr_only_short_row",
        (
            Step(
                "customers.csv",
                b"customer_id,customer_name\rC1,Li\rC2,Wang\rC3\rC4,Ann\r",
                Rejected("customers.csv, line 4", "expected 2 fields, found 1"),
            ),
        ),
    ),
    # Formats and delimiters
    Case(
        "xlsx_with_typed_cells",
        (
            Step(
                "orders__shop.xlsx",
                xlsx(
                    [
                        [
                            *ORDER_HEADER.split(","),
                            "shipping_fee",
                            "needs_approval",
                            "ship_to_city",
                        ],
                        ["X1", "C1", "web", datetime(2024, 5, 1, 9, 30), 12.5, True, "杭州"],
                        ["X2", "C1", "store", "2024-05-02T10:00:00+08:00", 0, "no", None],
                        ["X3", "C1", "web", "yesterday", 1, "yes", None],
                    ]
                ),
                Rows("partial", loaded=2, quarantined=1, held=((3, "ordered_at", "type", "held"),)),
            ),
        ),
        given=(C1,),
        stored=(
            (
                "SELECT order_id, ordered_at, shipping_fee, needs_approval, ship_to_city "
                "FROM raw.orders ORDER BY 1",
                [
                    ("X1", datetime(2024, 5, 1, 9, 30), Decimal("12.50"), True, "杭州"),
                    ("X2", datetime(2024, 5, 2, 2), Decimal("0.00"), False, None),
                ],
            ),
        ),
    ),
    Case(
        "csv_gz",
        (
            Step(
                "customers__web.csv.gz",
                gzip.compress(text("customer_id,customer_name", "C1,王芳", "C2,Li")),
                Rows("loaded", 2),
            ),
        ),
        stored=((CUSTOMERS_SQL, [("C1", "王芳"), ("C2", "Li")]),),
    ),
    Case(
        "semicolon_delimiter",
        (
            Step(
                "customers.csv",
                text("customer_id;customer_name;city", "C1;Li, Na;Paris", 'C2;"Wang; Jr";北京'),
                Rows("loaded", 2),
            ),
        ),
        stored=(
            (
                "SELECT customer_name, city FROM raw.customers ORDER BY customer_id",
                [("Li, Na", "Paris"), ("Wang; Jr", "北京")],
            ),
        ),
    ),
    Case(
        "tab_delimiter",
        (
            Step(
                "customers.tsv", text("customer_id\tcustomer_name", "C1\tLi Na"), Rows("loaded", 1)
            ),
            Step(
                "customers__b.txt",
                text("customer_id\tcustomer_name", "C2\tWang, Jr"),
                Rows("loaded", 1),
            ),
        ),
        stored=((CUSTOMERS_SQL, [("C1", "Li Na"), ("C2", "Wang, Jr")]),),
    ),
]


# --- running a case ---------------------------------------------------------------------------


def _query(settings: Settings, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.sql(sql, params=params or []).fetchall()


def _row_counts(settings: Settings) -> dict[str, int]:
    """Rows of every raw table and of the quarantine (all 0 before the warehouse exists)."""
    names = [f"raw.{t}" for t in TABLES] + ["ops.quarantine"]
    if not settings.warehouse_path.exists():
        return dict.fromkeys(names, 0)
    # Table names come from the contract, never from input.
    sql = " UNION ALL ".join(f"SELECT '{n}', count(*) FROM {n}" for n in names)  # noqa: S608
    return dict(_query(settings, sql))


def _written_by(settings: Settings, batch_id: int) -> int:
    """Raw rows whose last writer is this batch."""
    sql = " UNION ALL ".join(
        f"SELECT count(*) AS n FROM raw.{t} WHERE _batch_id = ?"  # noqa: S608 (contract names)
        for t in TABLES
    )
    return int(_query(settings, f"SELECT sum(n) FROM ({sql})", [batch_id] * len(TABLES))[0][0])  # noqa: S608


def _write(folder: Path, name: str, data: Data) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(data, bytes):
        path.write_bytes(data)
    else:
        data(path)
    return path


def _check_rejected(
    settings: Settings, result: BatchResult, expect: Rejected, before: dict
) -> None:
    assert result.status == "rejected", result
    assert result.message.startswith(expect.where), result.message
    assert expect.why in result.message, result.message
    assert _row_counts(settings) == before, "a rejected file must write nothing"
    ledger = _query(
        settings,
        "SELECT status, rows_in, message FROM ops.ingest_batches WHERE batch_id = ?",
        [result.batch_id],
    )
    assert ledger == [("rejected", 0, result.message)]


def _check_rows(settings: Settings, result: BatchResult, expect: Rows, manual: bool) -> None:
    got = (result.status, result.rows_in, result.rows_loaded, result.rows_quarantined)
    assert got == (expect.status, expect.rows_in, expect.loaded, expect.quarantined), result
    assert (result.rows_duplicate, result.rows_released) == (expect.duplicate, expect.released)
    assert expect.note in result.message
    ledger = _query(
        settings,
        "SELECT status, rows_in, rows_loaded, rows_quarantined, rows_duplicate, rows_released "
        "FROM ops.ingest_batches WHERE batch_id = ?",
        [result.batch_id],
    )
    assert ledger == [(expect.status, expect.rows_in, *got[2:], expect.duplicate, expect.released)]
    held = _query(
        settings,
        "SELECT source_row, field, reason_code, status FROM ops.quarantine "
        "WHERE batch_id = ? ORDER BY source_row",
        [result.batch_id],
    )
    assert held == list(expect.held)
    # Every row counted as loaded (or released by this batch) is in a raw table.
    written = expect.loaded if manual else expect.loaded + expect.released
    assert _written_by(settings, result.batch_id) == written


def _run(case: Case, settings: Settings, tmp_path: Path) -> None:
    if case.given:
        given = tmp_path / "given"
        for name, data in case.given:
            _write(given, name, data)
        assert {r.status for r in ingest_paths([given], settings=settings)} == {"loaded"}
    for number, step in enumerate(case.steps, start=1):
        if isinstance(step, Release):
            _check_rows(settings, release(list(step.ids), settings=settings), step.expect, True)
            continue
        path = _write(tmp_path / f"step{number}", step.name, step.data)
        before = _row_counts(settings)
        [result] = ingest_paths([path], settings=settings)
        if isinstance(step.expect, Rejected):
            _check_rejected(settings, result, step.expect, before)
        else:
            _check_rows(settings, result, step.expect, False)
        unbalanced = _query(
            settings,
            "SELECT batch_id FROM ops.ingest_batches "
            "WHERE rows_in <> rows_loaded + rows_quarantined + rows_duplicate",
        )
        assert unbalanced == []


@pytest.mark.parametrize("case", CATALOGUE, ids=[c.id for c in CATALOGUE])
def test_each_bad_input_has_its_catalogued_outcome(
    case: Case, settings: Settings, tmp_path: Path
) -> None:
    settings = dataclasses.replace(settings, source_timezone=case.source_timezone)
    _run(case, settings, tmp_path)
    for sql, rows in case.stored:
        assert _query(settings, sql) == rows, sql


def test_quarantined_rows_keep_their_original_values_and_every_failure(
    settings: Settings, tmp_path: Path
) -> None:
    case = CATALOGUE[[c.id for c in CATALOGUE].index("negative_or_zero_quantities_and_prices")]
    _run(dataclasses.replace(case, steps=case.steps[:1]), settings, tmp_path)
    [(record, errors, reason)] = _query(
        settings, "SELECT record, errors, reason FROM ops.quarantine WHERE source_row = 3"
    )
    assert json.loads(record) == {
        "order_id": "O1",
        "line_number": "3",
        "sku": "P1",
        "quantity": "-1",
        "unit_price": "9.90",
    }
    fields = [e["field"] for e in json.loads(errors)]
    assert fields == ["quantity", "(row)"]  # the row check: a discount above the line amount
    assert reason.startswith("quantity: '-1' fails greater_than(0)")


# --- the real command line ----------------------------------------------------------------------
# Each call starts a Python that imports the ingest (about 3 s, more on a busy machine), so the
# set-up of the quarantine tests runs in process and only the command under test is a process.


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    # A wide console: rich wraps and truncates at 80 columns when there is no terminal.
    env = {**os.environ, "COLUMNS": "400"}
    return subprocess.run(
        [sys.executable, "-m", "pipelines", *args],
        env=env,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
        timeout=300,
    )


def _one_line(output: str) -> str:
    return " ".join(output.split())


def _files(folder: Path, files: dict[str, bytes]) -> list[Path]:
    for name, data in files.items():
        (folder / name).write_bytes(data)
    return [folder / name for name in files]


@pytest.mark.slow
def test_cli_ingest_exits_1_naming_file_line_and_field_of_each_rejected_file(
    settings: Settings, tmp_path: Path
) -> None:
    paths = _files(
        tmp_path,
        {
            "customers.csv": text("customer_name,city", "Li,Shanghai"),
            "customers__cut.csv": text(
                "customer_id,customer_name,city", "C1,Li,x", "C2,Wa", end=""
            ),
            "customers__ok.csv": text(
                "customer_id,customer_name,is_guest", "C1,王芳,maybe", "C2,Li,"
            ),
        },
    )
    done = _cli("ingest", *map(str, paths))
    assert done.returncode == 1, done.stderr
    stderr = _one_line(done.stderr)
    assert (
        "rejected customers.csv, line 1, field 'customer_id': missing required column(s) for "
        "customers: customer_id" in stderr
    )
    assert "rejected customers__cut.csv, line 3: expected 3 fields, found 2" in stderr
    # The readable file still loads, and the summary points to its quarantined row.
    assert "1 row(s) quarantined: see `orderlens quarantine list`" in stderr
    assert "customers__ok.csv │ partial │ 2 │ 1 │ 1 │ 0" in _one_line(done.stdout)
    assert _query(settings, CUSTOMERS_SQL) == [("C2", "Li")]


@pytest.mark.slow
def test_cli_ingest_loads_a_cr_only_file_with_a_bom_and_exits_0(
    settings: Settings, tmp_path: Path
) -> None:
    [path] = _files(
        tmp_path, {"customers.csv": b"\xef\xbb\xbfcustomer_id,customer_name\rC1,Li\rC2,Wang\r"}
    )
    done = _cli("ingest", str(path))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "customers.csv │ loaded │ 2 │ 2 │ 0 │ 0" in _one_line(done.stdout)
    assert _query(settings, CUSTOMERS_SQL) == [("C1", "Li"), ("C2", "Wang")]


@pytest.mark.slow
def test_cli_quarantine_list_and_show_print_the_reason_and_the_original_values(
    settings: Settings, tmp_path: Path
) -> None:
    paths = _files(
        tmp_path,
        {"customers.csv": text("customer_id,customer_name,is_guest", "C1,Li,no", "C2,王芳,maybe")},
    )
    ingest_paths(paths, settings=settings)
    listed = _cli("quarantine", "list")
    assert listed.returncode == 0, listed.stderr
    line = _one_line(listed.stdout)
    assert "customers.csv" in line
    assert "is_guest: cannot read maybe as true/false" in line
    shown = _cli("quarantine", "show", "1")
    assert shown.returncode == 0, shown.stderr
    row = json.loads(shown.stdout)
    assert (row["source_row"], row["field"], row["reason_code"]) == (2, "is_guest", "type")
    assert row["record"] == {"customer_id": "C2", "customer_name": "王芳", "is_guest": "maybe"}


@pytest.mark.slow
def test_cli_quarantine_release_loads_a_held_row_and_keeps_one_that_still_fails(
    settings: Settings, tmp_path: Path
) -> None:
    paths = _files(
        tmp_path,
        {
            "customers.csv": text("customer_id,customer_name", "C1,Li (right)", "C1,Li"),
            "orders.csv": text(ORDER_HEADER, "O1,C9,web,2024-03-01"),
        },
    )
    ingest_paths(paths, settings=settings)
    # 1: C1's first version, superseded by the second; 2: O1, waiting for customer C9.
    done = _cli("quarantine", "release", "1", "2")
    assert done.returncode == 0, done.stderr
    assert "released 1 of 2 quarantined row(s); the rest still fail" in _one_line(done.stdout)
    assert _query(settings, CUSTOMERS_SQL) == [("C1", "Li (right)")]
    statuses = _query(settings, "SELECT quarantine_id, status FROM ops.quarantine ORDER BY 1")
    assert statuses == [(1, "released"), (2, "waiting")]
