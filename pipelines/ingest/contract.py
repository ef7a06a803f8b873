"""The data contract: the canonical operational tables.

Each table is a pandera schema (names, types, nullability, checks, descriptions) plus the
few facts pandera has no slot for: the natural key, whether rows are entities (upserted,
newest version wins) or events (appended once), the parents a row refers to, which
columns may be left out of an export (filled with their default) and which are stored in
lower case. The DuckDB DDL (and its upgrade of older warehouses), the reference in
docs/contract.md and the loader's checks are all derived from this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import pandera.polars as pa
import polars as pl

MONEY = pl.Decimal(18, 2)
# Timestamps are stored naive, always in UTC: day boundaries never depend on a session zone.
TIMESTAMP = pl.Datetime("us")

# A channel is data, not an enum; sales_periods totals every channel under this name, so no
# channel may be called so.
RESERVED_CHANNEL = "all"
ID_MAX_LENGTH = 255  # ids are as long as real exports make them (URLs, composite keys)
NAME_MAX_LENGTH = 64  # short names: channels, regions, cities, categories, carriers

PAYMENT_METHODS = [
    "card",
    "alipay",
    "wechat_pay",
    "paypal",
    "bank_transfer",
    "cash_on_delivery",
    "invoice",
    "other",
]
ORDER_EVENT_TYPES = [
    "received",
    "confirmed",
    "approved",
    "paid",
    "allocated",
    "picked",
    "packed",
    "shipped",
    "delivered",
    "cancelled",
    "modified",
    "returned",
]
MOVEMENT_TYPES = ["receipt", "sale", "return", "adjustment", "transfer_out", "transfer_in"]
PO_STATUSES = ["open", "partially_received", "received", "cancelled"]
SHIPMENT_EVENT_STATUSES = [
    "picked_up",
    "in_transit",
    "out_for_delivery",
    "delivered",
    "delayed",
    "exception",
    "damaged",
    "lost",
    "returned_to_sender",
]
RETURN_REASONS = [
    "damaged",
    "defective",
    "wrong_item",
    "late_delivery",
    "not_as_described",
    "changed_mind",
    "cancelled",
    "other",
]
TICKET_TYPES = ["complaint", "inquiry", "return_request"]
TICKET_TOPICS = [
    "late_delivery",
    "damaged",
    "lost",
    "wrong_item",
    "billing",
    "product_question",
    "other",
]

Kind = Literal["entity", "event"]


@dataclass(frozen=True)
class Table:
    """One canonical table: its schema and the facts the loader needs about it."""

    name: str
    grain: str
    schema: pa.DataFrameSchema
    key: tuple[str, ...]
    kind: Kind
    # column -> (parent table, parent column); checked only where the value is not null.
    parents: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    # columns an export may leave out, with the value they get (None means null).
    defaults: Mapping[str, Any] = field(default_factory=dict)
    # text columns stored in lower case, so that "Web" and "web" are one value.
    lowercase: frozenset[str] = frozenset()

    @property
    def columns(self) -> list[str]:
        return list(self.schema.columns)

    @property
    def required_columns(self) -> list[str]:
        return [c for c in self.columns if c not in self.defaults]

    def dtype(self, column: str) -> pl.DataType:
        return self.schema.columns[column].dtype.type  # type: ignore[no-any-return]

    def description(self, column: str) -> str:
        return self.schema.columns[column].description or ""


def _col(
    dtype: Any,
    description: str,
    *checks: pa.Check,
    nullable: bool = False,
) -> pa.Column:
    return pa.Column(dtype, list(checks), nullable=nullable, description=description)


def _id(description: str, nullable: bool = False) -> pa.Column:
    return _col(pl.Utf8, description, pa.Check.str_length(1, ID_MAX_LENGTH), nullable=nullable)


def _text(description: str, nullable: bool = True, max_len: int = 500) -> pa.Column:
    return _col(pl.Utf8, description, pa.Check.str_length(0, max_len), nullable=nullable)


def _enum(values: list[str], description: str, nullable: bool = False) -> pa.Column:
    return _col(pl.Utf8, description, pa.Check.isin(values), nullable=nullable)


def _currency(description: str) -> pa.Column:
    return _col(pl.Utf8, description, pa.Check.str_matches(r"^[A-Z]{3}$"))


def _money(description: str, *checks: pa.Check, nullable: bool = False) -> pa.Column:
    # Upper bound keeps DECIMAL(18,2) and every sum of it far from overflow.
    return _col(MONEY, description, pa.Check.le(10**12), *checks, nullable=nullable)


def _qty(description: str, *checks: pa.Check, nullable: bool = False) -> pa.Column:
    return _col(
        pl.Int64, description, pa.Check.in_range(-(10**9), 10**9), *checks, nullable=nullable
    )


# Event times must be plausible: not before this, and not after the moment of ingest (plus a
# day of clock skew between systems). The upper bound is read when a batch is validated.
EARLIEST = datetime(1990, 1, 1)
CLOCK_SKEW = timedelta(days=1)


def _not_in_the_future(data: Any) -> pl.LazyFrame:
    column = pl.col(data.key)
    latest = datetime.now(UTC).replace(tzinfo=None) + CLOCK_SKEW
    return data.lazyframe.select((column >= EARLIEST) & (column <= latest))


def _ts(description: str, nullable: bool = False) -> pa.Column:
    plausible = pa.Check(
        _not_in_the_future,
        name="plausible_time",
        error=f"an event time must lie between {EARLIEST:%Y-%m-%d} and the time of ingest "
        f"plus {CLOCK_SKEW.days} day of clock skew",
    )
    return _col(TIMESTAMP, description, plausible, nullable=nullable)


def _priced(data: Any) -> pl.LazyFrame:
    """A line needs a unit price or a line amount: without either it has no revenue."""
    return data.lazyframe.select(
        pl.col("unit_price").is_not_null() | pl.col("line_amount").is_not_null()
    )


def _schema(name: str, columns: dict[str, pa.Column], checks: list[pa.Check] | None = None):
    return pa.DataFrameSchema(columns, checks=checks or [], name=name, strict=False)


SUPPLIERS = Table(
    name="suppliers",
    grain="One row per supplier.",
    key=("supplier_id",),
    kind="entity",
    schema=_schema(
        "suppliers",
        {
            "supplier_id": _id("Supplier code."),
            "supplier_name": _text("Supplier name (any language).", nullable=False),
            "country": _text("Country the supplier ships from.", max_len=NAME_MAX_LENGTH),
            "lead_time_days": _qty(
                "Nominal lead time the supplier quotes, in days.", pa.Check.ge(0), nullable=True
            ),
            "currency": _currency("ISO 4217 code of its prices."),
        },
    ),
    defaults={"country": None, "lead_time_days": None, "currency": "CNY"},
)

CUSTOMERS = Table(
    name="customers",
    grain="One row per customer account.",
    key=("customer_id",),
    kind="entity",
    schema=_schema(
        "customers",
        {
            "customer_id": _id("Customer account code."),
            "customer_name": _text("Name (Chinese or English)."),
            "email": _text("E-mail address.", max_len=254),
            "phone": _text("Phone number as given.", max_len=NAME_MAX_LENGTH),
            "region": _text("Home region (province or state).", max_len=NAME_MAX_LENGTH),
            "city": _text("Home city.", max_len=NAME_MAX_LENGTH),
            "country": _text("Home country.", max_len=NAME_MAX_LENGTH),
            "created_at": _ts("When the account was opened (UTC).", nullable=True),
            "is_guest": _col(
                pl.Boolean, "True for the catch-all account of orders with no customer."
            ),
        },
    ),
    defaults={
        "customer_name": None,
        "email": None,
        "phone": None,
        "region": None,
        "city": None,
        "country": None,
        "created_at": None,
        "is_guest": False,
    },
)

PRODUCTS = Table(
    name="products",
    grain="One row per SKU.",
    key=("sku",),
    kind="entity",
    parents={"supplier_id": ("suppliers", "supplier_id")},
    schema=_schema(
        "products",
        {
            "sku": _id("Stock-keeping unit code."),
            "product_name": _text("Product name (any language).", nullable=False),
            "category": _text("Product category.", nullable=False, max_len=NAME_MAX_LENGTH),
            "unit_cost": _money("Purchase cost of one unit.", pa.Check.ge(0), nullable=True),
            "list_price": _money("Catalogue selling price of one unit.", pa.Check.ge(0)),
            "currency": _currency("ISO 4217 code of cost and price."),
            "pack_size": _qty("Units per supplier pack (orders round up to it).", pa.Check.ge(1)),
            "min_order_qty": _qty("Supplier's minimum order quantity, in units.", pa.Check.ge(1)),
            "supplier_id": _id("Usual supplier.", nullable=True),
        },
    ),
    defaults={
        "category": "uncategorised",
        "unit_cost": None,
        "currency": "CNY",
        "pack_size": 1,
        "min_order_qty": 1,
        "supplier_id": None,
    },
)

WAREHOUSES = Table(
    name="warehouses",
    grain="One row per warehouse.",
    key=("warehouse_id",),
    kind="entity",
    schema=_schema(
        "warehouses",
        {
            "warehouse_id": _id("Warehouse code."),
            "warehouse_name": _text("Warehouse name.", nullable=False),
            "region": _text(
                "Region the warehouse serves from.", nullable=False, max_len=NAME_MAX_LENGTH
            ),
            "city": _text("City.", max_len=NAME_MAX_LENGTH),
        },
    ),
    defaults={"city": None},
)

ORDERS = Table(
    name="orders",
    grain="One row per customer order (header).",
    key=("order_id",),
    kind="entity",
    parents={"customer_id": ("customers", "customer_id")},
    schema=_schema(
        "orders",
        {
            "order_id": _id("Order number."),
            "customer_id": _id("Customer who placed it."),
            "channel": _col(
                pl.Utf8,
                "Sales channel, an open list (web, app, phone, email, store, marketplace, b2b, "
                "tender, wholesale, ...).",
                pa.Check.str_length(1, NAME_MAX_LENGTH),
                pa.Check.notin([RESERVED_CHANNEL]),
            ),
            "ordered_at": _ts("When the order was placed (UTC)."),
            "promised_date": _col(
                pl.Date, "Delivery date promised to the customer.", nullable=True
            ),
            "currency": _currency("ISO 4217 code of all its amounts."),
            "order_discount": _money(
                "Order-level discount (coupons), on top of line discounts.", pa.Check.ge(0)
            ),
            "shipping_fee": _money("Shipping charged to the customer.", pa.Check.ge(0)),
            "total_amount": _money(
                "Amount charged as exported: lines net of discounts, less order discount, "
                "plus shipping.",
                nullable=True,
            ),
            "ship_to_region": _text("Ship-to region (province or state).", max_len=NAME_MAX_LENGTH),
            "ship_to_city": _text("Ship-to city.", max_len=NAME_MAX_LENGTH),
            "ship_to_country": _text("Ship-to country.", max_len=NAME_MAX_LENGTH),
            "payment_method": _enum(PAYMENT_METHODS, "How it was paid.", nullable=True),
            "needs_approval": _col(pl.Boolean, "Whether the order needed a manual approval."),
            "promotion_code": _text("Promotion it was placed under.", max_len=NAME_MAX_LENGTH),
        },
    ),
    defaults={
        "promised_date": None,
        "currency": "CNY",
        "order_discount": 0,
        "shipping_fee": 0,
        "total_amount": None,
        "ship_to_region": None,
        "ship_to_city": None,
        "ship_to_country": None,
        "payment_method": None,
        "needs_approval": False,
        "promotion_code": None,
    },
    lowercase=frozenset({"channel"}),
)

ORDER_LINES = Table(
    name="order_lines",
    grain="One row per order line.",
    key=("order_id", "line_number"),
    kind="entity",
    parents={"order_id": ("orders", "order_id"), "sku": ("products", "sku")},
    schema=_schema(
        "order_lines",
        {
            "order_id": _id("Order it belongs to."),
            "line_number": _qty("Line position within the order (1, 2, ...).", pa.Check.ge(1)),
            "sku": _id("Product ordered."),
            "quantity": _qty("Units ordered.", pa.Check.gt(0)),
            "unit_price": _money(
                "Selling price of one unit before discount (0 for a free line); may be left "
                "empty where line_amount is given.",
                pa.Check.ge(0),
                pa.Check(
                    _priced,
                    name="unit_price_or_line_amount",
                    error="a value is required when line_amount is empty",
                    ignore_na=False,
                ),
                nullable=True,
            ),
            "discount_amount": _money("Discount on the whole line.", pa.Check.ge(0)),
            "line_amount": _money(
                "What the customer pays for the line, after its line discount (before its "
                "share of the order discount). Where given it is the line's revenue, whatever "
                "quantity * unit_price says.",
                pa.Check.ge(0),
                nullable=True,
            ),
        },
        checks=[
            pa.Check(
                lambda data: data.lazyframe.select(
                    pl.col("unit_price").is_null()
                    | (
                        pl.col("discount_amount").cast(pl.Float64)
                        <= pl.col("quantity") * pl.col("unit_price").cast(pl.Float64) + 0.005
                    )
                ),
                name="discount_not_above_line_amount",
                error="discount_amount exceeds quantity * unit_price",
            )
        ],
    ),
    defaults={"unit_price": None, "discount_amount": 0, "line_amount": None},
)

ORDER_EVENTS = Table(
    name="order_events",
    grain="One row per status transition of an order.",
    key=("order_id", "event_type", "event_at"),
    kind="event",
    parents={"order_id": ("orders", "order_id"), "warehouse_id": ("warehouses", "warehouse_id")},
    schema=_schema(
        "order_events",
        {
            "order_id": _id("Order that changed status."),
            "event_type": _enum(ORDER_EVENT_TYPES, "The status it moved to."),
            "event_at": _ts("When (UTC)."),
            "warehouse_id": _id("Warehouse (set from allocation on).", nullable=True),
            "carrier": _text("Carrier (set from allocation on).", max_len=NAME_MAX_LENGTH),
            "note": _text("Free text from the source system."),
        },
    ),
    defaults={"warehouse_id": None, "carrier": None, "note": None},
)

STOCK_MOVEMENTS = Table(
    name="stock_movements",
    grain="One row per stock movement of one SKU in one warehouse.",
    key=("movement_id",),
    kind="event",
    parents={"sku": ("products", "sku"), "warehouse_id": ("warehouses", "warehouse_id")},
    schema=_schema(
        "stock_movements",
        {
            "movement_id": _id("Movement number."),
            "sku": _id("Product moved."),
            "warehouse_id": _id("Warehouse whose stock changed."),
            "moved_at": _ts("When (UTC)."),
            "movement_type": _enum(MOVEMENT_TYPES, "What kind of movement."),
            "quantity": _qty("Signed units: positive into stock, negative out of it."),
            "reference_id": _text(
                "Order, purchase order or transfer it belongs to.", max_len=ID_MAX_LENGTH
            ),
        },
        checks=[
            pa.Check(
                lambda data: data.lazyframe.select(
                    pl.when(pl.col("movement_type").is_in(["receipt", "return", "transfer_in"]))
                    .then(pl.col("quantity") > 0)
                    .when(pl.col("movement_type").is_in(["sale", "transfer_out"]))
                    .then(pl.col("quantity") < 0)
                    .otherwise(pl.lit(True))
                ),
                name="quantity_sign_matches_type",
                error="receipts, returns and transfers in must be positive; sales and "
                "transfers out negative",
            )
        ],
    ),
    defaults={"reference_id": None},
)

STOCK_COUNTS = Table(
    name="stock_counts",
    grain="One row per physical count of one SKU in one warehouse.",
    key=("warehouse_id", "sku", "counted_at"),
    kind="event",
    parents={"sku": ("products", "sku"), "warehouse_id": ("warehouses", "warehouse_id")},
    schema=_schema(
        "stock_counts",
        {
            "warehouse_id": _id("Warehouse counted."),
            "sku": _id("Product counted."),
            "counted_at": _ts("When the count was taken (UTC)."),
            "counted_quantity": _qty("Units found on the shelf.", pa.Check.ge(0)),
        },
    ),
)

PURCHASE_ORDERS = Table(
    name="purchase_orders",
    grain="One row per purchase order to a supplier.",
    key=("po_id",),
    kind="entity",
    parents={
        "supplier_id": ("suppliers", "supplier_id"),
        "warehouse_id": ("warehouses", "warehouse_id"),
    },
    schema=_schema(
        "purchase_orders",
        {
            "po_id": _id("Purchase order number."),
            "supplier_id": _id("Supplier ordered from."),
            "warehouse_id": _id("Warehouse it is delivered to."),
            "ordered_date": _col(pl.Date, "Date it was placed."),
            "expected_date": _col(pl.Date, "Date the supplier promised.", nullable=True),
            "status": _enum(PO_STATUSES, "Where it stands."),
        },
    ),
    defaults={"expected_date": None, "status": "open"},
)

PURCHASE_ORDER_LINES = Table(
    name="purchase_order_lines",
    grain="One row per line of a purchase order.",
    key=("po_id", "line_number"),
    kind="entity",
    parents={"po_id": ("purchase_orders", "po_id"), "sku": ("products", "sku")},
    schema=_schema(
        "purchase_order_lines",
        {
            "po_id": _id("Purchase order it belongs to."),
            "line_number": _qty("Line position (1, 2, ...).", pa.Check.ge(1)),
            "sku": _id("Product ordered."),
            "ordered_quantity": _qty("Units ordered.", pa.Check.gt(0)),
            "unit_cost": _money("Agreed cost of one unit.", pa.Check.ge(0)),
            "expected_date": _col(pl.Date, "Expected receipt date of this line.", nullable=True),
            "received_quantity": _qty("Units received so far.", pa.Check.ge(0)),
            "received_date": _col(pl.Date, "Date of the (last) receipt.", nullable=True),
        },
    ),
    defaults={"expected_date": None, "received_quantity": 0, "received_date": None},
)

SHIPMENTS = Table(
    name="shipments",
    grain="One row per parcel handed to a carrier.",
    key=("shipment_id",),
    kind="entity",
    # No parent check on warehouse_id: a carrier's or an ERP's shipment history names
    # warehouses the warehouse list may never hold, and the parcel still shipped.
    parents={"order_id": ("orders", "order_id")},
    schema=_schema(
        "shipments",
        {
            "shipment_id": _id("Shipment number."),
            "order_id": _id("Order shipped."),
            "warehouse_id": _id(
                "Warehouse it left from, as the source names it (need not be a known "
                "warehouse); empty when unknown.",
                nullable=True,
            ),
            "carrier": _text("Carrier; empty when unknown.", max_len=NAME_MAX_LENGTH),
            "tracking_number": _text("Carrier's tracking number.", max_len=NAME_MAX_LENGTH),
            "shipped_at": _ts("Handed to the carrier (UTC)."),
            "delivered_at": _ts("Delivered to the customer (UTC).", nullable=True),
        },
    ),
    defaults={
        "warehouse_id": None,
        "carrier": None,
        "tracking_number": None,
        "delivered_at": None,
    },
)

SHIPMENT_EVENTS = Table(
    name="shipment_events",
    grain="One row per carrier tracking event.",
    key=("shipment_id", "event_at", "status"),
    kind="event",
    parents={"shipment_id": ("shipments", "shipment_id")},
    schema=_schema(
        "shipment_events",
        {
            "shipment_id": _id("Shipment tracked."),
            "event_at": _ts("When (UTC)."),
            "status": _enum(SHIPMENT_EVENT_STATUSES, "Tracking status."),
            "location": _text("Where, as the carrier reports it.", max_len=128),
        },
    ),
    defaults={"location": None},
)

RETURNS = Table(
    name="returns",
    grain="One row per returned product of an order (or per cancelled line).",
    key=("return_id",),
    kind="entity",
    parents={
        "order_id": ("orders", "order_id"),
        "customer_id": ("customers", "customer_id"),
        "sku": ("products", "sku"),
    },
    schema=_schema(
        "returns",
        {
            "return_id": _id("Return number."),
            "order_id": _id("Order returned from (null when the source does not say).", True),
            "customer_id": _id("Customer returning.", nullable=True),
            "sku": _id("Product returned."),
            "quantity": _qty("Units returned.", pa.Check.gt(0)),
            "reason": _enum(RETURN_REASONS, "Why."),
            "refund_amount": _money("Amount refunded.", pa.Check.ge(0)),
            "returned_at": _ts("When the return was received (UTC)."),
            "is_restocked": _col(pl.Boolean, "Whether the units went back into stock."),
        },
    ),
    defaults={"order_id": None, "customer_id": None, "reason": "other", "is_restocked": False},
)

SERVICE_TICKETS = Table(
    name="service_tickets",
    grain="One row per customer service ticket.",
    key=("ticket_id",),
    kind="entity",
    parents={"customer_id": ("customers", "customer_id"), "order_id": ("orders", "order_id")},
    schema=_schema(
        "service_tickets",
        {
            "ticket_id": _id("Ticket number."),
            "customer_id": _id("Customer who raised it."),
            "order_id": _id("Order it is about.", nullable=True),
            "ticket_type": _enum(TICKET_TYPES, "Complaint, inquiry or return request."),
            "topic": _enum(TICKET_TOPICS, "What it is about.", nullable=True),
            "carrier": _text(
                "Carrier concerned, for delivery complaints.", max_len=NAME_MAX_LENGTH
            ),
            "opened_at": _ts("Opened (UTC)."),
            "resolved_at": _ts("Resolved (UTC); null while open.", nullable=True),
            "satisfaction_score": _qty(
                "Customer's rating of the resolution, 1 (worst) to 5.",
                pa.Check.in_range(1, 5),
                nullable=True,
            ),
        },
    ),
    defaults={
        "order_id": None,
        "topic": None,
        "carrier": None,
        "resolved_at": None,
        "satisfaction_score": None,
    },
)

# Parents before children: the order a folder's files load in.
TABLES: dict[str, Table] = {
    t.name: t
    for t in [
        SUPPLIERS,
        CUSTOMERS,
        WAREHOUSES,
        PRODUCTS,
        ORDERS,
        ORDER_LINES,
        ORDER_EVENTS,
        PURCHASE_ORDERS,
        PURCHASE_ORDER_LINES,
        STOCK_MOVEMENTS,
        STOCK_COUNTS,
        SHIPMENTS,
        SHIPMENT_EVENTS,
        RETURNS,
        SERVICE_TICKETS,
    ]
}


def load_rank(table: str) -> int:
    """Position of a table in parents-before-children order."""
    return list(TABLES).index(table)


def _duckdb_type(dtype: pl.DataType) -> str:
    if isinstance(dtype, pl.Decimal):
        return f"DECIMAL({dtype.precision}, {dtype.scale})"
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMP"
    for polars_type, sql_type in [
        (pl.String, "VARCHAR"),
        (pl.Int64, "BIGINT"),
        (pl.Boolean, "BOOLEAN"),
        (pl.Date, "DATE"),
        (pl.Float64, "DOUBLE"),
    ]:
        if dtype == polars_type:
            return sql_type
    raise TypeError(f"no DuckDB type for {dtype}")


def create_table_sql(table: Table) -> str:
    """DDL for `raw.<table>`: contract columns plus the batch that last wrote the row.

    No PRIMARY KEY: uniqueness is enforced set-wise by the loader (an index would halve
    load throughput), and checked by dbt tests downstream.
    """
    cols = [
        f"{name} {_duckdb_type(table.dtype(name))}"
        + ("" if table.schema.columns[name].nullable else " NOT NULL")
        for name in table.columns
    ]
    cols.append("_batch_id BIGINT NOT NULL")
    return f"CREATE TABLE IF NOT EXISTS raw.{table.name} (\n  " + ",\n  ".join(cols) + "\n)"


def upgrade_table_sql(table: Table, existing: Mapping[str, bool]) -> list[str]:
    """DDL that brings a `raw.<table>` made by an earlier contract up to this one.

    `existing` maps the table's columns to whether they are nullable. Columns the contract
    added are appended (null in the rows already there, which every added column allows);
    columns the contract relaxed to nullable lose their NOT NULL. Nothing is dropped.
    """
    statements = []
    for name in table.columns:
        nullable = table.schema.columns[name].nullable
        if name not in existing:
            if not nullable:
                raise ValueError(f"raw.{table.name}.{name}: a new column must be nullable")
            statements.append(
                f"ALTER TABLE raw.{table.name} ADD COLUMN {name} {_duckdb_type(table.dtype(name))}"
            )
        elif nullable and not existing[name]:
            statements.append(f"ALTER TABLE raw.{table.name} ALTER COLUMN {name} DROP NOT NULL")
    return statements
