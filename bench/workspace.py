"""The benchmark's work folder per scale: the simulated business, made once and re-used."""

from __future__ import annotations

import time
from pathlib import Path

from bench.scales import orders_for

ROOT = Path(__file__).parent / "work"
SEED = 1
DAYS = 730


def work_dir(scale: str) -> Path:
    path = ROOT / scale
    path.mkdir(parents=True, exist_ok=True)
    return path


def simulated(scale: str) -> tuple[Path, float | None]:
    """The simulated export folder of this scale and the seconds it took (None: re-used)."""
    from pipelines.ingest.simulate import simulate

    out = work_dir(scale) / "simulated"
    done = out / ".done"
    if done.exists():
        return out, None
    started = time.perf_counter()
    simulate(orders=orders_for(scale), days=DAYS, seed=SEED, out=out)
    seconds = time.perf_counter() - started
    done.write_text(f"{seconds:.2f}")
    return out, seconds
