"""A catalogue of export shapes a real business sends, each loaded with ONE mapping file.

For every shape the test writes the export itself, ingests it, builds the sales, customer
and efficiency marts with a real `dbt build` in a business time zone other than UTC, and
compares the marts with figures computed INDEPENDENTLY from the source files (plain Python
and Polars; nothing below imports `pipelines` to get an expected figure):
  (a) a marketplace export in five files (one row per order with lifecycle timestamp columns
      and a status, local times without offset; items, payments, customers, products);
  (b) an id-less, whitespace-separated till log with line totals, in which identical lines
      are separate purchases and some lines are free;
  (c) a CR-only, BOM-prefixed ERP export with long descriptions, lines without an order date
      and zero-priced lines;
  (d) the ERP export ingested with a mapping that forgot its time zone, then again with the
      corrected mapping: the corrected load replaces the first.
Figures: revenue by day and month, orders, customers, cohort sizes, stage durations and the
weekly median of the order cycle, the on-time rate. Every source row's fate is accounted.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from statistics import median
from zoneinfo import ZoneInfo

import duckdb
import polars as pl
import pytest

from pipelines.build import build_all
from pipelines.ingest.api import ingest_paths
from pipelines.settings import Settings, get_settings
from tests.fixtures.warehouse import run_dbt
from tests.ingest.test_mapping_export import MAPPING as MARKETPLACE_MAPPING
from tests.ingest.test_mapping_export import _write_export as write_marketplace

pytestmark = [pytest.mark.slow]

MAPPINGS = Path(__file__).parent / "mappings"
UTC = ZoneInfo("UTC")
CENT = Decimal("0.01")
# The marts the figures come from, everything they are built from, and what hangs on them.
SELECTION = ["@int_orders_classified", "@int_order_events_pivoted"]


# --- the independent side: what a business would compute by hand -------------------------


@dataclass
class Order:
    """One counted order as the export states it, its times in UTC."""

    customer: str
    ordered_at: datetime
    revenue: Decimal = Decimal(0)
    promised: date | None = None
    shipped_at: datetime | None = None
    delivered_at: datetime | None = None


@dataclass
class Expected:
    zone: ZoneInfo
    orders: dict[str, Order] = field(default_factory=dict)
    guests: set[str] = field(default_factory=set)  # catch-all accounts: in no cohort

    def local(self, moment: datetime) -> datetime:
        return moment.replace(tzinfo=UTC).astimezone(self.zone).replace(tzinfo=None)

    def daily_revenue(self) -> dict[date, Decimal]:
        days: dict[date, Decimal] = defaultdict(Decimal)
        for order in self.orders.values():
            days[self.local(order.ordered_at).date()] += order.revenue
        return dict(days)

    def monthly(self) -> dict[date, tuple[int, int, Decimal]]:
        """(orders, customers, revenue) by the first day of the local month."""
        months: dict[date, list] = defaultdict(lambda: [0, set(), Decimal(0)])
        for order in self.orders.values():
            month = self.local(order.ordered_at).date().replace(day=1)
            months[month][0] += 1
            months[month][1].add(order.customer)
            months[month][2] += order.revenue
        return {m: (n, len(c), r) for m, (n, c, r) in months.items()}

    def cohort_sizes(self) -> dict[date, int]:
        first: dict[str, date] = {}
        for order in self.orders.values():
            if order.customer in self.guests:
                continue
            month = self.local(order.ordered_at).date().replace(day=1)
            first[order.customer] = min(first.get(order.customer, month), month)
        sizes: dict[date, int] = defaultdict(int)
        for month in first.values():
            sizes[month] += 1
        return dict(sizes)

    def cycle_hours(self) -> dict[str, float]:
        """Order placed to delivered, in hours, for delivered orders."""
        return {
            order_id: (o.delivered_at - o.ordered_at).total_seconds() / 3600
            for order_id, o in self.orders.items()
            if o.delivered_at is not None
        }

    def weekly_cycle_median(self) -> dict[date, float]:
        """Median order cycle by the local week (Monday) the orders were delivered in."""
        weeks: dict[date, list[float]] = defaultdict(list)
        for order_id, hours in self.cycle_hours().items():
            delivered = self.local(self.orders[order_id].delivered_at).date()
            weeks[delivered - timedelta(days=delivered.weekday())].append(hours)
        return {week: median(hours) for week, hours in weeks.items()}

    def on_time(self) -> tuple[int, int]:
        """(on time, delivered with a promise): delivered on or before the local promised day."""
        known = [
            o for o in self.orders.values() if o.delivered_at is not None and o.promised is not None
        ]
        late = [o for o in known if self.local(o.delivered_at).date() > o.promised]
        return len(known) - len(late), len(known)


# --- the marts ---------------------------------------------------------------------------------


def _build(settings: Settings, work: Path) -> None:
    result = run_dbt(
        settings.warehouse_path,
        work,
        "build",
        "--select",
        *SELECTION,
        "--indirect-selection",
        "cautious",
        "--exclude-resource-type",
        "unit_test",
    )
    assert result.returncode == 0, result.stdout[-4000:]


def _check_marts(settings: Settings, expected: Expected) -> None:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:

        def rows(sql: str) -> list[tuple]:
            return con.sql(sql).fetchall()

        daily = dict(rows("select sales_date, sum(net_revenue) from marts.daily_sales group by 1"))
        assert daily == expected.daily_revenue()
        monthly = {
            month: (orders, customers, revenue)
            for month, orders, customers, revenue in rows(
                "select period_start, orders, customers, net_revenue from marts.sales_periods "
                "where period_type = 'month' and channel = 'all'"
            )
        }
        assert monthly == expected.monthly()
        cohorts = dict(
            rows(
                "select cohort_month, cohort_size from marts.customer_cohorts "
                "where months_since_first = 0"
            )
        )
        assert cohorts == expected.cohort_sizes()
        cycles = dict(
            rows(
                "select order_id, duration_hours from marts.order_stage_durations "
                "where stage = 'order_cycle' and stage_status = 'completed'"
            )
        )
        assert cycles == pytest.approx(expected.cycle_hours())
        weekly = dict(
            rows(
                "select week_start, p50_duration_hours from marts.stage_performance_weekly "
                "where stage = 'order_cycle' and orders > 0"
            )
        )
        assert weekly == pytest.approx(expected.weekly_cycle_median())
        on_time = rows(
            "select sum(on_time_orders), sum(on_time_known_orders) "
            "from marts.fulfilment_rates_weekly"
        )[0]
        assert tuple(int(v or 0) for v in on_time) == expected.on_time()


def _settings(root: Path, zone: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("ORDERLENS_DATA_DIR", str(root / "data"))
    monkeypatch.setenv("ORDERLENS_BUSINESS_TIMEZONE", zone)
    settings = get_settings()
    settings.data_dir.mkdir(parents=True)
    return settings


def _fates_add_up(settings: Settings, batch_id: int, rows_in: int) -> None:
    """The ledger's fates count every source row; its table ledger matches the quarantine."""
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        ledger = con.execute(
            "select rows_in, rows_loaded + rows_quarantined + rows_duplicate + rows_excluded "
            "from ops.ingest_batches where batch_id = ?",
            [batch_id],
        ).fetchall()
        tables = con.execute(
            "select t.table_name, t.rows_quarantined, count(q.quarantine_id) "
            "from ops.ingest_batch_tables t left join ops.quarantine q "
            "on q.batch_id = t.batch_id and q.table_name = t.table_name "
            "and q.status in ('held', 'waiting') "
            "where t.batch_id = ? group by all",
            [batch_id],
        ).fetchall()
    assert ledger == [(rows_in, rows_in)]
    assert all(counted == listed for _, counted, listed in tables), tables


# --- (a) a marketplace export in five files -----------------------------------------------------

SAO_PAULO = ZoneInfo("America/Sao_Paulo")
STAMP = "%Y-%m-%d %H:%M:%S"


def _marketplace_expected(paths: dict[str, Path]) -> Expected:
    orders = pl.read_csv(paths["orders"], infer_schema=False)
    items = pl.read_csv(paths["items"], infer_schema=False)
    persons = dict(
        pl.read_csv(paths["customers"], infer_schema=False)
        .select("customer_id", "customer_unique_id")
        .iter_rows()
    )
    expected = Expected(zone=SAO_PAULO)

    def utc(text: str | None) -> datetime | None:
        if not text:
            return None
        moment = datetime.strptime(text, STAMP).replace(tzinfo=SAO_PAULO)
        return moment.astimezone(UTC).replace(tzinfo=None)

    for row in orders.iter_rows(named=True):
        if row["order_status"] in ("canceled", "unavailable"):  # cancelled: no sale
            continue
        expected.orders[row["order_id"]] = Order(
            customer=persons[row["customer_id"]],
            ordered_at=utc(row["order_purchase_timestamp"]),
            promised=datetime.strptime(row["order_estimated_delivery_date"], STAMP).date(),
            shipped_at=utc(row["order_delivered_carrier_date"]),
            delivered_at=utc(row["order_delivered_customer_date"]),
        )
    for order_id, price in items.select("order_id", "price").iter_rows():
        if order_id in expected.orders:
            expected.orders[order_id].revenue += Decimal(price)
    return expected


def test_a_marketplace_export_in_five_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    settings = _settings(tmp_path, "America/Sao_Paulo", monkeypatch)
    paths = write_marketplace(tmp_path / "export", seed=3)
    (result,) = ingest_paths([tmp_path / "export"], mapping=MARKETPLACE_MAPPING, settings=settings)
    rows_in = sum(pl.read_csv(p, infer_schema=False).height for p in paths.values())
    _fates_add_up(settings, result.batch_id, rows_in)
    _build(settings, tmp_path / "dbt")
    _check_marts(settings, _marketplace_expected(paths))


# --- (b) an id-less, whitespace-separated till log ----------------------------------------------

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _write_till(path: Path, seed: int = 5) -> list[tuple[str, str, str, str, str]]:
    """Lines of a till log; some identical (separate purchases), some free (total 0)."""
    rng = random.Random(seed)
    lines: list[tuple[str, str, str, str, str]] = []
    for n in range(60):
        day = date(2026, 2, 20) + timedelta(days=rng.randint(0, 20))
        # Late evenings and small hours: the local day differs from the UTC day.
        time = f"{rng.choice([0, 1, 7, 12, 23]):02d}:{rng.randint(0, 59):02d}"
        sku = rng.choice(["TEA-01", "TEA-02", "CUP-9", "GIFT-BAG"])
        qty = rng.randint(1, 4)
        total = "0.00" if sku == "GIFT-BAG" else f"{qty * rng.choice([12, 25, 38.5]):.2f}"
        lines.append((day.isoformat(), time, sku, str(qty), total))
        if n % 10 == 0:
            lines.append(lines[-1])  # the same purchase again: another customer's
    header = ("day", "time", "sku", "qty", "total")
    widths = (12, 7, 10, 5, 8)
    text = "\n".join(
        "".join(value.ljust(width) for value, width in zip(row, widths, strict=True)).rstrip()
        for row in [header, *lines]
    )
    path.write_text(text + "\n", encoding="utf-8")
    return lines


def _till_expected(lines: list[tuple[str, str, str, str, str]]) -> Expected:
    expected = Expected(zone=SHANGHAI, guests={"WALK-IN"})
    for number, (day, time, _sku, _qty, total) in enumerate(lines):
        local = datetime.fromisoformat(f"{day} {time}").replace(tzinfo=SHANGHAI)
        expected.orders[f"line{number}"] = Order(
            customer="WALK-IN",
            ordered_at=local.astimezone(UTC).replace(tzinfo=None),
            revenue=Decimal(total),
        )
    return expected


def test_an_id_less_whitespace_till_log_with_line_totals(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    settings = _settings(tmp_path, "Asia/Shanghai", monkeypatch)
    lines = _write_till(tmp_path / "till.txt")
    mapping = MAPPINGS / "till_whitespace.yaml"
    (result,) = ingest_paths([tmp_path / "till.txt"], mapping=mapping, settings=settings)
    assert (result.status, result.rows_in, result.rows_loaded) == ("loaded", len(lines), len(lines))
    _fates_add_up(settings, result.batch_id, len(lines))
    # Loaded again with more lines appended (a cumulative re-export): only the new ones come.
    more = _write_till(tmp_path / "till_more.txt", seed=5)
    extra = [("2026-03-12", "23:40", "TEA-01", "1", "12.00")] * 2
    text = (tmp_path / "till_more.txt").read_text(encoding="utf-8")
    text += "".join("2026-03-12  23:40  TEA-01    1    12.00\n" for _ in extra)
    (tmp_path / "till_more.txt").write_text(text, encoding="utf-8")
    (again,) = ingest_paths([tmp_path / "till_more.txt"], mapping=mapping, settings=settings)
    assert again.rows_in == len(more) + 2
    assert again.tables["order_lines"].inserted == 2
    _build(settings, tmp_path / "dbt")
    _check_marts(settings, _till_expected(lines + extra))


# --- (c) and (d): an ERP's CR-only, BOM-prefixed export ------------------------------------------

ERP_COLUMNS = [
    "OrderNo",
    "LineNo",
    "Item",
    "Description",
    "Qty",
    "UnitPrice",
    "OrderDate",
    "Customer",
    "Promised",
    "Shipped",
    "Delivered",
]
ERP_STAMP = "%d/%m/%Y %H:%M"


@dataclass
class ErpExport:
    path: Path
    rows: list[dict[str, str]]
    undated_orders: set[str]


def _write_erp(path: Path, seed: int = 9) -> ErpExport:
    rng = random.Random(seed)
    words = ["stainless", "steel", "tea", "kettle", "with", "a", "whistle,", "1.7 litre", "茶壶"]
    rows: list[dict[str, str]] = []
    undated: set[str] = set()
    for n in range(30):
        order = f"SO-{1000 + n}"
        placed = datetime(2026, 1, 26, 0, 10) + timedelta(minutes=rng.randint(0, 60 * 24 * 35))
        shipped = placed + timedelta(hours=rng.randint(4, 60))
        delivered = shipped + timedelta(hours=rng.randint(10, 120)) if n % 4 else None
        promised = (placed + timedelta(days=rng.randint(2, 5))).strftime("%d/%m/%Y")
        customer = f"CUST-{rng.randint(1, 9)}"
        for line in range(1, rng.randint(1, 3) + 1):
            sample = line == 2 and n % 3 == 0  # a free sample rides along
            item = f"ITEM-{rng.randint(1, 6)}"
            description = " ".join(rng.choice(words) for _ in range(rng.randint(20, 60)))
            rows.append(
                {
                    "OrderNo": order,
                    "LineNo": str(line),
                    "Item": item,
                    "Description": description[:480],
                    "Qty": str(rng.randint(1, 20)),
                    "UnitPrice": "0.00" if sample else f"{rng.randint(300, 9000) / 100:.2f}",
                    "OrderDate": placed.strftime(ERP_STAMP),
                    "Customer": customer,
                    "Promised": promised,
                    "Shipped": shipped.strftime(ERP_STAMP),
                    "Delivered": delivered.strftime(ERP_STAMP) if delivered else "",
                }
            )
        if n in (4, 17):  # the ERP lost the order date of every line: nothing dates the order
            undated.add(order)
            for row in rows:
                if row["OrderNo"] == order:
                    row["OrderDate"] = ""
        if n == 8:  # the date is missing on one line only: the order keeps its date
            rows[-1]["OrderDate"] = ""
    frame = pl.DataFrame(rows, schema=dict.fromkeys(ERP_COLUMNS, pl.String))
    csv_text = frame.write_csv(line_terminator="\r")  # old Mac / Excel: CR only
    path.write_bytes(b"\xef\xbb\xbf" + csv_text.encode("utf-8"))
    return ErpExport(path=path, rows=rows, undated_orders=undated)


def _erp_expected(export: ErpExport) -> Expected:
    expected = Expected(zone=SHANGHAI)

    def utc(text: str) -> datetime | None:
        if not text:
            return None
        local = datetime.strptime(text, ERP_STAMP).replace(tzinfo=SHANGHAI)
        return local.astimezone(UTC).replace(tzinfo=None)

    for row in export.rows:
        if row["OrderNo"] in export.undated_orders:
            continue  # held back: an order needs the time it was placed
        placed = utc(row["OrderDate"])
        order = expected.orders.setdefault(
            row["OrderNo"],
            Order(
                customer=row["Customer"],
                ordered_at=placed or datetime.max,
                promised=datetime.strptime(row["Promised"], "%d/%m/%Y").date(),
                shipped_at=utc(row["Shipped"]),
                delivered_at=utc(row["Delivered"]),
            ),
        )
        if placed is not None:
            order.ordered_at = min(order.ordered_at, placed)
        order.revenue += (Decimal(row["Qty"]) * Decimal(row["UnitPrice"])).quantize(CENT)
    return expected


def _held_lines(export: ErpExport) -> int:
    return sum(1 for row in export.rows if row["OrderNo"] in export.undated_orders)


def test_a_cr_only_bom_erp_export_with_free_lines_and_undated_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    settings = _settings(tmp_path, "Asia/Shanghai", monkeypatch)
    export = _write_erp(tmp_path / "erp_orders.csv")
    mapping = MAPPINGS / "erp_shipments.yaml"
    (result,) = ingest_paths([export.path], mapping=mapping, settings=settings)
    # Lines of the two undated orders wait for their order; every other line loads.
    assert result.rows_in == len(export.rows)
    assert result.rows_quarantined == _held_lines(export)
    assert result.rows_loaded == len(export.rows) - _held_lines(export)
    _fates_add_up(settings, result.batch_id, len(export.rows))
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        held = con.execute(
            "select distinct field from ops.quarantine where batch_id = ? and table_name = "
            "'orders'",
            [result.batch_id],
        ).fetchall()
        names = con.sql("select max(length(product_name)) from raw.products").fetchall()
        free = con.sql("select count(*) from raw.order_lines where unit_price = 0").fetchall()
    assert held == [("ordered_at",)]
    assert names[0][0] > 64  # long descriptions are kept whole
    samples = sum(
        1
        for r in export.rows
        if r["UnitPrice"] == "0.00" and r["OrderNo"] not in export.undated_orders
    )
    assert free == [(samples,)] and samples > 0
    _build(settings, tmp_path / "dbt")
    _check_marts(settings, _erp_expected(export))


def test_a_corrected_mapping_replaces_the_first_load(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    settings = _settings(tmp_path, "Asia/Shanghai", monkeypatch)
    export = _write_erp(tmp_path / "erp_orders.csv", seed=21)
    (first,) = ingest_paths(
        [export.path], mapping=MAPPINGS / "erp_shipments_without_zone.yaml", settings=settings
    )
    _build(settings, tmp_path / "dbt-first")
    (second,) = ingest_paths(
        [export.path], mapping=MAPPINGS / "erp_shipments.yaml", settings=settings
    )
    assert second.status in ("loaded", "partial"), second.message
    _fates_add_up(settings, second.batch_id, len(export.rows))
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        statuses = dict(con.sql("select batch_id, status from ops.ingest_batches").fetchall())
        lines = con.sql("select count(*) from raw.order_lines").fetchall()
    assert statuses[first.batch_id] == "superseded"
    assert lines == [(len(export.rows) - _held_lines(export),)]  # nothing counts twice
    # The build as `orderlens build` runs it: after a supersede it rebuilds everything.
    outcome = build_all(settings)
    assert outcome.success, outcome.log.read_text(encoding="utf-8")[-4000:]
    _check_marts(settings, _erp_expected(export))
