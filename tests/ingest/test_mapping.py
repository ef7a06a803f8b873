"""Mappings: validation with named keys, routing, derived tables, time zones, accounting."""

from __future__ import annotations

import functools
import json
import time
from datetime import datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.ingest.api import ingest_paths
from pipelines.ingest.coerce import coerce
from pipelines.ingest.contract import TABLES
from pipelines.ingest.mapping import MappedBatch, Mapping, MappingError, apply_mapping, load_mapping
from pipelines.ingest.readers import ROW, BatchRejected, read_file
from pipelines.settings import Settings
from tests.fixtures.real_data import online_retail_csv

REPO = Path(__file__).resolve().parents[2]
ONLINE_RETAIL_MAPPING = REPO / "pipelines/ingest/mappings/online_retail.yaml"
ONLINE_RETAIL_FILE = online_retail_csv()

SHOP_PATH = Path(__file__).parent / "samples" / "shop.yaml"


@functools.cache
def _shop_text() -> str:
    return SHOP_PATH.read_text(encoding="utf-8")


def _mapping(tmp_path: Path, text: str | None = None, name: str = "shop.yaml") -> Mapping:
    path = tmp_path / name
    path.write_text(_shop_text() if text is None else text, encoding="utf-8")
    return load_mapping(path)


def _shop_rows(rows: list[tuple]) -> pl.DataFrame:
    columns = ["Inv", "Code", "Qty", "Price", "Cust", "When"]
    frame = pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.String), orient="row")
    return frame.with_columns(pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(ROW))


ROWS = [
    ("O1", "A", "2", "1.50", "c1", "01/12/2010 08:26"),  # 1
    ("O1", "POST", "1", "5", "c1", "01/12/2010 08:26"),  # 2 excluded
    ("O1", "B", "1", "3", "c1", "01/12/2010 08:27"),  # 3
    ("O2", "A", "1", "1.60", None, "01/07/2011 10:00"),  # 4 summer: UTC 09:00
    ("O1", "A", "2", "1.50", "c1", "01/12/2010 08:26"),  # 5 exact copy of 1
    ("R9", "A", "1", "1.60", None, "02/07/2011 11:00"),  # 6 return
    ("O3", None, "1", "1", "c2", "garbage"),  # 7 matches no route
    ("O3", "C", "1", "1", "c2", "garbage"),  # 8 unparseable time
]


@pytest.fixture
def shop(tmp_path: Path) -> tuple[Mapping, MappedBatch]:
    mapping = _mapping(tmp_path)
    return mapping, apply_mapping(_shop_rows(ROWS), mapping, source="shop.csv")


def test_every_source_row_is_a_primary_row_a_duplicate_or_excluded(shop) -> None:
    _, batch = shop
    assert batch.source_rows == 8
    assert batch.primary_tables == ["returns", "order_lines"]
    assert batch.tables["order_lines"][ROW].to_list() == [1, 3, 4, 8]
    assert batch.tables["returns"][ROW].to_list() == [6]
    assert batch.duplicates[ROW].to_list() == [5]
    assert batch.excluded[ROW].to_list() == [2, 7]
    assert batch.adds_up


def test_excluded_rows_keep_their_reason_and_original_values(shop) -> None:
    _, batch = shop
    reasons = dict(zip(batch.excluded[ROW], batch.excluded["reason"], strict=True))
    assert reasons == {2: "postage", 7: "no route of mapping 'shop' matched the row"}
    record = json.loads(batch.excluded["record"][0])
    assert record == dict(
        zip(["Inv", "Code", "Qty", "Price", "Cust", "When"], ROWS[1], strict=True)
    )


def test_route_target_columns_are_renamed_numbered_and_left_as_text(shop) -> None:
    _, batch = shop
    lines = batch.tables["order_lines"]
    assert lines.columns == ["order_id", "line_number", "sku", "quantity", "unit_price", ROW]
    assert lines.select("order_id", "line_number", "sku", "quantity").rows() == [
        ("O1", 1, "A", "2"),
        ("O1", 2, "B", "1"),  # numbered among this table's rows: the POST row is not counted
        ("O2", 1, "A", "1"),
        ("O3", 1, "C", "1"),
    ]
    assert lines.schema["quantity"] == pl.String


def test_table_derive_and_expressions_build_return_rows(shop) -> None:
    _, batch = shop
    assert batch.tables["returns"].drop("returned_at").rows(named=True) == [
        {
            "return_id": "R9-1",
            "customer_id": "GUEST",
            "sku": "A",
            "quantity": -1,
            "refund_amount": 0,
            ROW: 6,
        }
    ]


def test_local_times_become_utc_text_and_unparseable_ones_pass_unchanged(shop) -> None:
    _, batch = shop
    assert batch.tables["returns"]["returned_at"].to_list() == ["2011-07-02T10:00:00+00:00"]
    orders = batch.tables["orders"]
    assert dict(zip(orders["order_id"], orders["ordered_at"], strict=True)) == {
        "O1": "2010-12-01T08:26:00+00:00",  # winter: London is UTC
        "O2": "2011-07-01T09:00:00+00:00",  # summer: BST is UTC+1
        "O3": "garbage",  # left for the loader to quarantine, naming the field
    }


def test_the_loader_reads_mapped_times_as_the_right_utc_instants(shop) -> None:
    _, batch = shop
    # Whatever zone the loader is told, the explicit offset wins.
    typed, errors = coerce(batch.tables["orders"], TABLES["orders"], "Asia/Shanghai")
    assert typed["ordered_at"].to_list()[:2] == [
        datetime(2010, 12, 1, 8, 26),
        datetime(2011, 7, 1, 9, 0),
    ]
    assert errors["field"].to_list() == ["ordered_at"]
    assert errors["reason"][0].startswith("cannot read garbage as a timestamp")


def test_keyed_tables_have_one_row_per_key_from_the_first_source_row(shop) -> None:
    _, batch = shop
    assert batch.tables["orders"].select("order_id", "customer_id", "channel", ROW).rows() == [
        ("O1", "c1", "web", 1),
        ("O2", "GUEST", "web", 4),
        ("O3", "c2", "web", 8),
    ]
    # products: from every routed row (returns too); coalesce falls back to the constant.
    assert batch.tables["products"].select("sku", "product_name", "list_price", ROW).rows() == [
        ("A", "c1", "1.60", 1),
        ("B", "c1", "3", 3),
        ("C", "c2", "1", 8),
    ]
    assert batch.tables["customers"].rows() == [
        ("c1", False, 1),
        ("GUEST", True, 4),
        ("c2", False, 8),
    ]


def test_missing_source_columns_reject_the_batch(tmp_path: Path) -> None:
    mapping = _mapping(tmp_path)
    frame = _shop_rows(ROWS).drop("Price", "When")
    with pytest.raises(BatchRejected) as caught:
        apply_mapping(frame, mapping, source="shop.csv")
    assert str(caught.value) == "shop.csv: missing column(s) the mapping 'shop' needs: Price, When"


def test_read_options_pass_the_mapping_reader_settings(tmp_path: Path) -> None:
    text = _shop_text().replace("  timezone:", "  encoding: gb18030\n  delimiter: ';'\n  timezone:")
    assert _mapping(tmp_path, text).read_options() == {"encoding": "gb18030", "delimiter": ";"}
    assert _mapping(tmp_path).read_options() == {}


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("name: shop", "name: shop\ncolour: red", "(top level): unknown key(s) colour"),
        ("  orders:\n", "  invoices:\n", "tables.invoices: unknown table 'invoices'"),
        (
            "      channel: {const: web}",
            "      channel: {const: web}\n      colour: Inv",
            "tables.orders.columns: unknown key(s) colour",
        ),
        (
            "      channel: {const: web}\n",
            "",
            "tables.orders.columns: required column(s) not mapped: channel",
        ),
        ("\"Inv LIKE 'R%'\"", '"Inv LIKE"', "derive.is_return: invalid expression"),
        (
            "\"COALESCE(Cust, 'GUEST')\"",
            "\"COALESCE(Customer, 'GUEST')\"",
            "derive.cust: invalid expression",
        ),
        (
            "    exclude: postage",
            "    exclude: postage\n    table: orders",
            "routes[0]: give exactly one of `table` or `exclude`",
        ),
        ("  - when: is_return", "  - when: cust", "routes[1].when: expected a condition"),
        (
            "      quantity: Qty",
            "      quantity: {column: Qty, agg: max}",
            "tables.order_lines.columns.quantity.agg: 'max': aggregations are only in a table",
        ),
        (
            "      order_id: Inv\n      customer_id",
            "      order_id: Invoice\n      customer_id",
            "tables.orders.columns.order_id: no source, joined or derived column 'Invoice'",
        ),
        (
            "    key: [order_id]",
            "    key: [customer_id, shop]",
            "tables.orders.key: 'shop' must be a mapped",
        ),
        (
            "from_routes: [order_lines]",
            "from_routes: [orders]",
            "tables.orders.from_routes: not route target(s): orders",
        ),
        ("timezone: Europe/London", "timezone: Mars/Olympus", "source.timezone: unknown time zone"),
        (
            "ordered_at: {column: When, agg: min}",
            "ordered_at: {column: When, agg: median}",
            "tables.orders.columns.ordered_at.agg: 'median': aggregations are one of",
        ),
        (
            "    table: returns",
            "    table: refunds",
            "routes[1].table: no entry 'refunds' in `tables`",
        ),
    ],
)
def test_invalid_mappings_are_refused_naming_the_file_and_the_key(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert old in _shop_text()
    with pytest.raises(MappingError) as caught:
        _mapping(tmp_path, _shop_text().replace(old, new, 1), name="broken.yaml")
    assert str(caught.value).startswith(f"{tmp_path / 'broken.yaml'}: {expected}")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["O1", "O2", "R1", None]),
            st.sampled_from(["A", "POST", None]),
            st.sampled_from(["1", "x"]),
        ),
        max_size=30,
    )
)
def test_rows_in_always_equal_primary_rows_plus_duplicates_plus_excluded(rows: list) -> None:
    mapping = load_mapping(SHOP_PATH)
    full = [(inv, code, qty, "1", None, "01/01/2011 00:00") for inv, code, qty in rows]
    batch = apply_mapping(_shop_rows(full), mapping, source="random.csv")
    seen = pl.concat(
        [batch.tables[t].select(ROW) for t in batch.primary_tables]
        + [batch.duplicates, batch.excluded.select(ROW)]
    )[ROW]
    assert batch.adds_up
    assert sorted(seen.to_list()) == list(range(1, len(rows) + 1))


# --- the real UCI Online Retail export --------------------------------------------------------


def test_online_retail_mapping_accounts_for_every_row_of_the_real_file() -> None:
    mapping = load_mapping(ONLINE_RETAIL_MAPPING)
    started = time.perf_counter()
    raw = read_file(ONLINE_RETAIL_FILE)
    read_s = time.perf_counter() - started
    batch = apply_mapping(raw, mapping, source=ONLINE_RETAIL_FILE.name)
    map_s = time.perf_counter() - started - read_s
    counts = {name: frame.height for name, frame in batch.tables.items()}
    print(
        f"\nonline_retail: read {read_s:.2f} s, mapped {map_s:.2f} s; rows {batch.source_rows}, "
        f"duplicates {batch.duplicates.height}, excluded {batch.excluded.height}, {counts}"
    )

    # Independently, with plain Polars on the raw file.
    values = [c for c in raw.columns if c != ROW]
    unique = raw.unique(values, keep="first", maintain_order=True)
    is_product = pl.col("StockCode").str.contains(r"^[0-9]{5}[A-Za-z]*$")
    is_c = pl.col("InvoiceNo").str.starts_with("C")
    # A zero-priced line without a customer is a stock note, not a sale.
    is_note = ~is_c & pl.col("CustomerID").is_null() & (pl.col("UnitPrice").cast(float) == 0)
    kept = unique.filter(is_product & ~is_note)
    assert batch.source_rows == raw.height == 541_909
    assert batch.duplicates.height == raw.height - unique.height
    assert batch.excluded.height == unique.filter(~is_product | is_note).height
    assert counts["returns"] == kept.filter(is_c).height
    assert counts["order_lines"] == kept.filter(~is_c).height
    assert counts["orders"] == kept.filter(~is_c)["InvoiceNo"].n_unique()
    assert counts["products"] == kept["StockCode"].n_unique()
    assert counts["customers"] == kept["CustomerID"].n_unique()  # null counts once: GUEST
    assert batch.adds_up
    assert (
        counts["order_lines"] + counts["returns"] + batch.duplicates.height + batch.excluded.height
        == 541_909
    )


def test_online_retail_rules_shape_the_rows() -> None:
    mapping = load_mapping(ONLINE_RETAIL_MAPPING)
    raw = read_file(ONLINE_RETAIL_FILE).filter(
        pl.col("InvoiceNo").is_in(
            ["C536379", "C536383", "536365", "536370", "558638", "536414", "536544", "537197"]
        )
    )
    batch = apply_mapping(raw, mapping, source="part.csv")
    returns = batch.tables["returns"].filter(pl.col("return_id") == "C536383-1").row(0, named=True)
    assert returns["quantity"] == 1 and returns["refund_amount"] == Decimal("4.65")
    assert returns["reason"] == "cancelled" and returns["customer_id"] == "15311"
    orders = {r["order_id"]: r for r in batch.tables["orders"].iter_rows(named=True)}
    assert orders["536365"]["ordered_at"] == "2010-12-01T08:26:00+00:00"
    assert orders["558638"]["ordered_at"] == "2011-07-01T07:16:00+00:00"  # 08:16 BST
    assert orders["536544"]["customer_id"] == "GUEST"
    assert "536414" not in orders  # its one line: 56 units at 0.0 with no customer, a note
    free = batch.tables["order_lines"].filter(
        (pl.col("order_id") == "537197") & (pl.col("sku") == "22841")
    )
    assert free["unit_price"].to_list() == ["0.0"]  # a customer's free item is a sale at 0
    customers = batch.tables["customers"]
    assert customers.filter(pl.col("customer_id") == "GUEST")["is_guest"].to_list() == [True]
    reasons = set(batch.excluded["reason"])
    assert any(r.startswith("postage") for r in reasons)  # 536370 has a POST line
    assert any(r.startswith("manual entry, discount") for r in reasons)  # C536379 is a D line
    assert any(r.startswith("zero-priced line without a customer") for r in reasons)


def test_a_mapped_file_loads_through_the_ingest_api_and_the_ledger_adds_up(
    tmp_path: Path, settings: Settings
) -> None:
    export = tmp_path / "shop_export.csv"
    _shop_rows(ROWS).drop(ROW).write_csv(export)
    (result,) = ingest_paths([export], mapping=SHOP_PATH, settings=settings)
    assert (result.rows_in, result.rows_duplicate) == (8, 1)
    # Rows 2 and 7 excluded; row 8's line waits for its order; return row 6 has quantity -1
    # (the sample negates it), which the contract refuses; lines 1, 3 and 4 load.
    assert (result.rows_excluded, result.rows_quarantined, result.rows_loaded) == (2, 2, 3)
    assert result.adds_up
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        ordered = con.sql("SELECT order_id, ordered_at FROM raw.orders ORDER BY 1").fetchall()
        fates = con.sql(
            "SELECT source_row, status FROM ops.quarantine WHERE table_name IN ('(mapping)', "
            "'orders') ORDER BY 1"
        ).fetchall()
    assert ordered == [("O1", datetime(2010, 12, 1, 8, 26)), ("O2", datetime(2011, 7, 1, 9, 0))]
    # Rows 2 and 7 were excluded by the mapping; order O3's time did not parse (row 8).
    assert fates == [(2, "excluded"), (7, "excluded"), (8, "held")]
