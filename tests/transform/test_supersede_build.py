"""After a supersede, the next build leaves no trace of the replaced batch in the marts.

Warehouse `corrected`: the export ingested with a wrong mapping, built, ingested again with
the corrected mapping (which supersedes the first batch and drops a test order), built again
the way the Dagster dbt asset does (a full refresh, since a batch was superseded). Warehouse
`fresh`: the export ingested with the corrected mapping only, built once. Every mart of the
business must hold the same rows in both.
"""

# ruff: noqa: S608 - table names come from the catalog itself, not from input.

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from pipelines.ingest.api import ingest_paths
from pipelines.settings import Settings
from pipelines.warehouse import full_build_reason, superseded_since_last_build
from tests.fixtures.warehouse import run_dbt
from tests.ingest.test_supersede import CORRECTED, EXPORT, FIRST, HEADER

pytestmark = [pytest.mark.slow]

# The ingest's own history: it rightly shows the superseded batch's rows in one of them.
NOT_BUSINESS = {"ingest_quarantine_daily"}


def _build(settings: Settings, work: Path) -> None:
    args = ["build"]
    if full_build_reason(settings) is not None:
        args.append("--full-refresh")  # what pipelines/transform/dbt.py does
    result = run_dbt(settings.warehouse_path, work, *args)
    assert result.returncode == 0, result.stdout[-4000:]


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, list[bool]]:
    root = tmp_path_factory.mktemp("supersede_build")
    export = root / "in" / "shop.csv"
    export.parent.mkdir()
    export.write_text("\n".join([HEADER, *EXPORT]) + "\n", encoding="utf-8")
    first, corrected = root / "first.yaml", root / "corrected.yaml"
    first.write_text(FIRST, encoding="utf-8")
    corrected.write_text(CORRECTED, encoding="utf-8")

    replaced = Settings(data_dir=root / "replaced", lock_timeout_s=30, source_timezone="UTC")
    fresh = Settings(data_dir=root / "fresh", lock_timeout_s=30, source_timezone="UTC")
    seen: list[bool] = []
    ingest_paths([export], mapping=first, settings=replaced)
    _build(replaced, root / "work-1")
    ingest_paths([export], mapping=corrected, settings=replaced)
    seen.append(superseded_since_last_build(replaced.warehouse_path))
    _build(replaced, root / "work-2")
    seen.append(superseded_since_last_build(replaced.warehouse_path))
    ingest_paths([export], mapping=corrected, settings=fresh)
    _build(fresh, root / "work-fresh")
    return replaced.warehouse_path, fresh.warehouse_path, seen


def test_a_build_after_a_supersede_is_full_and_only_that_one(
    warehouses: tuple[Path, Path, list[bool]],
) -> None:
    assert warehouses[2] == [True, False]


def _mart_rows(path: Path) -> dict[str, list[tuple]]:
    with duckdb.connect(str(path), read_only=True) as con:
        names = [
            r[0]
            for r in con.execute(
                "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'marts' ORDER BY 1"
            ).fetchall()
        ]
        rows = {}
        for name in names:
            if name in NOT_BUSINESS:
                continue
            # Which batch loaded a row is lineage, not a figure: it differs by design.
            columns = [
                r[0]
                for r in con.execute(
                    "SELECT column_name FROM duckdb_columns() WHERE schema_name = 'marts' "
                    "AND table_name = ? AND column_name NOT LIKE '%batch_id' ORDER BY column_index",
                    [name],
                ).fetchall()
            ]
            sql = f"SELECT {', '.join(columns)} FROM marts.{name}"
            rows[name] = sorted(con.execute(sql).fetchall(), key=repr)
        return rows


def test_every_mart_equals_a_fresh_load_of_the_corrected_mapping(
    warehouses: tuple[Path, Path, list[bool]],
) -> None:
    replaced, fresh = _mart_rows(warehouses[0]), _mart_rows(warehouses[1])
    assert replaced.keys() == fresh.keys()
    assert "daily_sales" in replaced
    for name in fresh:
        assert replaced[name] == fresh[name], name
    # The corrected mapping's figures, by hand: O1 2 x 1.50 + 1 x 3.00, O2 3 x 1.50.
    with duckdb.connect(str(warehouses[0]), read_only=True) as con:
        orders = con.execute("SELECT count(*) FROM marts.order_fulfilment").fetchall()
    assert orders == [(2,)]
