"""`python -m bench --scale 100k|1m|10m [--only ingest,...] [--engine spark]`: run, print, save,
render.

Each suite's figures are saved as `bench/results/<suite>-<scale>.json` with the machine and
the day of the run, and docs/benchmarks.md is rendered anew from every results file.
`python -m bench --render` only renders the doc from the results already there.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
from datetime import UTC, datetime
from typing import Any

from bench import report

# Imported when run, not here: dashboards needs the build's serving file, forecasting Prophet.
SUITES = {
    "ingest": "bench.ingest",
    "build": "bench.build",
    "dashboards": "bench.bench_dashboards",
    "forecasting": "bench.bench_forecasting",
    "retail": "bench.bench_retail",
    "simulate": "bench.simulate",
    "freshness": "bench.freshness",
    # `--engine spark`: the build on Spark (the local two-worker cluster) beside DuckDB.
    "spark": "bench.build_spark",
}
DEFAULT = tuple(name for name in SUITES if name != "spark")


def machine() -> dict[str, Any]:
    """What the figures were measured on, and when."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return {
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "cpus": os.cpu_count(),
        "memory_gib": round(memory / 2**30),
        "measured_on": datetime.now(UTC).date().isoformat(),
    }


def run(name: str, scale: str) -> dict[str, Any]:
    """Run one suite, print its figures and save them as JSON."""
    # Runnable processes averaged over the last minute: above the CPU count, other work
    # competed with the run for the cores.
    load = round(os.getloadavg()[0], 1)
    figures = importlib.import_module(SUITES[name]).main(scale) | machine()
    figures["load_at_start"] = load
    print(f"[{name} @ {scale}]")
    for key, value in figures.items():
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        shown = f"{value:,}" if numeric else value
        print(f"  {key:>22}: {shown}")
    report.RESULTS.mkdir(exist_ok=True)
    (report.RESULTS / f"{name}-{scale}.json").write_text(json.dumps(figures, indent=2) + "\n")
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="100k", choices=["100k", "1m", "10m"])
    parser.add_argument(
        "--engine",
        choices=["duckdb", "spark"],
        default="duckdb",
        help="spark: time a full build and a daily update on Spark beside DuckDB",
    )
    parser.add_argument(
        "--only",
        default=None,
        help="comma-separated suites; dashboards needs the build suite's warehouse",
    )
    parser.add_argument(
        "--render", action="store_true", help="only rewrite docs/benchmarks.md from the results"
    )
    args = parser.parse_args()
    if not args.render:
        only = args.only or ("spark" if args.engine == "spark" else ",".join(DEFAULT))
        unknown = set(only.split(",")) - set(SUITES)
        if unknown:
            parser.error(f"unknown suites: {', '.join(sorted(unknown))}")
        for name in only.split(","):
            run(name, args.scale)
    print(f"rewrote {report.write()}")


if __name__ == "__main__":
    main()
