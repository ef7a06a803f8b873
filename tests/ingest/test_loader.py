"""The batch loader: fates of rows, the ledger identity, upserts, events, orphans, atomicity."""

from __future__ import annotations

import threading
from decimal import Decimal

import duckdb
import polars as pl
import pytest

from pipelines.ingest import loader
from pipelines.ingest.loader import Batch, load_batch
from pipelines.settings import Settings
from pipelines.warehouse import WarehouseBusy, writer, writer_lock


def _frame(**columns: list) -> pl.DataFrame:
    n = len(next(iter(columns.values())))
    return pl.DataFrame(columns).with_columns(pl.Series("_source_row", range(1, n + 1), pl.Int64))


def _batch(name: str, table: str, frame: pl.DataFrame) -> Batch:
    return Batch(source=name, frames={table: frame}, primary=[table], source_rows=frame.height)


def _rows(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.sql(sql).fetchall()


CUSTOMERS = _frame(customer_id=["C1", "C2", "C2", "C3"], customer_name=["王芳", "Li", "Li", "Ann"])


def test_every_row_gets_exactly_one_fate_and_the_ledger_adds_up(settings: Settings) -> None:
    customers = _frame(
        customer_id=["C1", "C2", "C2", "C3", "C3", None],
        customer_name=["王芳", "Li", "Li", "Ann (old)", "Ann", "nobody"],
    )
    with writer(settings) as con:
        result = load_batch(con, _batch("customers.csv", "customers", customers))
    # C1, C2 and the newer C3 load; the second C2 is an exact copy; the first C3 is
    # superseded by row 5; the row without a key fails the contract.
    assert (result.rows_in, result.rows_loaded, result.rows_duplicate, result.rows_quarantined) == (
        6,
        3,
        1,
        2,
    )
    assert result.adds_up and result.status == "partial"
    assert _rows(settings, "SELECT customer_id, customer_name FROM raw.customers ORDER BY 1") == [
        ("C1", "王芳"),
        ("C2", "Li"),
        ("C3", "Ann"),
    ]
    reasons = _rows(
        settings, "SELECT source_row, field, reason_code FROM ops.quarantine ORDER BY 1"
    )
    assert reasons == [(4, "customer_id", "duplicate_key"), (6, "customer_id", "missing")]
    ledger = _rows(
        settings,
        "SELECT rows_in, rows_loaded + rows_quarantined + rows_duplicate FROM ops.ingest_batches",
    )
    assert ledger == [(6, 6)]


def test_the_same_batch_twice_changes_nothing(settings: Settings) -> None:
    with writer(settings) as con:
        load_batch(con, _batch("a.csv", "customers", CUSTOMERS))
        before = con.sql("SELECT * EXCLUDE (_batch_id) FROM raw.customers ORDER BY ALL").fetchall()
        again = load_batch(con, _batch("a.csv", "customers", CUSTOMERS))
        after = con.sql("SELECT * EXCLUDE (_batch_id) FROM raw.customers ORDER BY ALL").fetchall()
    assert before == after
    assert (again.rows_loaded, again.rows_duplicate, again.rows_quarantined) == (0, 4, 0)


def test_an_entity_is_upserted_and_the_newest_version_wins(settings: Settings) -> None:
    with writer(settings) as con:
        load_batch(con, _batch("a.csv", "customers", CUSTOMERS))
        result = load_batch(
            con, _batch("b.csv", "customers", _frame(customer_id=["C1"], customer_name=["王芳芳"]))
        )
    assert result.tables["customers"].updated == 1
    assert _rows(
        settings, "SELECT customer_name, _batch_id FROM raw.customers WHERE customer_id = 'C1'"
    ) == [("王芳芳", 2)]


def test_events_are_appended_once(settings: Settings) -> None:
    setup = {
        "customers": _frame(customer_id=["C1"]),
        "orders": _frame(
            order_id=["O1"],
            customer_id=["C1"],
            channel=["web"],
            ordered_at=["2026-01-01T00:00:00Z"],
        ),
    }
    events = _frame(
        order_id=["O1", "O1"],
        event_type=["received", "confirmed"],
        event_at=["2026-01-01T00:00:00Z", "2026-01-01T09:00:00+08:00"],
    )
    with writer(settings) as con:
        load_batch(con, Batch("setup", setup, ["orders"], 1))
        first = load_batch(con, _batch("e1.jsonl", "order_events", events))
        second = load_batch(con, _batch("e2.jsonl", "order_events", events))
    assert (first.rows_loaded, second.rows_loaded, second.rows_duplicate) == (2, 0, 2)
    # +08:00 is converted to UTC and stored naive.
    assert [
        str(r[0]) for r in _rows(settings, "SELECT event_at FROM raw.order_events ORDER BY 1")
    ] == [
        "2026-01-01 00:00:00",
        "2026-01-01 01:00:00",
    ]


def test_orphans_wait_and_are_released_when_their_parents_arrive(settings: Settings) -> None:
    lines = _frame(
        order_id=["O1"], line_number=[1], sku=["SKU-1"], quantity=[2], unit_price=["9.90"]
    )
    orders = _frame(
        order_id=["O1"], customer_id=["C1"], channel=["app"], ordered_at=["2026-02-01 10:00:00"]
    )
    with writer(settings) as con:
        waiting_line = load_batch(con, _batch("lines.csv", "order_lines", lines))
        waiting_order = load_batch(con, _batch("orders.csv", "orders", orders))
        load_batch(
            con,
            _batch(
                "products.csv",
                "products",
                _frame(sku=["SKU-1"], product_name=["Cup"], list_price=["9.90"]),
            ),
        )
        last = load_batch(con, _batch("customers.csv", "customers", _frame(customer_id=["C1"])))
    assert waiting_line.rows_quarantined == 1 and waiting_order.rows_quarantined == 1
    # The customer releases the order, which releases the line (its product already came).
    assert last.rows_released == 2
    assert _rows(settings, "SELECT order_id, quantity FROM raw.order_lines") == [("O1", 2)]
    assert _rows(settings, "SELECT DISTINCT status, resolved_batch_id FROM ops.quarantine") == [
        ("released", 4)
    ]


def test_a_value_that_does_not_cast_is_quarantined_naming_row_and_field(settings: Settings) -> None:
    products = _frame(sku=["A", "B"], product_name=["ok", "bad"], list_price=["1.50", "one fifty"])
    with writer(settings) as con:
        result = load_batch(con, _batch("products.csv", "products", products))
    assert result.rows_loaded == 1
    row = _rows(
        settings,
        "SELECT source, source_row, field, reason, record->>'list_price' FROM ops.quarantine",
    )
    assert row == [
        (
            "products.csv",
            2,
            "list_price",
            "list_price: cannot read one fifty as a decimal number (at most 16 digits)",
            "one fifty",
        )
    ]


def test_a_warehouse_made_by_the_earlier_contract_is_upgraded_and_keeps_its_rows(
    settings: Settings,
) -> None:
    # raw.order_lines and raw.shipments as the contract made them before line_amount existed
    # and when unit_price, shipments.warehouse_id and carrier were required.
    settings.warehouse_path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(settings.warehouse_path)) as con:
        con.execute("CREATE SCHEMA raw")
        con.execute(
            "CREATE TABLE raw.order_lines (order_id VARCHAR NOT NULL, line_number BIGINT NOT "
            "NULL, sku VARCHAR NOT NULL, quantity BIGINT NOT NULL, unit_price DECIMAL(18, 2) "
            "NOT NULL, discount_amount DECIMAL(18, 2) NOT NULL, _batch_id BIGINT NOT NULL)"
        )
        con.execute("INSERT INTO raw.order_lines VALUES ('O0', 1, 'SKU-1', 1, 5.00, 0, 1)")
        con.execute(
            "CREATE TABLE raw.shipments (shipment_id VARCHAR NOT NULL, order_id VARCHAR NOT "
            "NULL, warehouse_id VARCHAR NOT NULL, carrier VARCHAR NOT NULL, tracking_number "
            "VARCHAR, shipped_at TIMESTAMP NOT NULL, delivered_at TIMESTAMP, _batch_id BIGINT "
            "NOT NULL)"
        )
    with writer(settings):
        pass
    nullable = dict(
        _rows(
            settings,
            "SELECT table_name || '.' || column_name, is_nullable FROM duckdb_columns() "
            "WHERE schema_name = 'raw' AND table_name IN ('order_lines', 'shipments')",
        )
    )
    assert nullable["order_lines.line_amount"] and nullable["order_lines.unit_price"]
    assert nullable["shipments.warehouse_id"] and nullable["shipments.carrier"]
    assert not nullable["order_lines.quantity"]
    assert _rows(settings, "SELECT order_id, unit_price, line_amount FROM raw.order_lines") == [
        ("O0", Decimal("5.00"), None)
    ]


def test_a_failure_inside_a_batch_leaves_the_warehouse_as_it_was(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    frames = {
        "customers": _frame(customer_id=["C1"]),
        "orders": _frame(
            order_id=["O1"], customer_id=["C1"], channel=["web"], ordered_at=["2026-01-01"]
        ),
    }
    real = loader._load_table

    def failing(con, batch_id, table, frame, tz, **options):
        if table.name == "orders":
            raise RuntimeError("disk on fire")
        return real(con, batch_id, table, frame, tz, **options)

    monkeypatch.setattr(loader, "_load_table", failing)
    with writer(settings) as con, pytest.raises(RuntimeError, match="disk on fire"):
        load_batch(con, Batch("both", frames, ["orders"], 1))
    assert _rows(settings, "SELECT count(*) FROM raw.customers") == [(0,)]
    assert _rows(settings, "SELECT count(*) FROM ops.ingest_batches") == [(0,)]


def test_a_second_writer_fails_clearly_after_the_timeout(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ORDERLENS_LOCK_TIMEOUT", "0.5")
    from pipelines.settings import get_settings

    short = get_settings()
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        with writer_lock(short, purpose="a long build"):
            held.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    held.wait(5)
    try:
        with pytest.raises(WarehouseBusy, match="still locked by a long build"), writer(short):
            pass
    finally:
        release.set()
        thread.join()
    assert "waiting up to" in capsys.readouterr().err
