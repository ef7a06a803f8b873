"""The landing folder: which dropped files are ready to load, with which mapping, and where
they go once loaded.

`data/landing/` holds two kinds of drop:
- files named for a contract table (`orders.csv`, `order_lines__web.parquet`), loaded as
  they are;
- folders named for a mapping (`data/landing/<name>/`), whose files load with `<name>.yaml`
  from the user's mappings folder or, failing that, the built-in mappings. A mapping of
  several files (an export) waits until a file of every part is there.

A file is ready once it has stopped changing: its modification time is at least `settle_s`
seconds old, so a file still being copied in is left for a later look. Loaded files move to
`processed/` (or `rejected/`) beside them.
"""

from __future__ import annotations

import fnmatch
import hashlib
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pipelines.ingest.mapping import MappingError, load_mapping
from pipelines.ingest.readers import list_input_files
from pipelines.settings import Settings

SUPPORTED = (".csv", ".txt", ".gz", ".jsonl", ".ndjson", ".json", ".parquet", ".xlsx")
BUILTIN_MAPPINGS = Path(__file__).resolve().parent / "mappings"
PROCESSED, REJECTED = "processed", "rejected"


@dataclass(frozen=True)
class Landed:
    """Files ready to load together: plain contract files, or one mapping's drop."""

    paths: tuple[Path, ...]
    mapping: Path | None = None

    @property
    def key(self) -> str:
        """Identity of this drop (names, sizes, times): the same drop is requested once."""
        parts = [str(self.mapping or "")]
        for path in self.paths:
            stat = path.stat()
            parts.append(f"{path}:{stat.st_size}:{stat.st_mtime_ns}")
        return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:32]

    @property
    def label(self) -> str:
        names = ", ".join(p.name for p in self.paths)
        return f"{names} (mapping {self.mapping.stem})" if self.mapping else names


def _files(folder: Path) -> list[Path]:
    return sorted(
        p
        for p in folder.iterdir()
        if p.is_file() and not p.name.startswith(".") and p.name.lower().endswith(SUPPORTED)
    )


def landed_files(landing: Path) -> list[Path]:
    """The plain files directly in the landing folder (names of contract tables)."""
    return _files(landing) if landing.is_dir() else []


def mapping_for(name: str, settings: Settings) -> Path | None:
    """The mapping `<name>.yaml`: the user's own first, then the built-in one."""
    for folder in (settings.user_mappings_dir, BUILTIN_MAPPINGS):
        path = folder / f"{name}.yaml"
        if path.is_file():
            return path
    return None


def _settled(paths: Iterable[Path], now: float, settle_s: float) -> bool:
    return all(now - path.stat().st_mtime >= settle_s for path in paths)


def _complete(files: list[Path], mapping: Path) -> bool:
    """Every file the mapping names is there (a single-file mapping: any file)."""
    loaded = load_mapping(mapping)
    if not loaded.is_multi_file:
        return True
    return all(
        any(fnmatch.fnmatch(f.name, part.pattern or "") for f in files)
        for part in loaded.parts.values()
    )


def landed_batches(settings: Settings, now: float, settle_s: float) -> list[Landed]:
    """The drops ready to load now: plain files first (one group), then each mapping folder.

    A folder named for no mapping is left alone (it may be one still being set up).
    """
    landing = settings.landing_dir
    if not landing.is_dir():
        return []
    ready: list[Landed] = []
    plain = landed_files(landing)
    if plain and _settled(plain, now, settle_s):
        ready.append(Landed(tuple(list_input_files(plain))))
    for folder in sorted(p for p in landing.iterdir() if p.is_dir()):
        if folder.name.startswith(".") or folder.name in (PROCESSED, REJECTED):
            continue
        mapping = mapping_for(folder.name, settings)
        files = _files(folder)
        if mapping is None or not files or not _settled(files, now, settle_s):
            continue
        try:
            complete = _complete(files, mapping)
        except MappingError:
            # A broken mapping loads nothing: `orderlens ingest FOLDER --mapping` says why.
            continue
        if complete:
            ready.append(Landed(tuple(files), mapping))
    return ready


def file_away(path: Path, rejected: bool, landing: Path) -> Path | None:
    """Move a loaded landed file to `processed/` (or `rejected/`) beside it.

    Only files of the landing folder (or one of its mapping folders) move; a file loaded from
    anywhere else stays where it is (None).
    """
    if path.parent != landing and path.parent.parent != landing:
        return None
    target = path.parent / (REJECTED if rejected else PROCESSED)
    target.mkdir(exist_ok=True)
    moved = target / path.name
    shutil.move(str(path), moved)
    return moved
