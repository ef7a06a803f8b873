"""The README documents what the code does: the contract tables are generated from pandera."""

from __future__ import annotations

from pathlib import Path

from pipelines.ingest.contract import TABLES
from pipelines.ingest.contract_docs import BEGIN, END, render

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_contract_section_is_the_rendered_contract() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index(BEGIN) : text.index(END) + len(END)]
    assert section == render(), "run: python -m pipelines.ingest.contract_docs and paste it"


def test_readme_documents_every_table_and_column() -> None:
    text = README.read_text(encoding="utf-8")
    for table in TABLES.values():
        assert f"`raw.{table.name}`" in text
        for column in table.columns:
            assert f"| `{column}` |" in text


def test_readme_shows_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert "make run" in text and "make test" in text
