"""Simulator benchmark: the seconds `orderlens simulate` takes to write a business of this scale.

The same call the CLI makes (`pipelines.ingest.simulate.simulate`), in process, with the
bench's seed and days, into a temporary folder that is removed afterwards: the cached
business in `bench/work/<scale>/simulated` is neither read nor replaced.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from bench.scales import orders_for
from bench.workspace import DAYS, SEED


def main(scale: str) -> dict[str, float | int]:
    from pipelines.ingest.simulate import simulate

    orders = orders_for(scale)
    with tempfile.TemporaryDirectory(prefix="orderlens-bench-") as folder:
        started = time.perf_counter()
        summary = simulate(orders=orders, days=DAYS, seed=SEED, out=Path(folder))
        seconds = time.perf_counter() - started
        written = sum(path.stat().st_size for path in summary.files)
    lines = summary.rows["order_lines"]
    return {
        "orders": orders,
        "order_lines": lines,
        "days": DAYS,
        "simulate_s": round(seconds, 2),
        "order_lines_per_s": round(lines / seconds),
        "written_mib": round(written / 2**20, 1),
    }
