"""The operations simulator: deterministic files that keep the contract and carry the signals
the marts and forecasts are meant to find (peaks, weekdays, Pareto, stockouts, late carrier...).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import polars as pl
import pytest

from pipelines.ingest.contract import TABLES
from pipelines.ingest.simulate import SimulationSummary, simulate
from pipelines.ingest.simulate.catalogue import LATE_CARRIER

END = dt.date(2025, 12, 31)  # 120 days back covers Singles' Day and Black Friday 2025
ARGS = {"orders": 2_000, "days": 120, "seed": 3, "end_date": END}
LOCAL = pl.duration(hours=8)  # the business runs on China time
STAGES = ["received", "confirmed", "approved", "paid", "allocated", "picked", "packed",
          "shipped", "delivered"]  # fmt: skip
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|\+08:00)$")


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> SimulationSummary:
    return simulate(out=tmp_path_factory.mktemp("sim") / "a", **ARGS)


def _read_raw(path: Path) -> pl.DataFrame:
    if path.suffix == ".csv":
        return pl.read_csv(path, infer_schema=False)
    if path.suffix == ".jsonl":
        return pl.read_ndjson(path, infer_schema_length=None)
    return pl.read_parquet(path)


def _table_of(path: Path) -> str:
    return path.name.split("__")[0].split(".")[0]


def _cast(column: pl.Series, dtype: pl.DataType) -> pl.Series:
    """Strict cast to the contract type: a value that does not fit raises."""
    if column.dtype == pl.Null:
        return column.cast(dtype)
    if isinstance(dtype, pl.Datetime):
        if column.dtype == pl.String:
            text = column.str.replace(r"Z$", "+00:00")
            column = text.str.to_datetime("%Y-%m-%dT%H:%M:%S%:z", time_zone="UTC", strict=True)
        return column.dt.convert_time_zone("UTC").dt.replace_time_zone(None).cast(dtype)
    if column.dtype != pl.String or dtype == pl.String:
        return column.cast(dtype, strict=True)
    if dtype == pl.Boolean:
        assert column.drop_nulls().is_in(["true", "false"]).all()
        return column == "true"
    if dtype == pl.Date:
        return column.str.to_date("%Y-%m-%d", strict=True)
    return column.cast(dtype, strict=True)


@pytest.fixture(scope="module")
def tables(run: SimulationSummary) -> dict[str, pl.DataFrame]:
    """Every table, all its files read and cast to the contract as the loader casts them."""
    parts: dict[str, list[pl.DataFrame]] = {}
    for path in run.files:
        table = _table_of(path)
        raw = _read_raw(path)
        contract = TABLES[table]
        typed = pl.DataFrame([_cast(raw[c], contract.dtype(c)).alias(c) for c in contract.columns])
        parts.setdefault(table, []).append(typed)
    return {t: pl.concat(p) for t, p in parts.items()}


def test_same_seed_and_arguments_write_byte_identical_files(
    run: SimulationSummary, tmp_path: Path
) -> None:
    again = simulate(out=tmp_path / "b", **ARGS)
    assert [p.name for p in again.files] == [p.name for p in run.files]
    for first, second in zip(run.files, again.files, strict=True):
        assert first.read_bytes() == second.read_bytes(), first.name
    other = simulate(out=tmp_path / "c", **{**ARGS, "seed": 4})
    orders = next(p for p in other.files if p.name == "orders__web.csv")
    assert orders.read_bytes() != (run.out / "orders__web.csv").read_bytes()


def test_every_table_is_written_with_exactly_its_contract_columns(run: SimulationSummary) -> None:
    assert {_table_of(p) for p in run.files} == set(TABLES)
    assert {p.suffix for p in run.files} == {".csv", ".jsonl", ".parquet"}
    for path in run.files:
        assert _read_raw(path).columns == TABLES[_table_of(path)].columns, path.name
    assert sum(run.rows.values()) > 0 and run.rows["orders"] == ARGS["orders"]


def test_text_timestamps_carry_an_offset(run: SimulationSummary) -> None:
    for path in run.files:
        if path.suffix == ".parquet":
            continue
        table = TABLES[_table_of(path)]
        raw = _read_raw(path)
        for col in table.columns:
            if isinstance(table.dtype(col), pl.Datetime):
                values = raw[col].drop_nulls().cast(pl.String).to_list()
                assert all(ISO_WITH_OFFSET.match(v) for v in values), (path.name, col)


def test_every_table_passes_its_contract_schema(tables: dict[str, pl.DataFrame]) -> None:
    for name, frame in tables.items():
        TABLES[name].schema.validate(frame, lazy=True)
        assert frame.height > 0, name


def test_keys_are_unique_and_every_foreign_key_has_its_parent(
    tables: dict[str, pl.DataFrame],
) -> None:
    for name, table in TABLES.items():
        frame = tables[name]
        assert frame.select(table.key).is_duplicated().sum() == 0, name
        for column, (parent, parent_column) in table.parents.items():
            known = tables[parent][parent_column]
            orphans = frame.filter(
                pl.col(column).is_not_null() & ~pl.col(column).is_in(known.implode())
            )
            assert orphans.height == 0, (name, column, orphans.head(3))


def test_nothing_happens_after_the_end_date(tables: dict[str, pl.DataFrame]) -> None:
    end = dt.datetime.combine(END + dt.timedelta(days=1), dt.time()) - dt.timedelta(hours=8)
    for name, frame in tables.items():
        for col, dtype in frame.schema.items():
            if isinstance(dtype, pl.Datetime):
                assert (frame[col].drop_nulls() < end).all(), (name, col)


def _daily(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    """Units and orders per local day."""
    lines = tables["order_lines"].join(tables["orders"], on="order_id")
    return (
        lines.group_by((pl.col("ordered_at") + LOCAL).dt.date().alias("day"))
        .agg(pl.col("quantity").sum().alias("units"), pl.col("order_id").n_unique().alias("n"))
        .sort("day")
    )


def test_singles_day_sells_far_more_than_the_median_day(tables: dict[str, pl.DataFrame]) -> None:
    daily = _daily(tables)
    singles = daily.filter(pl.col("day") == dt.date(2025, 11, 11))["units"].item()
    assert singles > 3 * daily["units"].median()
    assert singles == daily["units"].max()


def test_weekends_sell_more_than_weekdays(tables: dict[str, pl.DataFrame]) -> None:
    daily = _daily(tables).with_columns(weekend=pl.col("day").dt.weekday() >= 6)
    median = daily.group_by("weekend").agg(pl.col("n").median()).sort("weekend")["n"]
    assert median[1] > 1.1 * median[0]


def test_a_fifth_of_skus_sells_most_units_and_the_tail_is_intermittent(
    tables: dict[str, pl.DataFrame],
) -> None:
    lines = tables["order_lines"].join(tables["orders"], on="order_id")
    per_sku = (
        lines.group_by("sku")
        .agg(
            pl.col("quantity").sum().alias("units"),
            (pl.col("ordered_at") + LOCAL).dt.date().n_unique().alias("days"),
        )
        .sort("units", descending=True)
    )
    skus = tables["products"].height
    top = per_sku["units"].head(skus // 5).sum() / per_sku["units"].sum()
    assert 0.6 < top < 0.9
    # Most SKUs sell on few days (some never): the long tail forecasts must handle.
    assert per_sku["days"].median() < 0.2 * ARGS["days"]


def test_stock_runs_out_sometimes(tables: dict[str, pl.DataFrame]) -> None:
    events = tables["order_events"]
    short = events.filter(
        pl.col("note").is_in(["out of stock", "backorder released"])
        | pl.col("note").str.starts_with("home warehouse out of stock")
    )
    assert short.height > 0
    book = _book(tables)
    emptied = book.filter(pl.col("book") == 0, pl.col("movement_type") == "sale")
    assert emptied.height > 0


def _book(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    return (
        tables["stock_movements"]
        .sort("moved_at", "movement_id")
        .with_columns(pl.col("quantity").cum_sum().over("sku", "warehouse_id").alias("book"))
    )


def test_book_stock_never_goes_negative_and_counts_match_it_closely(
    tables: dict[str, pl.DataFrame],
) -> None:
    book = _book(tables)
    assert book["book"].min() >= 0
    at_count = tables["stock_counts"].join_asof(
        book.sort("moved_at").select("sku", "warehouse_id", "moved_at", "book"),
        left_on="counted_at",
        right_on="moved_at",
        by=["sku", "warehouse_id"],
        check_sortedness=False,
    )
    diff = at_count["counted_quantity"] - at_count["book"].fill_null(0)
    assert (diff == 0).mean() > 0.8
    assert diff.abs().max() <= 0.05 * book["book"].max() + 2
    assert (diff != 0).any()


def test_transfers_leave_and_arrive_under_one_reference(tables: dict[str, pl.DataFrame]) -> None:
    moves = tables["stock_movements"].filter(pl.col("movement_type").str.starts_with("transfer"))
    assert moves.height > 0
    pairs = moves.group_by("reference_id").agg(
        pl.col("movement_type").sort().alias("types"),
        pl.col("quantity").sum().alias("net"),
        pl.col("warehouse_id").n_unique().alias("warehouses"),
        (
            pl.col("moved_at").filter(pl.col("movement_type") == "transfer_in").first()
            > pl.col("moved_at").filter(pl.col("movement_type") == "transfer_out").first()
        ).alias("later"),
    )
    complete = pairs.filter(pl.col("types").list.len() == 2)
    assert complete.height > 0
    assert complete["types"].to_list()[0] == ["transfer_in", "transfer_out"]
    assert (complete["net"] == 0).all() and (complete["warehouses"] == 2).all()
    assert complete["later"].all()


def test_order_events_follow_the_lifecycle_and_shipments_agree(
    tables: dict[str, pl.DataFrame],
) -> None:
    events = tables["order_events"]
    stages = events.filter(pl.col("event_type").is_in(STAGES)).with_columns(
        rank=pl.col("event_type").replace_strict(STAGES, list(range(len(STAGES))))
    )
    ordered = stages.sort("order_id", "rank").with_columns(
        previous=pl.col("event_at").shift().over("order_id")
    )
    assert (ordered["event_at"] >= ordered["previous"]).drop_nulls().all()
    approved = events.filter(pl.col("event_type") == "approved")["order_id"]
    needs = tables["orders"].filter(pl.col("needs_approval"))["order_id"]
    assert approved.is_in(needs.implode()).all() and approved.len() > 0
    placed = stages.filter(pl.col("rank") >= STAGES.index("allocated"))
    assert placed["warehouse_id"].is_not_null().all() and placed["carrier"].is_not_null().all()
    shipped = events.filter(pl.col("event_type") == "shipped").select("order_id", "event_at")
    delivered = events.filter(pl.col("event_type") == "delivered").select("order_id", "event_at")
    joined = (
        tables["shipments"]
        .join(shipped, on="order_id", how="left")
        .join(delivered, on="order_id", how="left", suffix="_delivered")
    )
    assert (joined["shipped_at"] == joined["event_at"]).all()
    assert joined["delivered_at"].eq_missing(joined["event_at_delivered"]).all()
    assert {"cancelled", "modified", "returned"} <= set(events["event_type"])


def _deliveries(tables: dict[str, pl.DataFrame]) -> pl.DataFrame:
    return (
        tables["shipments"]
        .join(tables["orders"], on="order_id")
        .with_columns(late=(pl.col("delivered_at") + LOCAL).dt.date() > pl.col("promised_date"))
    )


def test_the_late_carrier_is_late_more_often_than_the_others(
    tables: dict[str, pl.DataFrame],
) -> None:
    share = (
        _deliveries(tables)
        .filter(pl.col("delivered_at").is_not_null())
        .group_by(pl.col("carrier") == LATE_CARRIER)
        .agg(pl.col("late").mean())
        .sort("carrier")["late"]
    )
    assert share[1] > 2 * share[0]


def test_late_deliveries_bring_more_complaints_and_lower_satisfaction(
    tables: dict[str, pl.DataFrame],
) -> None:
    tickets = tables["service_tickets"]
    complaints = tickets.filter(pl.col("ticket_type") == "complaint")["order_id"]
    done = _deliveries(tables).filter(pl.col("delivered_at").is_not_null())
    rate = (
        done.with_columns(complained=pl.col("order_id").is_in(complaints.implode()))
        .group_by("late")
        .agg(pl.col("complained").mean())
        .sort("late")["complained"]
    )
    assert rate[1] > 3 * rate[0]
    scores = (
        tickets.join(done.select("order_id", "late"), on="order_id")
        .group_by("late")
        .agg(pl.col("satisfaction_score").mean())
        .sort("late")["satisfaction_score"]
    )
    assert scores[1] < scores[0]


def test_returns_and_refunds_stay_within_what_was_sold(tables: dict[str, pl.DataFrame]) -> None:
    returns = tables["returns"].join(
        tables["order_lines"].group_by("order_id", "sku").agg(pl.col("quantity").sum()),
        on=["order_id", "sku"],
        suffix="_sold",
    )
    assert returns.height == tables["returns"].height
    assert (returns["quantity"] <= returns["quantity_sold"]).all()
    assert set(returns["reason"]) >= {"damaged", "changed_mind", "cancelled"}


def test_purchase_orders_have_variable_lead_times_and_partial_receipts(
    tables: dict[str, pl.DataFrame],
) -> None:
    lines = tables["purchase_order_lines"].join(tables["purchase_orders"], on="po_id")
    received = lines.filter(pl.col("received_date").is_not_null()).with_columns(
        lead=(pl.col("received_date") - pl.col("ordered_date")).dt.total_days()
    )
    spread = received.group_by("supplier_id").agg(pl.col("lead").n_unique())
    assert (spread["lead"] > 1).any()
    assert set(tables["purchase_orders"]["status"]) >= {"received", "open"}
    partial = lines.filter(
        pl.col("received_quantity").is_between(1, pl.col("ordered_quantity") - 1)
    )
    assert partial.height + (tables["purchase_orders"]["status"] == "partially_received").sum() > 0


def test_names_are_chinese_and_english(tables: dict[str, pl.DataFrame]) -> None:
    names = tables["customers"]["customer_name"].drop_nulls()
    assert names.str.contains(r"[\u4e00-\u9fff]").sum() > 0.5 * names.len()
    assert names.str.contains(r"^[A-Za-z ]+$").sum() > 0
    products = tables["products"]["product_name"]
    assert products.str.contains(r"[\u4e00-\u9fff]").all()
    assert products.str.contains(r"[A-Za-z]{3}").all()
    assert tables["orders"]["ship_to_country"].n_unique() > 2


def test_a_rerun_replaces_earlier_exports_and_leaves_other_files(tmp_path: Path) -> None:
    tmp_path.joinpath("orders__fax.csv").write_text("order_id\nX1\n")
    tmp_path.joinpath("notes.txt").write_text("keep me")
    summary = simulate(orders=200, days=30, seed=1, out=tmp_path, end_date=END)
    assert not tmp_path.joinpath("orders__fax.csv").exists()
    assert tmp_path.joinpath("notes.txt").read_text() == "keep me"
    assert sorted(p for p in tmp_path.iterdir() if p.suffix != ".txt") == sorted(summary.files)


def test_too_short_a_span_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least"):
        simulate(orders=10, days=3, seed=1, out=tmp_path)
