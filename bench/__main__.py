"""`python -m bench --scale 100k|1m|10m [--only ingest,...]`: run, print, save as JSON."""

from __future__ import annotations

import argparse
import json
import platform
from pathlib import Path

from bench import build, ingest

SUITES = {
    "ingest": ingest.main,
    "build": build.main,
    "dashboards": "bench.bench_dashboards",
    "forecasting": "bench.bench_forecasting",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="100k", choices=["100k", "1m", "10m"])
    parser.add_argument(
        "--only",
        default=",".join(SUITES),
        help="comma-separated suites; dashboards needs the build suite's warehouse",
    )
    args = parser.parse_args()
    out = Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    for name in args.only.split(","):
        suite = SUITES[name]
        if isinstance(suite, str):  # imported late: it needs the build's serving file
            import importlib

            suite = importlib.import_module(suite).main
        figures = suite(args.scale)
        figures["machine"] = f"{platform.machine()}, {platform.python_version()}"
        print(f"[{name} @ {args.scale}]")
        for key, value in figures.items():
            print(
                f"  {key:>22}: {value:,}"
                if isinstance(value, int | float)
                else f"  {key:>22}: {value}"
            )
        (out / f"{name}-{args.scale}.json").write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
