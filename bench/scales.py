"""Scale factors: order lines, and the simulated orders that produce about that many."""

from __future__ import annotations

LINES = {"100k": 100_000, "1m": 1_000_000, "10m": 10_000_000}
LINES_PER_ORDER = 2.5  # the simulator's average


def orders_for(scale: str) -> int:
    return int(LINES[scale] / LINES_PER_ORDER)
