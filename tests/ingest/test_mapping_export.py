"""One mapping for one export: a marketplace export in five files loaded as ONE batch.

The export is written here (five CSV files in the Olist layout); the expected figures are
computed from those files with plain Polars and Python, never with `pipelines`.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import polars as pl
import pytest
from click.testing import CliRunner

from pipelines.cli import main
from pipelines.ingest.api import ingest_paths
from pipelines.ingest.loader import BatchResult
from pipelines.settings import Settings

MAPPING = Path(__file__).parent / "mappings" / "marketplace.yaml"
LOCAL = ZoneInfo("America/Sao_Paulo")
STAMP = "%Y-%m-%d %H:%M:%S"
LIFECYCLE = {
    "order_purchase_timestamp": "received",
    "order_approved_at": "approved",
    "order_delivered_carrier_date": "shipped",
    "order_delivered_customer_date": "delivered",
}
STATUSES = ["delivered", "delivered", "delivered", "shipped", "canceled", "unavailable", "invoiced"]
PAYMENT_TYPES = ["credit_card", "boleto", "voucher", "debit_card"]


def _write_export(folder: Path, seed: int = 7) -> dict[str, Path]:
    """Five files of a small marketplace export, with the shapes a real one has."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    people = [f"person{i:02d}" for i in range(12)]
    products = [f"prod{i:02d}" for i in range(9)]
    orders, items, payments, customers = [], [], [], []
    for n in range(40):
        order_id, customer_id = f"ord{n:03d}", f"cust{n:03d}"
        person = rng.choice(people)
        status = STATUSES[n % len(STATUSES)]
        placed = datetime(2018, 1, 1, 0, 30) + timedelta(hours=rng.randint(0, 24 * 300))
        if n == 0:
            placed = datetime(2018, 3, 4, 23, 50)  # 02:50 UTC the next day
        steps = [placed]
        for _ in range({"delivered": 3, "shipped": 2, "canceled": 1}.get(status, 1)):
            steps.append(
                steps[-1] + timedelta(hours=rng.randint(1, 90), minutes=rng.randint(0, 59))
            )
        if status == "unavailable":
            steps = steps[:1]  # only the purchase time: a status event at that time
        stamps = [s.strftime(STAMP) for s in steps] + [None] * (4 - len(steps))
        promised = (placed + timedelta(days=rng.randint(5, 30))).strftime("%Y-%m-%d 00:00:00")
        orders.append((order_id, customer_id, status, *stamps, promised))
        customers.append((customer_id, person, f"{rng.randint(10000, 99999)}", "sao paulo", "SP"))
        lines = rng.randint(1, 4)
        for line in range(1, lines + 1):
            price = f"{rng.randint(100, 50000) / 100:.2f}"
            freight = f"{rng.randint(0, 3000) / 100:.2f}"
            sku = rng.choice(products)
            items.append((order_id, str(line), sku, "seller1", stamps[0], price, freight))
        for seq in range(1, rng.randint(1, 2) + 1):
            kind = rng.choice(PAYMENT_TYPES)
            value = f"{rng.randint(100, 30000) / 100:.2f}"
            payments.append((order_id, str(seq), kind, "1", value))
    payments.append(("ord999", "1", "boleto", "1", "12.00"))  # an order the export lacks
    used = sorted({i[2] for i in items})
    product_rows = [(p, None if i % 3 == 0 else "housewares") for i, p in enumerate(used)]
    files = {
        "orders": ("olist_orders_dataset.csv", orders, [
            "order_id", "customer_id", "order_status", *LIFECYCLE,
            "order_estimated_delivery_date"]),
        "items": ("olist_order_items_dataset.csv", items, [
            "order_id", "order_item_id", "product_id", "seller_id", "shipping_limit_date",
            "price", "freight_value"]),
        "payments": ("olist_order_payments_dataset.csv", payments, [
            "order_id", "payment_sequential", "payment_type", "payment_installments",
            "payment_value"]),
        "customers": ("olist_customers_dataset.csv", customers, [
            "customer_id", "customer_unique_id", "customer_zip_code_prefix", "customer_city",
            "customer_state"]),
        "products": ("olist_products_dataset.csv", product_rows, [
            "product_id", "product_category_name"]),
    }  # fmt: skip
    paths = {}
    for part, (name, rows, columns) in files.items():
        frame = pl.DataFrame(rows, schema=dict.fromkeys(columns, pl.String), orient="row")
        paths[part] = folder / name
        frame.write_csv(paths[part])
    return paths


def _utc(local: str) -> datetime:
    return datetime.strptime(local, STAMP).replace(tzinfo=LOCAL).astimezone(ZoneInfo("UTC"))


def _expected(paths: dict[str, Path]) -> dict:
    """The figures, from the source files with plain Polars (nothing from `pipelines`)."""
    orders = pl.read_csv(paths["orders"], infer_schema=False)
    items = pl.read_csv(paths["items"], infer_schema=False)
    payments = pl.read_csv(paths["payments"], infer_schema=False)
    customers = pl.read_csv(paths["customers"], infer_schema=False)
    events: dict[str, int] = {}
    for column, event in LIFECYCLE.items():
        events[event] = orders.filter(pl.col(column).fill_null("") != "").height
    events["cancelled"] = orders.filter(
        pl.col("order_status").is_in(["canceled", "unavailable"])
    ).height
    freight = {
        order: sum(Decimal(v) for v in group["freight_value"])
        for (order,), group in items.group_by("order_id")
    }
    methods = {"credit_card": "card", "debit_card": "card", "boleto": "bank_transfer"}
    first_payment = {
        o: t for o, t in reversed(list(payments.select("order_id", "payment_type").iter_rows()))
    }
    paid = {
        order: sum(Decimal(v) for v in group["payment_value"])
        for (order,), group in payments.group_by("order_id")
    }
    paid_orders = set(orders["order_id"])
    matched_payments = payments.filter(pl.col("order_id").is_in(paid_orders)).height
    persons = customers["customer_unique_id"].n_unique()
    return {
        "orders": orders.height,
        "lines": items.height,
        "revenue": sum(Decimal(p) for p in items["price"]),
        "events": events,
        "shipping_fee": {o: freight.get(o, Decimal(0)) for o in orders["order_id"]},
        "ordered_at": {
            o: _utc(t).replace(tzinfo=None)
            for o, t in zip(orders["order_id"], orders["order_purchase_timestamp"], strict=True)
        },
        "payment": {
            o: (methods.get(first_payment[o], "other"), paid[o]) for o in orders["order_id"]
        },
        "rows_in": sum(pl.read_csv(p, infer_schema=False).height for p in paths.values()),
        "customers": persons,
        "customer_copies": customers.height - persons,
        "loaded": orders.height
        + items.height
        + persons
        + pl.read_csv(paths["products"]).height
        + matched_payments,
        "unmatched_payments": payments.height - matched_payments,
    }


def _check_warehouse(settings: Settings, result: BatchResult, expected: dict) -> None:
    assert result.status == "loaded", result.message  # its one exclusion is no quarantine
    assert result.rows_in == expected["rows_in"]
    assert result.rows_loaded == expected["loaded"]
    assert result.rows_duplicate == expected["customer_copies"]
    assert result.adds_up
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:

        def one(sql: str) -> object:
            return con.sql(sql).fetchall()[0][0]

        assert one("SELECT count(*) FROM raw.orders") == expected["orders"]
        assert one("SELECT count(*) FROM raw.order_lines") == expected["lines"]
        assert one("SELECT count(*) FROM raw.customers") == expected["customers"]
        revenue = one("SELECT sum(quantity * unit_price) FROM raw.order_lines")
        assert revenue == expected["revenue"]
        events = dict(
            con.sql("SELECT event_type, count(*) FROM raw.order_events GROUP BY 1").fetchall()
        )
        assert events == expected["events"]
        fees = dict(con.sql("SELECT order_id, shipping_fee FROM raw.orders").fetchall())
        assert fees == expected["shipping_fee"]
        payment = con.sql("SELECT order_id, payment_method, total_amount FROM raw.orders")
        assert {o: (m, t) for o, m, t in payment.fetchall()} == expected["payment"]
        placed = dict(con.sql("SELECT order_id, ordered_at FROM raw.orders").fetchall())
        assert placed == expected["ordered_at"]
        # Every row of every file has its fate; the unmatched payment names its own file.
        fates = con.sql(
            "SELECT source, source_row, status, reason FROM ops.quarantine WHERE batch_id = ?",
            params=[result.batch_id],
        ).fetchall()
    assert len(fates) == expected["unmatched_payments"]
    assert fates[0][0] == "olist_order_payments_dataset.csv"
    assert fates[0][2:] == ("excluded", "matches no row of orders")


def test_a_five_file_marketplace_export_loads_as_one_batch_with_every_row_accounted(
    tmp_path: Path, settings: Settings
) -> None:
    paths = _write_export(tmp_path / "export")
    results = ingest_paths([tmp_path / "export"], mapping=MAPPING, settings=settings)
    assert len(results) == 1
    _check_warehouse(settings, results[0], _expected(paths))


def test_the_cli_loads_a_folder_export_with_one_mapping_in_one_command(
    tmp_path: Path, settings: Settings
) -> None:
    paths = _write_export(tmp_path / "export", seed=11)
    run = CliRunner().invoke(main, ["ingest", str(tmp_path / "export"), "--mapping", str(MAPPING)])
    assert run.exit_code == 0, run.output
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        ledger = con.sql(
            "SELECT batch_id, source, status, rows_in, rows_loaded, rows_quarantined, "
            "rows_duplicate, rows_excluded FROM ops.ingest_batches"
        ).fetchall()
    assert len(ledger) == 1
    result = BatchResult(*ledger[0][:3], *ledger[0][3:])
    _check_warehouse(settings, result, _expected(paths))


def test_the_same_export_again_is_already_loaded(tmp_path: Path, settings: Settings) -> None:
    _write_export(tmp_path / "export")
    ingest_paths([tmp_path / "export"], mapping=MAPPING, settings=settings)
    (again,) = ingest_paths([tmp_path / "export"], mapping=MAPPING, settings=settings)
    assert again.status == "already_loaded"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("missing", "part 'customers' of mapping 'marketplace': no file match '*customers*.csv'"),
        ("twice", "part 'customers' of mapping 'marketplace': 2 files"),
    ],
)
def test_a_missing_or_ambiguous_file_rejects_the_export_naming_the_pattern(
    tmp_path: Path, settings: Settings, change: str, message: str
) -> None:
    paths = _write_export(tmp_path / "export")
    if change == "missing":
        paths["customers"].unlink()
    else:
        paths["customers"].with_name("old_customers.csv").write_bytes(
            paths["customers"].read_bytes()
        )
    (result,) = ingest_paths([tmp_path / "export"], mapping=MAPPING, settings=settings)
    assert result.status == "rejected"
    assert message in result.message
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert con.sql("SELECT count(*) FROM raw.orders").fetchall() == [(0,)]
