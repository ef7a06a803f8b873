"""The README documents what the code does and points to the generated references."""

from __future__ import annotations

import re
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


def test_the_docs_describe_today_without_commit_hashes() -> None:
    """History (runs, commits) lives in git, not in the README or the references."""
    docs = [README, *sorted((README.parent / "docs").glob("*.md"))]
    hashes = re.compile(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*[0-9])[0-9a-f]{7,40}\b")
    found = {p.name: hashes.findall(p.read_text(encoding="utf-8")) for p in docs}
    assert not {name: tokens for name, tokens in found.items() if tokens}


def test_the_readme_is_a_short_guide_linking_the_references() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 300
    references = ["contract", "mapping", "ingest", "metrics", "orchestration", "benchmarks"]
    for reference in [*references, "operations", "reports", "forecasting"]:
        assert f"(docs/{reference}.md)" in text
        assert (README.parent / "docs" / f"{reference}.md").is_file()
