"""Fates that say what happened: exclusions, the source-row ledger, the per-table ledger.

Figures are counted by hand from the small export below, never taken from a run.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner
from rich.console import Console

from pipelines import cli
from pipelines.cli import main
from pipelines.ingest.api import ingest_paths
from pipelines.settings import Settings
from pipelines.warehouse import init_warehouse

MAPPING = """
name: fates
source:
  columns: [Inv, Code, Qty, Price, Cust, When]
routes:
  - when: "Code = 'POST'"
    exclude: "postage: not a sale of goods"
  - table: order_lines
tables:
  order_lines:
    columns:
      order_id: Inv
      line_number: {row_number_over: [Inv]}
      sku: Code
      quantity: Qty
      unit_price: Price
  orders:
    key: [order_id]
    columns:
      order_id: Inv
      customer_id: Cust
      channel: {const: web}
      ordered_at: {column: When, agg: min}
  products:
    key: [sku]
    columns:
      sku: Code
      product_name: {const: "a product"}
      list_price: {column: Price, agg: last}
  customers:
    key: [customer_id]
    columns:
      customer_id: Cust
"""

HEADER = "Inv,Code,Qty,Price,Cust,When"
CLEAN = [
    "O1,A,2,1.50,c1,2026-03-02 08:00",
    "O1,POST,1,5.00,c1,2026-03-02 08:00",
    "O2,B,1,3.00,c2,2026-03-03 09:00",
    "O2,POST,1,5.00,c2,2026-03-03 09:00",
    "O2,POST,1,5.00,c2,2026-03-03 09:00",  # an exact copy of the line before
]


def _export(folder: Path, name: str, lines: list[str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


def _mapping(folder: Path, text: str = MAPPING) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "fates.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _rows(settings: Settings, sql: str, params: list | None = None) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_a_clean_load_with_exclusions_only_is_loaded_and_counts_them_as_excluded(
    tmp_path: Path, settings: Settings
) -> None:
    export = _export(tmp_path / "in", "shop.csv", CLEAN)
    (result,) = ingest_paths([export], mapping=_mapping(tmp_path), settings=settings)
    # 5 source rows: 2 sales lines, 2 postage lines excluded, 1 exact copy.
    assert result.status == "loaded"
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (5, 2, 0)
    assert (result.rows_duplicate, result.rows_excluded) == (1, 2)
    assert result.adds_up
    assert _rows(
        settings,
        "SELECT status, rows_in, rows_loaded, rows_quarantined, rows_duplicate, rows_excluded "
        "FROM ops.ingest_batches",
    ) == [("loaded", 5, 2, 0, 1, 2)]
    # Kept with the route's reason, as `excluded`.
    assert _rows(
        settings, "SELECT source_row, table_name, reason, status FROM ops.quarantine ORDER BY 1"
    ) == [
        (2, "(mapping)", "postage: not a sale of goods", "excluded"),
        (4, "(mapping)", "postage: not a sale of goods", "excluded"),
    ]


BROKEN = [
    "O1,A,2,1.50,c1,2026-03-02 08:00",
    "O1,B,x,3.00,c1,2026-03-02 08:00",  # quantity is no number: the line is held
    "O2,A,1,1.50,,2026-03-03 09:00",  # no customer: order O2 and customer '' are held
    "O2,POST,1,5.00,,2026-03-03 09:00",  # excluded
    "O3,C,1,2.00,c3,not a time",  # order O3's time does not read: held, its line waits
]


@pytest.fixture
def wide_console(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI's tables printed wide enough that no cell is cut short."""
    monkeypatch.setattr(cli, "console", Console(width=250))


def _quarantine_list_count(batch_id: int, table: str) -> int:
    runner = CliRunner()
    out = runner.invoke(
        main,
        ["quarantine", "list", "--batch", str(batch_id), "--table", table, "--limit", "1000"],
    )
    assert out.exit_code == 0, out.output
    # One table row per quarantined row, its first cell the quarantine id.
    return len(re.findall(r"^│\s*\d+\s*│", out.output, flags=re.MULTILINE))


def test_the_per_table_ledger_counts_table_rows_and_agrees_with_quarantine_list(
    tmp_path: Path, settings: Settings, wide_console: None
) -> None:
    export = _export(tmp_path / "in", "shop.csv", BROKEN)
    (result,) = ingest_paths([export], mapping=_mapping(tmp_path), settings=settings)
    # Source rows: 1 (O1/A) loads; 2 held (quantity); 3 waits for order O2; 4 excluded;
    # 5 waits for order O3.
    assert (result.rows_in, result.rows_loaded, result.rows_quarantined) == (5, 1, 3)
    assert (result.rows_duplicate, result.rows_excluded, result.status) == (0, 1, "partial")
    tables = {
        name: counts
        for name, *counts in _rows(
            settings,
            "SELECT table_name, rows_built, rows_loaded, rows_quarantined, rows_duplicate "
            "FROM ops.ingest_batch_tables WHERE batch_id = ?",
            [result.batch_id],
        )
    }
    assert tables == {
        # customers c1, c3 load; the empty customer id is missing.
        "customers": [3, 2, 1, 0],
        # products A, B, C (built from every routed row).
        "products": [3, 3, 0, 0],
        # O1 loads; O2 has no customer; O3's time does not read.
        "orders": [3, 1, 2, 0],
        # lines O1/1 load; O1/2 held; O2/1 and O3/1 wait for their orders.
        "order_lines": [4, 1, 3, 0],
    }
    for name, (built, loaded, quarantined, duplicate) in tables.items():
        assert built == loaded + quarantined + duplicate
        assert _quarantine_list_count(result.batch_id, name) == quarantined, name


def test_orderlens_status_shows_excluded_rows_and_a_batch_per_table(
    tmp_path: Path, settings: Settings, wide_console: None
) -> None:
    export = _export(tmp_path / "in", "shop.csv", CLEAN)
    ingest_paths([export], mapping=_mapping(tmp_path), settings=settings)
    runner = CliRunner()
    ledger = runner.invoke(main, ["status"])
    assert ledger.exit_code == 0, ledger.output
    header = next(line for line in ledger.output.splitlines() if "quarantined" in line)
    row = next(line for line in ledger.output.splitlines() if "shop.csv" in line)
    cells = dict(
        zip(
            [c.strip() for c in header.split("┃")[1:-1]],
            [c.strip() for c in row.split("│")[1:-1]],
            strict=True,
        )
    )
    assert (cells["status"], cells["in"], cells["loaded"]) == ("loaded", "5", "2")
    assert (cells["duplicate"], cells["excluded"], cells["quarantined"]) == ("1", "2", "0")
    per_table = runner.invoke(main, ["status", "--batch", "1"])
    assert per_table.exit_code == 0, per_table.output
    assert re.search(r"│ order_lines\s*│\s*2\s*│\s*2\s*│\s*0\s*│\s*0\s*│", per_table.output)


OLD_OPS = [
    """CREATE TABLE ops.ingest_batches (
        batch_id BIGINT NOT NULL, source VARCHAR NOT NULL, file_sha256 VARCHAR, mapping VARCHAR,
        tables VARCHAR, status VARCHAR NOT NULL, started_at TIMESTAMP NOT NULL,
        finished_at TIMESTAMP NOT NULL, rows_in BIGINT NOT NULL, rows_loaded BIGINT NOT NULL,
        rows_quarantined BIGINT NOT NULL, rows_duplicate BIGINT NOT NULL,
        rows_released BIGINT NOT NULL DEFAULT 0, message VARCHAR)""",
    """CREATE TABLE ops.ingest_batch_tables (
        batch_id BIGINT NOT NULL, table_name VARCHAR NOT NULL, rows_in BIGINT NOT NULL,
        rows_inserted BIGINT NOT NULL, rows_updated BIGINT NOT NULL,
        rows_quarantined BIGINT NOT NULL, rows_duplicate BIGINT NOT NULL,
        rows_released BIGINT NOT NULL DEFAULT 0)""",
    """CREATE TABLE ops.quarantine (
        quarantine_id BIGINT NOT NULL, batch_id BIGINT NOT NULL, source VARCHAR NOT NULL,
        source_row BIGINT, table_name VARCHAR NOT NULL, field VARCHAR,
        reason_code VARCHAR NOT NULL, reason VARCHAR NOT NULL, errors JSON,
        record JSON NOT NULL, source_tz VARCHAR, status VARCHAR NOT NULL,
        resolved_batch_id BIGINT, resolved_at TIMESTAMP)""",
]


@pytest.mark.parametrize("openings", [1, 2])
def test_a_warehouse_of_the_earlier_ledger_is_migrated_in_place(
    tmp_path: Path, openings: int
) -> None:
    warehouse = tmp_path / "old.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA ops")
        for ddl in OLD_OPS:
            con.execute(ddl)
        # Batch 1: 10 rows, 7 loaded, 3 "quarantined" of which 2 were exclusions.
        # Batch 2: 4 rows, 3 loaded, 1 "quarantined", an exclusion: a clean load really.
        con.execute(
            "INSERT INTO ops.ingest_batches VALUES "
            "(1, 'a.csv', 'sha-a', 'm', 'order_lines', 'partial', now(), now(), 10, 7, 3, 0, 0,"
            " NULL),"
            "(2, 'b.csv', 'sha-b', 'm', 'order_lines', 'partial', now(), now(), 4, 3, 1, 0, 0,"
            " NULL)"
        )
        con.execute(
            "INSERT INTO ops.ingest_batch_tables VALUES (1, 'order_lines', 8, 6, 1, 1, 0, 0)"
        )
        con.execute(
            "INSERT INTO ops.quarantine (quarantine_id, batch_id, source, table_name, "
            "reason_code, reason, record, status) VALUES "
            "(1, 1, 'a.csv', '(mapping)', 'excluded_by_mapping', 'postage', '{}', 'excluded'),"
            "(2, 1, 'a.csv', '(mapping)', 'excluded_by_mapping', 'postage', '{}', 'excluded'),"
            "(3, 1, 'a.csv', 'order_lines', 'type', 'quantity: x', '{}', 'held'),"
            "(4, 2, 'b.csv', '(mapping)', 'excluded_by_mapping', 'postage', '{}', 'excluded')"
        )
    for _ in range(openings):  # a second opening changes nothing
        with duckdb.connect(str(warehouse)) as con:
            init_warehouse(con)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        batches = con.execute(
            "SELECT batch_id, status, rows_in, rows_loaded, rows_quarantined, rows_excluded, "
            "mapping_digest, superseded_by FROM ops.ingest_batches ORDER BY 1"
        ).fetchall()
        tables = con.execute(
            "SELECT batch_id, table_name, rows_built, rows_loaded, rows_quarantined, "
            "rows_duplicate, rows_inserted, rows_updated FROM ops.ingest_batch_tables"
        ).fetchall()
    assert batches == [
        (1, "partial", 10, 7, 1, 2, None, None),
        (2, "loaded", 4, 3, 0, 1, None, None),
    ]
    assert tables == [(1, "order_lines", 8, 7, 1, 0, 6, 1)]
