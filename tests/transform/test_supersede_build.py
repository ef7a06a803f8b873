"""After a supersede, the next (incremental) build leaves no trace of the replaced batch.

Warehouse `replaced`: the export ingested with a wrong mapping, built, ingested again with the
corrected mapping (which supersedes the first batch and drops a test order), built again the
way the Dagster dbt asset does: an incremental build, since int_changes lists the superseded
batch as a change of every date. Warehouse `fresh`: the export ingested with the corrected
mapping only, built once. Every mart of the business must hold the same rows in both, and
`replaced` rebuilt from scratch must hold the same intermediate and mart rows as `replaced`.
"""

# ruff: noqa: S608 - table names come from the catalog itself, not from input.

from __future__ import annotations

import shutil
from collections.abc import Collection
from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.api import ingest_paths
from pipelines.settings import Settings
from pipelines.transform.state import full_build_reason
from tests.fixtures.warehouse import run_dbt
from tests.ingest.test_supersede import CORRECTED, EXPORT, FIRST, HEADER

pytestmark = [pytest.mark.slow]

# The ingest's own history: it rightly shows the superseded batch's rows in one of them.
NOT_BUSINESS = {"ingest_quarantine_daily"}


def _build(settings: Settings, work: Path, *args: str) -> None:
    if full_build_reason(settings) is not None:
        args = (*args, "--full-refresh")  # what pipelines/transform/dbt.py does
    result = run_dbt(settings.warehouse_path, work, "build", *args)
    assert result.returncode == 0, result.stdout[-4000:]


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("supersede_build")
    export = root / "in" / "shop.csv"
    export.parent.mkdir()
    export.write_text("\n".join([HEADER, *EXPORT]) + "\n", encoding="utf-8")
    first, corrected = root / "first.yaml", root / "corrected.yaml"
    first.write_text(FIRST, encoding="utf-8")
    corrected.write_text(CORRECTED, encoding="utf-8")

    replaced = Settings(data_dir=root / "replaced", lock_timeout_s=30, source_timezone="UTC")
    fresh = Settings(data_dir=root / "fresh", lock_timeout_s=30, source_timezone="UTC")
    ingest_paths([export], mapping=first, settings=replaced)
    _build(replaced, root / "work-1")
    ingest_paths([export], mapping=corrected, settings=replaced)
    assert full_build_reason(replaced) is None  # the asset's build is an incremental one
    _build(replaced, root / "work-2")
    ingest_paths([export], mapping=corrected, settings=fresh)
    _build(fresh, root / "work-fresh")
    rebuilt = Settings(data_dir=root / "rebuilt", lock_timeout_s=30, source_timezone="UTC")
    rebuilt.data_dir.mkdir()
    shutil.copyfile(replaced.warehouse_path, rebuilt.warehouse_path)
    _build(rebuilt, root / "work-rebuilt", "--full-refresh")
    return {
        "replaced": replaced.warehouse_path,
        "fresh": fresh.warehouse_path,
        "rebuilt": rebuilt.warehouse_path,
    }


def _rows(path: Path, schema: str, skip: Collection[str] = ()) -> dict[str, list[tuple]]:
    """Every table of the schema, its rows sorted; without the columns naming a batch
    (which batch loaded a row or a build absorbed is lineage, not a figure)."""
    with duckdb.connect(str(path), read_only=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = ? ORDER BY 1",
                [schema],
            ).fetchall()
        ]
        rows = {}
        for name in names:
            if name in skip:
                continue
            columns = [
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? "
                    "AND table_name = ? AND column_name NOT LIKE '%batch_id' "
                    "ORDER BY column_index",
                    [schema, name],
                ).fetchall()
            ]
            sql = f"SELECT {', '.join(columns)} FROM {schema}.{name}"
            rows[name] = sorted(con.execute(sql).fetchall(), key=repr)
        return rows


def test_the_build_after_a_supersede_lists_it_as_a_change_of_every_date(
    warehouses: dict[str, Path],
) -> None:
    with duckdb.connect(str(warehouses["replaced"]), read_only=True) as con:
        [(superseded, by)] = con.execute(
            "SELECT batch_id, superseded_by FROM ops.ingest_batches WHERE superseded_by IS NOT NULL"
        ).fetchall()
        listed = con.execute(
            "SELECT entity, first_affected_date FROM intermediate.int_changes "
            "WHERE batch_id = ? AND entity_key = ?",
            [by, f"superseded batch {superseded}"],
        ).fetchall()
    assert [(entity, str(day)) for entity, day in listed] == [("all", "0001-01-01")]


def test_every_mart_equals_a_fresh_load_of_the_corrected_mapping(
    warehouses: dict[str, Path],
) -> None:
    replaced = _rows(warehouses["replaced"], "marts", NOT_BUSINESS)
    fresh = _rows(warehouses["fresh"], "marts", NOT_BUSINESS)
    assert replaced.keys() == fresh.keys()
    assert "daily_sales" in replaced
    for name in fresh:
        assert replaced[name] == fresh[name], name
    # The corrected mapping's figures, by hand: O1 2 x 1.50 + 1 x 3.00, O2 3 x 1.50.
    with duckdb.connect(str(warehouses["replaced"]), read_only=True) as con:
        orders = con.execute("SELECT count(*) FROM marts.order_fulfilment").fetchall()
        revenue = con.execute("SELECT sum(net_revenue) FROM marts.daily_sales").fetchall()
    assert orders == [(2,)]
    assert [(float(r),) for (r,) in revenue] == [(10.5,)]


def test_every_table_equals_a_full_build_of_the_same_warehouse(
    warehouses: dict[str, Path],
) -> None:
    for schema in ("intermediate", "marts"):
        # int_changes lists what each build re-derived: a full build lists everything once.
        skip = {"int_changes"}
        incremental = _rows(warehouses["replaced"], schema, skip)
        full = _rows(warehouses["rebuilt"], schema, skip)
        assert incremental.keys() == full.keys()
        differing = [name for name in full if incremental[name] != full[name]]
        assert differing == [], schema
