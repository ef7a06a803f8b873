"""The snapshot archive: `<reports_dir>/<report>/<period>/v<N>/` with a manifest.

A snapshot is rendered into a hidden temporary folder and renamed into place in one step,
so a reader never sees half a snapshot and nothing is ever overwritten: re-running a period
makes v2, v3, ... Delivery attempts are appended to `delivery.jsonl` beside the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

MANIFEST = "manifest.json"
DELIVERY_LOG = "delivery.jsonl"
_VERSION = re.compile(r"^v(\d+)$")


@dataclass(frozen=True)
class ArchivedSnapshot:
    report: str
    period: str
    version: int
    path: Path

    @property
    def manifest(self) -> dict[str, Any]:
        return json.loads((self.path / MANIFEST).read_text(encoding="utf-8"))  # type: ignore[no-any-return]

    @property
    def deliveries(self) -> list[dict[str, Any]]:
        return read_deliveries(self.path)

    @property
    def delivery_status(self) -> str:
        """`not sent`, or the outcome of the newest delivery attempt per channel."""
        latest: dict[str, str] = {}
        for entry in self.deliveries:
            latest[entry["channel"]] = entry["status"]
        if not latest:
            return "not sent"
        # A run killed between attempts leaves `retrying` last: that is not a delivery.
        return "delivered" if set(latest.values()) == {"delivered"} else "failed"


def _versions(folder: Path) -> list[int]:
    if not folder.exists():
        return []
    return sorted(int(m[1]) for p in folder.iterdir() if (m := _VERSION.match(p.name)))


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def new_snapshot(archive_dir: Path, report: str, period: str) -> Iterator[Path]:
    """Yield an empty folder to render into; on success it becomes the next version.

    On failure the partial folder is removed and no version appears.
    """
    folder = archive_dir / report / period
    folder.mkdir(parents=True, exist_ok=True)
    staging = folder / f".tmp-{uuid.uuid4().hex}"
    staging.mkdir()
    try:
        yield staging
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def publish_snapshot(staging: Path, manifest: dict[str, Any]) -> ArchivedSnapshot:
    """Write the manifest (with file hashes) and rename the folder to its version."""
    files = sorted(p for p in staging.rglob("*") if p.is_file())
    manifest = {
        **manifest,
        "files": [
            {"name": str(p.relative_to(staging)), "bytes": p.stat().st_size, "sha256": sha256(p)}
            for p in files
        ],
    }
    (staging / MANIFEST).write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False, default=str), encoding="utf-8"
    )
    folder = staging.parent
    while True:
        version = (_versions(folder) or [0])[-1] + 1
        target = folder / f"v{version}"
        try:
            # mkdir first: it fails if another run took this version, and rename then
            # replaces only our own empty placeholder.
            target.mkdir()
        except FileExistsError:
            continue
        os.replace(staging, target)
        return ArchivedSnapshot(manifest["report"], folder.name, version, target)


def list_snapshots(archive_dir: Path, report: str | None = None) -> list[ArchivedSnapshot]:
    """Every archived snapshot, newest period and version first."""
    out = []
    reports = (
        [archive_dir / report] if report else sorted(p for p in archive_dir.glob("*") if p.is_dir())
    )
    for report_dir in reports:
        for period_dir in sorted(p for p in report_dir.glob("*") if p.is_dir()):
            for version in _versions(period_dir):
                path = period_dir / f"v{version}"
                if (path / MANIFEST).exists():
                    out.append(ArchivedSnapshot(report_dir.name, period_dir.name, version, path))
    return sorted(out, key=lambda s: (s.report, s.period, s.version), reverse=True)


def latest_snapshot(archive_dir: Path, report: str, period: str) -> ArchivedSnapshot | None:
    matches = [s for s in list_snapshots(archive_dir, report) if s.period == period]
    return matches[0] if matches else None


def _as_of(manifest: dict[str, Any]) -> str:
    """The date a snapshot describes: its period's start, or the data clock of an as-of report."""
    return str(manifest["period"].get("start") or manifest.get("data_clock") or "")


def previous_snapshot(archive_dir: Path, report: str, as_of: str) -> ArchivedSnapshot | None:
    """The snapshot a new one of `report` about `as_of` (period start or clock) follows.

    That is the newest archived snapshot of the same report about the same or an earlier
    period: an earlier version of the period when it is re-run, else the last period
    archived before it. Snapshots of later periods (a back-fill) are never its base.
    """
    earlier = [
        (_as_of(snapshot.manifest), snapshot.version, snapshot)
        for snapshot in list_snapshots(archive_dir, report)
    ]
    earlier = [entry for entry in earlier if entry[0] <= as_of]
    return max(earlier, key=lambda entry: entry[:2])[2] if earlier else None


def record_delivery(snapshot_dir: Path, entry: dict[str, Any]) -> None:
    with (snapshot_dir / DELIVERY_LOG).open("a", encoding="utf-8") as log:
        log.write(json.dumps(entry, ensure_ascii=False, default=str) + "\n")


def read_deliveries(snapshot_dir: Path) -> list[dict[str, Any]]:
    log = snapshot_dir / DELIVERY_LOG
    if not log.exists():
        return []
    return [
        json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
