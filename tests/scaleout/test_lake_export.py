"""The export to the lake carries over every change: the current rows it describes (each key's
newest row, without the keys flagged deleted, as Spark's staging reads them) are the warehouse's
raw tables after new batches, partial updates and superseded batches. No Spark needed."""

# ruff: noqa: S608 - table and column names come from the ingest contract, not from input.

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.api import ingest_paths
from pipelines.ingest.contract import TABLES
from pipelines.settings import Settings
from pipelines.transform.lake import export_raw
from tests.ingest.test_supersede import CORRECTED, EXPORT, FIRST, HEADER


def lake_differences(settings: Settings) -> dict[str, tuple[int, int]]:
    """table -> (rows only the lake's current rows have, rows only raw has), where they differ."""
    out = {}
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        for name, table in TABLES.items():
            files = str(settings.lake_dir / "raw" / name / "*.parquet")
            columns = ", ".join([*table.columns, "_batch_id"])
            keys = ", ".join(table.key)
            current = (
                f"SELECT {columns} FROM (SELECT *, row_number() OVER (PARTITION BY {keys} "
                f"ORDER BY _batch_id DESC) AS version FROM read_parquet($files)) "
                "WHERE version = 1 AND NOT is_deleted"
            )
            raw = f"SELECT {columns} FROM raw.{name}"
            extra = con.execute(
                f"SELECT count(*) FROM ({current} EXCEPT ALL {raw})", {"files": files}
            )
            [(only_lake,)] = extra.fetchall()
            missing = con.execute(
                f"SELECT count(*) FROM ({raw} EXCEPT ALL {current})", {"files": files}
            )
            [(only_raw,)] = missing.fetchall()
            if only_lake or only_raw:
                out[name] = (only_lake, only_raw)
    return out


@pytest.fixture
def export(tmp_path: Path) -> tuple[Path, Path, Path]:
    path = tmp_path / "in" / "shop.csv"
    path.parent.mkdir()
    path.write_text("\n".join([HEADER, *EXPORT]) + "\n", encoding="utf-8")
    first, corrected = tmp_path / "first.yaml", tmp_path / "corrected.yaml"
    first.write_text(FIRST, encoding="utf-8")
    corrected.write_text(CORRECTED, encoding="utf-8")
    return path, first, corrected


def test_a_superseding_batch_exports_the_keys_it_removed_as_deleted(settings, export):
    path, first, corrected = export
    ingest_paths([path], mapping=first, settings=settings)
    initial = export_raw(settings)
    assert initial.full and initial.rows["orders"] == 3  # O1, O2 and the test order O3
    assert lake_differences(settings) == {}

    ingest_paths([path], mapping=corrected, settings=settings)  # drops the test order O3
    update = export_raw(settings)
    assert not update.full
    assert update.deleted["orders"] == 1  # O3
    assert lake_differences(settings) == {}


def test_an_export_appends_only_the_rows_new_batches_wrote(settings, tmp_path):
    folder = tmp_path / "sim"
    from pipelines.ingest.simulate import simulate

    simulate(orders=40, days=10, seed=3, out=folder)
    ingest_paths([folder], settings=settings)
    export_raw(settings)
    # A partial update of one order: its header again with another city.
    orders = tmp_path / "update" / "orders.csv"
    orders.parent.mkdir()
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        con.sql(
            "SELECT * EXCLUDE (_batch_id) REPLACE ('Elsewhere' AS ship_to_city) "
            "FROM raw.orders ORDER BY order_id LIMIT 1"
        ).write_csv(str(orders))
    ingest_paths([orders], settings=settings)
    again = export_raw(settings)
    assert not again.full
    assert again.rows["orders"] == 1 and sum(again.rows.values()) == 1
    assert lake_differences(settings) == {}
    # Nothing new: nothing appended.
    assert sum(export_raw(settings).rows.values()) == 0
    # A full export starts the lake afresh, one file per table.
    full = export_raw(settings, full=True)
    assert full.full and full.rows["orders"] == 40
    assert len(list((settings.lake_dir / "raw" / "orders").glob("*.parquet"))) == 1
    assert lake_differences(settings) == {}
