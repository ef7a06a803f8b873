"""Publishing: readers never see a half-built state and never fail while builds publish."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path

import duckdb

from pipelines.settings import Settings
from pipelines.warehouse import publish, serving_path, serving_version, writer


def _read_loop(data_dir: str, seconds: float, ready, out: multiprocessing.Queue) -> None:
    import os

    os.environ["ORDERLENS_DATA_DIR"] = data_dir
    from pipelines.settings import get_settings

    settings = get_settings()
    ready.set()
    reads, errors, seen = 0, [], set()
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            path = serving_path(settings)
            with duckdb.connect(str(path), read_only=True) as con:
                n, total = con.sql("SELECT count(*), sum(v) FROM marts.counter").fetchall()[0]
            # A published file is always a whole build: every row of a build adds 1.
            if total != n:
                errors.append(f"half-built state: {n} rows, sum {total}")
            seen.add(n)
            reads += 1
        except Exception as exc:  # every failure counts
            errors.append(repr(exc))
    out.put((reads, errors, sorted(seen)))


def test_reads_never_fail_while_builds_publish(settings: Settings) -> None:
    with writer(settings) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE TABLE marts.counter (v INTEGER)")
        con.execute("INSERT INTO marts.counter VALUES (1)")
    publish(settings)
    ctx = multiprocessing.get_context("spawn")
    queue, ready = ctx.Queue(), ctx.Event()
    reader = ctx.Process(target=_read_loop, args=(str(settings.data_dir), 6.0, ready, queue))
    reader.start()
    assert ready.wait(120)
    publishes = 0
    while reader.is_alive() and queue.empty() and publishes < 200:
        with writer(settings) as con:
            con.execute("INSERT INTO marts.counter SELECT 1 FROM range(1000)")
        publish(settings)
        publishes += 1
    reads, errors, seen = queue.get(timeout=60)
    reader.join(timeout=30)
    assert errors == []
    assert reads > 20
    assert len(seen) > 1  # the reader followed new versions without a restart


def test_old_versions_are_cleaned_up_and_the_pointer_names_the_newest(settings: Settings) -> None:
    with writer(settings) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE TABLE marts.counter (v INTEGER)")
    published = [publish(settings, keep=3) for _ in range(5)]
    remaining = sorted(p.name for p in Path(settings.serving_dir).glob("*.duckdb"))
    assert remaining == [p.name for p in published[-3:]]
    assert serving_path(settings) == published[-1]
    assert serving_version(settings)["version"] == published[-1].stem
    only = publish(settings, keep=1)
    assert list(Path(settings.serving_dir).glob("*.duckdb")) == [only]


def test_the_serving_file_holds_the_marts_and_the_ledger_only(settings: Settings) -> None:
    with writer(settings) as con:
        con.execute("CREATE SCHEMA staging")
        con.execute("CREATE SCHEMA intermediate")
        con.execute("CREATE SCHEMA marts")
        con.execute("CREATE TABLE raw.lines (v INTEGER)")
        con.execute("CREATE VIEW staging.lines AS SELECT v FROM raw.lines")
        con.execute("CREATE TABLE intermediate.changes (v INTEGER)")
        con.execute("CREATE TABLE marts.sales AS SELECT 1 AS v")
    served = publish(settings)
    with duckdb.connect(str(served), read_only=True) as con:
        schemas = con.sql("SELECT DISTINCT schema_name FROM duckdb_tables() ORDER BY 1").fetchall()
        views = con.sql("SELECT view_name FROM duckdb_views() WHERE NOT internal").fetchall()
        sales = con.sql("SELECT v FROM marts.sales").fetchall()
    assert schemas == [("marts",), ("ops",)]
    assert views == [] and sales == [(1,)]
    # The warehouse itself keeps everything.
    with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
        assert con.sql("SELECT count(*) FROM intermediate.changes").fetchall() == [(0,)]
