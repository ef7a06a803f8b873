"""The README documents what the code does and points to the generated references."""

from __future__ import annotations

from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_links_the_generated_contract_reference() -> None:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## The data contract") :]
    section = section[: section.index("\n## ", 1)]
    assert "(docs/contract.md)" in section
    assert "| column |" not in section, "the tables live in docs/contract.md only"


def test_readme_shows_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert "make run" in text and "make test" in text
