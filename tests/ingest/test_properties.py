"""Property-based: for any batch, the ledger adds up and a second ingest changes nothing."""

from __future__ import annotations

import duckdb
import polars as pl
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from pipelines.ingest.api import ingest_frame
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
