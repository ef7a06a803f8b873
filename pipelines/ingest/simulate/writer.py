"""Write the canonical frames as the channels would export them.

Sales tables are split per channel (`orders__web.csv`, `orders__app.jsonl`,
`orders__marketplace.parquet`, ...); the rest are one file each. Text files carry ISO 8601
timestamps with an offset: some systems write UTC (`Z`), others China time (`+08:00`).
Parquet keeps native types (UTC timestamps, DECIMAL(18,2) money).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import polars as pl

from pipelines.ingest.contract import TABLES

Format = Literal["csv", "jsonl", "parquet"]
Zone = Literal["Z", "+08:00"]

# channel -> (format, offset written by that channel's system)
CHANNEL_EXPORTS: dict[str, tuple[Format, Zone]] = {
    "web": ("csv", "Z"),
    "phone": ("csv", "+08:00"),
    "email": ("csv", "+08:00"),
    "store": ("csv", "+08:00"),
    "app": ("jsonl", "+08:00"),
    "marketplace": ("parquet", "Z"),
}
PER_CHANNEL = ("orders", "order_lines", "order_events")
SINGLE_EXPORTS: dict[str, tuple[Format, Zone]] = {
    "suppliers": ("csv", "Z"),
    "customers": ("csv", "+08:00"),
    "warehouses": ("csv", "Z"),
    "products": ("csv", "Z"),
    "purchase_orders": ("parquet", "Z"),
    "purchase_order_lines": ("parquet", "Z"),
    "stock_movements": ("parquet", "Z"),
    "stock_counts": ("csv", "+08:00"),
    "shipments": ("jsonl", "Z"),
    "shipment_events": ("jsonl", "Z"),
    "returns": ("csv", "+08:00"),
    "service_tickets": ("csv", "Z"),
}
SUFFIX = {"csv": "csv", "jsonl": "jsonl", "parquet": "parquet"}


def _text_timestamps(frame: pl.DataFrame, zone: Zone) -> pl.DataFrame:
    """Naive-UTC timestamps as ISO 8601 text with the system's offset (China has no DST)."""
    cols = [c for c, t in frame.schema.items() if isinstance(t, pl.Datetime)]
    if zone == "Z":
        exprs = [pl.col(c).dt.strftime("%Y-%m-%dT%H:%M:%SZ") for c in cols]
    else:
        exprs = [
            (pl.col(c) + pl.duration(hours=8)).dt.strftime("%Y-%m-%dT%H:%M:%S+08:00") for c in cols
        ]
    return frame.with_columns(exprs)


def write_frame(frame: pl.DataFrame, table: str, path: Path, fmt: Format, zone: Zone) -> Path:
    """Write exactly the contract's columns of `table` in the given format."""
    frame = frame.select(TABLES[table].columns)
    if fmt == "parquet":
        utc = [
            pl.col(c).dt.replace_time_zone("UTC")
            for c, t in frame.schema.items()
            if isinstance(t, pl.Datetime)
        ]
        frame.with_columns(utc).write_parquet(path, compression="zstd")
    elif fmt == "csv":
        _text_timestamps(frame, zone).write_csv(path)
    else:
        _text_timestamps(frame, zone).write_ndjson(path)
    return path


def _remove_previous(out: Path) -> None:
    """Drop files an earlier simulation wrote here, so no stale channel part survives a rerun."""
    for path in out.iterdir():
        table = path.name.split("__")[0].split(".")[0]
        if table in TABLES and path.suffix.lstrip(".") in SUFFIX.values() and path.is_file():
            path.unlink()


def write_all(frames: dict[str, pl.DataFrame], out: Path) -> list[Path]:
    """Write every table (sales tables per channel); returns the files in load order."""
    out.mkdir(parents=True, exist_ok=True)
    _remove_previous(out)
    files: list[Path] = []
    for table in TABLES:
        frame = frames[table]
        if table in PER_CHANNEL:
            for channel, (fmt, zone) in CHANNEL_EXPORTS.items():
                part = frame.filter(pl.col("channel") == channel)
                if part.height:
                    path = out / f"{table}__{channel}.{SUFFIX[fmt]}"
                    files.append(write_frame(part, table, path, fmt, zone))
        else:
            fmt, zone = SINGLE_EXPORTS[table]
            files.append(write_frame(frame, table, out / f"{table}.{SUFFIX[fmt]}", fmt, zone))
    return files
