"""docs/contract.md is the rendering of the contract: every table, column and check in words."""

from __future__ import annotations

import pandera.polars as pa
import polars as pl
import pytest

from pipelines.ingest.contract import TABLES
from pipelines.ingest.contract_docs import DOC, _check, render


def test_the_contract_reference_is_the_rendered_contract() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "run: python -m pipelines.ingest.contract_docs --write"
    )


def test_every_table_and_column_is_documented_with_its_key_and_parents() -> None:
    text = render()
    for table in TABLES.values():
        section = text[text.index(f"## `raw.{table.name}`") :]
        section = section[: section.find("\n## ", 1)]
        assert table.grain in section
        assert f"Key: `{', '.join(table.key)}`" in section
        for column in table.columns:
            assert f"| `{column}` |" in section
        for column, (parent, parent_col) in table.parents.items():
            assert f"`{column}` -> `{parent}.{parent_col}`" in section


def _row(table: str, column: str) -> str:
    text = render()
    section = text[text.index(f"## `raw.{table}`") :]
    return next(line for line in section.splitlines() if line.startswith(f"| `{column}` |"))


def test_lengths_ranges_allowed_values_and_time_window_are_in_words() -> None:
    assert "1 to 255 characters" in _row("orders", "order_id")
    assert "at most 500 characters" in _row("products", "product_name")
    assert "at most 64 characters" in _row("customers", "city")
    channel = _row("orders", "channel")
    assert "stored in lower case" in channel and "1 to 64 characters" in channel
    assert "not `all`" in channel
    assert "1 to 5" in _row("service_tickets", "satisfaction_score")
    assert "<= 1,000,000,000,000; >= 0" in _row("order_lines", "line_amount")
    assert "a value is required when line_amount is empty" in _row("order_lines", "unit_price")
    assert "one of `card`, `alipay`" in _row("orders", "payment_method")
    assert "between 1990-01-01 and the time of ingest plus 1 day" in _row("orders", "ordered_at")
    assert "optional (default empty)" in _row("shipments", "warehouse_id")
    assert "`discount_not_above_line_amount`" in render()


def test_a_check_without_words_fails_the_rendering_instead_of_being_left_out() -> None:
    unnamed = pa.Check(lambda data: data.lazyframe.select(pl.lit(True)), name="mystery")
    with pytest.raises(ValueError, match="mystery"):
        _check(unnamed)
