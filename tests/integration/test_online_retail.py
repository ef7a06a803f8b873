"""The real UCI Online Retail export end to end: ingest, dbt build, marts.

One module fixture ingests the whole file (541,909 rows) into its own data directory and
runs a real `dbt build`. The tests then check the batch ledger and compare the sales and
RFM marts with an INDEPENDENT computation: plain Polars over the raw CSV file, applying
the mapping's stated rules (pipelines/ingest/mappings/online_retail.yaml) and the metric
definitions of docs/metrics.md directly, never reading the warehouse or the marts to get there.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import polars as pl
import pytest

from pipelines.ingest.api import ingest_paths
from pipelines.ingest.loader import BatchResult
from pipelines.settings import Settings, get_settings
from tests.fixtures.real_data import online_retail_csv
from tests.fixtures.warehouse import dbt_build

REPO = Path(__file__).resolve().parents[2]
RETAIL_CSV = online_retail_csv()
MAPPING = REPO / "pipelines" / "ingest" / "mappings" / "online_retail.yaml"

SOURCE_ROWS = 541_909
SOURCE_TZ = "Europe/London"
GUEST = "GUEST"
# The mapping's product numbering: 5 digits plus optional letters (85123A).
PRODUCT_CODE = r"^[0-9]{5}[A-Za-z]*$"

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("online_retail")]


# --- the independent computation: plain Polars over the raw CSV file -----------------------


def read_source(path: Path = RETAIL_CSV) -> pl.DataFrame:
    """The export as text, exactly as written (no type guessing)."""
    return pl.read_csv(path, infer_schema=False)


def deduplicated(source: pl.DataFrame) -> pl.LazyFrame:
    """Exact duplicate rows (every column equal to an earlier row) count once."""
    return source.lazy().unique(keep="first", maintain_order=True)


def is_stock_note() -> pl.Expr:
    """The mapping's stock notes: zero-priced lines of no customer, not cancellations."""
    return (
        ~pl.col("InvoiceNo").str.starts_with("C")
        & pl.col("CustomerID").is_null()
        & (pl.col("UnitPrice").cast(pl.Float64) == 0)
    )


def typed_product_rows(source: pl.DataFrame) -> pl.LazyFrame:
    """Rows with a catalogue product code, typed, with their UTC time and amount in cents.

    UK local time goes to UTC through the zone database; an ambiguous or non-existent
    local time (the DST switches at 01:00) would raise, so none is silently guessed.
    """
    return (
        deduplicated(source)
        .filter(pl.col("StockCode").str.contains(PRODUCT_CODE))
        .select(
            pl.col("InvoiceNo").alias("invoice"),
            pl.col("InvoiceNo").str.starts_with("C").alias("is_cancellation"),
            is_stock_note().alias("is_stock_note"),
            pl.col("CustomerID").fill_null(GUEST).alias("customer_id"),
            pl.col("Quantity").cast(pl.Int64).alias("quantity"),
            pl.col("UnitPrice").cast(pl.Decimal(18, 3)).alias("unit_price"),
            pl.col("InvoiceDate")
            .str.to_datetime("%Y-%m-%d %H:%M:%S", time_unit="us")
            .dt.replace_time_zone(SOURCE_TZ, ambiguous="raise", non_existent="raise")
            .dt.convert_time_zone("UTC")
            .dt.replace_time_zone(None)
            .alias("at_utc"),
        )
        .with_columns((pl.col("quantity") * pl.col("unit_price")).alias("amount"))
    )


def expected_orders(source: pl.DataFrame) -> pl.DataFrame:
    """One row per counted order: an invoice (not C) of sold product lines.

    Stock notes and lines with a non-positive quantity or a negative price are not sales;
    a zero-priced line of a customer is a free item of its order. Net revenue is quantity x
    price (the export has no discounts); the order is dated by its first line, in UTC.
    """
    return (
        typed_product_rows(source)
        .filter(
            ~pl.col("is_cancellation")
            & ~pl.col("is_stock_note")
            & (pl.col("quantity") > 0)
            & (pl.col("unit_price") >= 0)
        )
        .group_by("invoice")
        .agg(
            pl.col("customer_id").first(),
            pl.col("at_utc").min().alias("ordered_at"),
            pl.col("amount").sum().alias("net_revenue"),
        )
        .with_columns(pl.col("ordered_at").dt.date().alias("ordered_date"))
        .collect()
    )


def expected_refunds(source: pl.DataFrame) -> pl.DataFrame:
    """One row per cancellation line of a product: refund = -quantity x price, in cents."""
    return (
        typed_product_rows(source)
        .filter(pl.col("is_cancellation"))
        .select(
            "customer_id",
            pl.col("at_utc").dt.date().alias("returned_date"),
            (-pl.col("amount")).round(2).alias("refund_amount"),
        )
        .collect()
    )


def expected_monthly_sales(orders: pl.DataFrame) -> pl.DataFrame:
    """Net revenue, orders and distinct ordering customers per UTC month of the order.

    The metrics glossary defines customers as count(distinct customer_id) in this sales mart (the
    guest exclusion is stated for customer marts), so GUEST counts as one customer.
    """
    return (
        orders.group_by(pl.col("ordered_date").dt.truncate("1mo").alias("period_start"))
        .agg(
            pl.col("net_revenue").sum().round(2).alias("net_revenue"),
            pl.col("invoice").n_unique().alias("orders"),
            pl.col("customer_id").n_unique().alias("customers"),
        )
        .sort("period_start")
    )


def ntile(count: int, buckets: int = 5) -> pl.Expr:
    """SQL ntile over 0-based positions: the first (count mod buckets) tiles get one more."""
    size, extra = divmod(count, buckets)
    position = pl.int_range(0, count, dtype=pl.Int64)
    big = extra * (size + 1)
    return (
        pl.when(position < big)
        .then(position // (size + 1) + 1)
        .otherwise(extra + (position - big) // max(size, 1) + 1)
    )


def score(frame: pl.DataFrame, value: str, descending: bool, name: str) -> pl.DataFrame:
    """The glossary's scoring: ntile(5) worst to best, ties by customer_id, equal values share the
    lowest score among them."""
    return (
        frame.sort([value, "customer_id"], descending=[descending, False])
        .with_columns(ntile(frame.height).alias(name))
        .with_columns(pl.col(name).min().over(value))
    )


def segment(r_score: pl.Expr, fm_score: pl.Expr) -> pl.Expr:
    """The glossary's segment table, cell by cell (R score down, FM score across)."""
    table = {
        5: ["new", "potential_loyalists", "potential_loyalists", "champions", "champions"],
        4: ["promising", "potential_loyalists", "potential_loyalists", "loyal", "loyal"],
        3: ["need_attention", "need_attention", "need_attention", "loyal", "loyal"],
        2: ["hibernating", "hibernating", "at_risk", "at_risk", "cant_lose"],
        1: ["lost", "lost", "at_risk", "at_risk", "cant_lose"],
    }
    cells = {f"{r}-{fm}": name for r, row in table.items() for fm, name in enumerate(row, 1)}
    key = pl.format("{}-{}", r_score, fm_score)
    return key.replace_strict(cells, return_dtype=pl.String)


def expected_rfm(orders: pl.DataFrame, refunds: pl.DataFrame) -> pl.DataFrame:
    """One row per real customer with a counted order, scored as of the data clock."""
    clock = orders["ordered_date"].max()
    customers = orders.filter(pl.col("customer_id") != GUEST)
    refunded = (
        refunds.filter((pl.col("customer_id") != GUEST) & (pl.col("returned_date") <= clock))
        .group_by("customer_id")
        .agg(pl.col("refund_amount").sum())
    )
    values = (
        customers.group_by("customer_id")
        .agg(
            pl.len().alias("frequency"),
            pl.col("net_revenue").sum(),
            pl.col("ordered_date").max().alias("last_order_date"),
        )
        .join(refunded, on="customer_id", how="left")
        .select(
            "customer_id",
            (pl.lit(clock) - pl.col("last_order_date")).dt.total_days().alias("recency_days"),
            "frequency",
            (pl.col("net_revenue") - pl.col("refund_amount").fill_null(0))
            .round(2)
            .alias("monetary"),
        )
    )
    scored = score(values, "recency_days", True, "r_score")
    scored = score(scored, "frequency", False, "f_score")
    scored = score(scored, "monetary", False, "m_score")
    return scored.with_columns(
        ((pl.col("f_score") + pl.col("m_score") + 1) // 2).alias("fm_score")
    ).with_columns(segment(pl.col("r_score"), pl.col("fm_score")).alias("segment"))


# --- the pipeline under test ----------------------------------------------------------------


@dataclass(frozen=True)
class Loaded:
    settings: Settings
    first: BatchResult
    again: BatchResult


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Loaded]:
    """The whole file ingested (twice: the second time must be a no-op) and dbt-built."""
    data_dir = tmp_path_factory.mktemp("online_retail")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ORDERLENS_DATA_DIR", str(data_dir))
        patch.setenv("ORDERLENS_LOCK_TIMEOUT", "60")
        settings = get_settings()
        started = time.perf_counter()
        [first] = ingest_paths([RETAIL_CSV], mapping=MAPPING, settings=settings)
        ingest_s = time.perf_counter() - started
        [again] = ingest_paths([RETAIL_CSV], mapping=MAPPING, settings=settings)
        started = time.perf_counter()
        build = dbt_build(settings, data_dir / "dbt_target")
        build_s = time.perf_counter() - started
        assert build.returncode == 0, build.stdout[-4000:]
        print(f"\nonline retail: ingest {ingest_s:.1f} s, dbt build {build_s:.1f} s")
        yield Loaded(settings=settings, first=first, again=again)


def query(settings: Settings, sql: str, params: list[object] | None = None) -> pl.DataFrame:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.sql(sql, params=params or []).pl()


@pytest.fixture(scope="module")
def source() -> pl.DataFrame:
    return read_source()


@pytest.fixture(scope="module")
def orders(source: pl.DataFrame) -> pl.DataFrame:
    return expected_orders(source)


# --- 1. the ledger adds up --------------------------------------------------------------------


def test_every_source_row_is_loaded_quarantined_a_duplicate_or_excluded(loaded: Loaded) -> None:
    first = loaded.first
    print(
        f"\nrows in {first.rows_in}, loaded {first.rows_loaded}, "
        f"quarantined {first.rows_quarantined}, duplicate {first.rows_duplicate}, "
        f"excluded {first.rows_excluded}"
    )
    assert first.rows_in == SOURCE_ROWS
    assert first.rows_in == (
        first.rows_loaded + first.rows_quarantined + first.rows_duplicate + first.rows_excluded
    )
    ledger = query(
        loaded.settings,
        "SELECT rows_in, rows_loaded, rows_quarantined, rows_duplicate, rows_excluded "
        "FROM ops.ingest_batches WHERE batch_id = ?",
        [first.batch_id],
    ).row(0)
    assert ledger == (
        first.rows_in,
        first.rows_loaded,
        first.rows_quarantined,
        first.rows_duplicate,
        first.rows_excluded,
    )


def test_duplicates_are_the_exact_copies_in_the_file(loaded: Loaded, source: pl.DataFrame) -> None:
    expected = source.height - source.unique().height
    assert loaded.first.rows_duplicate == expected


def quarantined(settings: Settings, batch_id: int) -> pl.DataFrame:
    return query(
        settings,
        "SELECT table_name, field, reason_code, reason, status FROM ops.quarantine "
        "WHERE batch_id = ?",
        [batch_id],
    )


def test_quarantine_holds_the_excluded_and_invalid_rows_with_reasons(
    loaded: Loaded, source: pl.DataFrame
) -> None:
    not_products = (
        deduplicated(source).filter(~pl.col("StockCode").str.contains(PRODUCT_CODE)).collect()
    )
    typed = typed_product_rows(source).collect()
    stock_notes = typed.filter(pl.col("is_stock_note")).height
    sales = typed.filter(~pl.col("is_cancellation") & ~pl.col("is_stock_note"))
    bad_quantity = sales.filter(pl.col("quantity") <= 0).height
    bad_price = sales.filter((pl.col("quantity") > 0) & (pl.col("unit_price") < 0)).height
    quarantine = quarantined(loaded.settings, loaded.first.batch_id)
    assert quarantine.filter(pl.col("reason").str.strip_chars() == "").height == 0
    by_place = {
        (table, field, status): n
        for table, field, status, n in quarantine.group_by("table_name", "field", "status")
        .len()
        .iter_rows()
    }
    excluded = not_products.height + stock_notes
    assert by_place[("(mapping)", None, "excluded")] == excluded
    assert by_place.get(("order_lines", "quantity", "held"), 0) == bad_quantity
    assert by_place.get(("order_lines", "unit_price", "held"), 0) == bad_price
    assert loaded.first.rows_excluded == excluded
    assert loaded.first.rows_quarantined == bad_quantity + bad_price


def test_products_named_nowhere_are_held_and_nothing_waits_for_them(
    loaded: Loaded, source: pl.DataFrame
) -> None:
    # A product built from the routed rows needs a name; a code whose every row has an
    # empty Description is held (stock notes, the usual nameless rows, are excluded before
    # products are built). It is a derived row, not a source row, so the ledger does not
    # count it; no loaded line may need it.
    unnamed = (
        deduplicated(source)
        .filter(pl.col("StockCode").str.contains(PRODUCT_CODE))
        .filter(~is_stock_note())  # excluded: no product is built from a stock note
        .group_by("StockCode")
        .agg(pl.col("Description").is_not_null().any().alias("is_named"))
        .filter(~pl.col("is_named"))
        .collect()
    )
    quarantine = quarantined(loaded.settings, loaded.first.batch_id)
    products = quarantine.filter(pl.col("table_name") == "products")
    assert products.height == unnamed.height
    assert set(products["field"]) <= {"product_name"}
    assert quarantine.filter(pl.col("status") == "waiting").height == 0


def test_the_same_file_again_is_a_no_op(loaded: Loaded) -> None:
    assert loaded.again.status == "already_loaded"
    assert (loaded.again.rows_loaded, loaded.again.rows_quarantined) == (0, 0)
    lines = query(loaded.settings, "SELECT count(*) AS n FROM raw.order_lines")["n"][0]
    assert lines == loaded.first.tables["order_lines"].inserted
    held = query(loaded.settings, "SELECT count(*) AS n FROM ops.quarantine")["n"][0]
    assert held == quarantined(loaded.settings, loaded.first.batch_id).height


# --- 2. the marts equal the independent computation -----------------------------------------


def test_monthly_sales_equal_the_independent_computation(
    loaded: Loaded, orders: pl.DataFrame
) -> None:
    expected = expected_monthly_sales(orders)
    mart = query(
        loaded.settings,
        "SELECT period_start, net_revenue, orders, customers FROM marts.sales_periods "
        "WHERE period_type = 'month' AND channel = 'all' ORDER BY period_start",
    )
    print("\nmonth       net_revenue  orders  customers")
    for month, revenue, count, customers in mart.iter_rows():
        print(f"{month}  {revenue:>12}  {count:>6}  {customers:>9}")
    assert mart.rows() == expected.rows()


def test_rfm_segments_equal_the_independent_computation(
    loaded: Loaded, source: pl.DataFrame, orders: pl.DataFrame
) -> None:
    expected = expected_rfm(orders, expected_refunds(source))
    columns = [
        "customer_id",
        "recency_days",
        "frequency",
        "monetary",
        "r_score",
        "f_score",
        "m_score",
        "fm_score",
        "segment",
    ]
    mart = query(
        loaded.settings,
        "SELECT customer_id, recency_days, frequency, monetary, r_score, f_score, m_score, "
        "fm_score, segment FROM marts.customer_rfm",
    )
    counts = mart.group_by("segment").len().sort("len", descending=True)
    print("\n" + "\n".join(f"{name:<20} {n:>5}" for name, n in counts.iter_rows()))
    assert mart.sort("customer_id").select(columns).rows() == (
        expected.sort("customer_id").select(columns).rows()
    )
    assert dict(counts.iter_rows()) == dict(expected.group_by("segment").len().iter_rows())
