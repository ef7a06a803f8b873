"""Report specs that users build (the dashboard's report builder): `<reports_dir>/specs/`.

A user spec is an ordinary YAML spec. It is written only after the same two checks the CLI's
`orderlens report check` runs (`parse_spec` for the shape, `validate_spec` against the
serving file's catalog), and by rename, so a reader never finds half a file.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from pipelines.reports.catalog import Catalog, validate_spec
from pipelines.reports.spec import (
    BUILTIN_DIR,
    Problem,
    Spec,
    SpecError,
    parse_spec,
    read_yaml_text,
)
from pipelines.settings import Settings

USER_SPECS = "specs"


def user_specs_dir(settings: Settings) -> Path:
    return settings.reports_dir / USER_SPECS


def user_spec_paths(settings: Settings) -> list[Path]:
    return sorted(user_specs_dir(settings).glob("*.yaml"))


def spec_yaml(raw: Mapping[str, Any]) -> str:
    """A spec's plain values as YAML, keys in the order given, Chinese kept readable."""
    return yaml.safe_dump(dict(raw), allow_unicode=True, sort_keys=False, width=100)


def check_spec_text(text: str, source: Path, catalog: Catalog) -> Spec:
    """Parse and validate spec text exactly as a spec file is checked (raises SpecError)."""
    raw, lines = read_yaml_text(text, source)
    spec = parse_spec(raw, lines, source)
    validate_spec(spec, catalog)
    return spec


def save_user_spec(raw: Mapping[str, Any], catalog: Catalog, settings: Settings) -> Path:
    """Validate a spec and write it as `<name>.yaml` into the user folder; return its path.

    A name that a built-in report already uses is refused, so a saved spec never hides one.
    """
    folder = user_specs_dir(settings)
    name = raw.get("name")
    target = folder / f"{name}.yaml"
    text = spec_yaml(raw)
    spec = check_spec_text(text, target, catalog)
    if (BUILTIN_DIR / f"{spec.name}.yaml").exists():
        problem = Problem(target, spec.line("name"), "name", "a built-in report has this name")
        raise SpecError([problem])
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".{spec.name}.{uuid.uuid4().hex}.tmp"
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)
    return target
