"""Data quality page queries on a ledger the real ingest wrote: exclusions are no quarantine."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from dashboards.lib import serving
from dashboards.lib.queries import quality
from pipelines.ingest.api import ingest_paths
from pipelines.settings import Settings
from tests.ingest.test_fates import BROKEN, _export, _mapping


def test_the_held_figures_leave_out_exclusions_and_the_ledger_shows_them(
    tmp_path: Path, settings: Settings
) -> None:
    export = _export(tmp_path / "in", "shop.csv", BROKEN)
    (result,) = ingest_paths([export], mapping=_mapping(tmp_path), settings=settings)
    srv = serving.Serving(settings.warehouse_path, f"quality-{tmp_path.name}", "")
    data = quality.page_data(srv)
    reasons = data["reasons"]
    assert isinstance(reasons, pl.DataFrame)
    # By hand (tests/ingest/test_fates.py): held are line O1/2's quantity, order O2's
    # customer, order O3's time and the customer without an id; two lines wait for orders.
    figures = {(table, reason, status): rows for table, reason, status, rows in reasons.iter_rows()}
    assert figures == {
        ("order_lines", "type", "held"): 1,
        ("order_lines", "unknown_parent", "waiting"): 2,
        ("orders", "missing", "held"): 1,
        ("orders", "type", "held"): 1,
        ("customers", "missing", "held"): 1,
    }
    ledger = data["ledger"]
    assert isinstance(ledger, pl.DataFrame)
    assert ledger.select("rows_quarantined", "rows_excluded").row(0) == (3, 1)
    # The list still shows the excluded row, with its status.
    listed = data["quarantine"]
    assert isinstance(listed, pl.DataFrame)
    assert listed.filter(pl.col("status") == "excluded")["table_name"].to_list() == ["(mapping)"]
    assert result.rows_excluded == 1
