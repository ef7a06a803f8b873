"""`orderlens serve` for real: a subprocess on free ports over a small built business.

A file dropped into a mapping folder of the landing reaches the serving file and the Data
quality page in headless Chromium; a user's report spec on an every-minute cron is e-mailed to
an SMTP server on 127.0.0.1 by the Dagster daemon; a killed dashboard comes back; SIGTERM
leaves no process of the service behind.
"""

from __future__ import annotations

import email
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
import yaml
from aiosmtpd.controller import Controller

from pipelines.build import build_all
from pipelines.ingest.api import ingest_paths
from pipelines.ingest.simulate import simulate
from pipelines.reports.spec import BUILTIN_DIR, load_spec
from pipelines.reports.user_specs import user_specs_dir
from pipelines.serve import group_members
from pipelines.settings import Settings
from pipelines.warehouse import serving_path
from tests.servers import Inbox, answers, free_port

REPO = Path(__file__).resolve().parents[1]
SHOP = REPO / "docs" / "examples"
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
MINUTE_REPORT = "minute_sales"
BOSS = "boss@example.com"

# The serve run builds with dbt: one group with the other build tests (dbt's parse state).
pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.xdist_group("build")]


def _wait(what: str, ready: Callable[[], object], timeout_s: float = 600) -> object:
    """Poll until `ready()` gives something true (a deadline only against hanging forever)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = ready()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what}: not within {timeout_s:.0f} s"
        time.sleep(1)


def _children(pid: int) -> dict[int, str]:
    """Live child processes of `pid` and their command lines."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        state, ppid = stat.rsplit(")", 1)[1].split()[:2]
        if int(ppid) == pid and state != "Z":
            found[int(entry.name)] = cmdline
    return found


@dataclass
class Served:
    settings: Settings
    process: subprocess.Popen[bytes]
    dashboard: str
    dagster: str
    inbox: Inbox
    output: Path

    def dashboard_pid(self) -> int | None:
        pids = [p for p, cmd in _children(self.process.pid).items() if "streamlit" in cmd]
        return pids[0] if pids else None


def _business(root: Path) -> Settings:
    """A small simulated business, loaded and built, with a user's mapping and an
    every-minute report spec (the service's definitions read both when they load)."""
    settings = Settings(data_dir=root / "data", lock_timeout_s=300)
    sim = simulate(orders=1_500, days=120, seed=11, out=root / "sim")
    ingest_paths(sim.files, settings=settings)
    assert build_all(settings).success
    settings.user_mappings_dir.mkdir(parents=True)
    shutil.copy(SHOP / "shop.yaml", settings.user_mappings_dir / "shop.yaml")
    spec = yaml.safe_load((BUILTIN_DIR / "weekly_sales.yaml").read_text(encoding="utf-8"))
    spec.update(name=MINUTE_REPORT, schedule="* * * * *", recipients=[BOSS])
    target = user_specs_dir(settings) / f"{MINUTE_REPORT}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(yaml.safe_dump(spec, allow_unicode=True, sort_keys=False), "utf-8")
    assert load_spec(target).schedule == "* * * * *"
    return settings


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    root = tmp_path_factory.mktemp("serve")
    settings = _business(root)
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    dashboard_port, dagster_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORDERLENS_")}
    env.update(
        ORDERLENS_DATA_DIR=str(settings.data_dir),
        ORDERLENS_LOCK_TIMEOUT="300",
        ORDERLENS_LANDING_INTERVAL="2",
        ORDERLENS_LANDING_SETTLE="1",
        ORDERLENS_SMTP_HOST="127.0.0.1",
        ORDERLENS_SMTP_PORT=str(inbox.port),
        ORDERLENS_SMTP_SECURITY="none",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
    )
    output = root / "serve.out"
    with output.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "pipelines", "serve"]
            + ["--dashboard-port", str(dashboard_port), "--dagster-port", str(dagster_port)],
            cwd=root,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    served = Served(
        settings,
        process,
        f"http://127.0.0.1:{dashboard_port}",
        f"http://127.0.0.1:{dagster_port}",
        inbox,
        output,
    )
    try:
        _wait("the dashboard answers", lambda: answers(f"{served.dashboard}/_stcore/health"))
        _wait("the Dagster UI answers", lambda: answers(f"{served.dagster}/server_info"))
        yield served
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=120)
        controller.stop()


def _shop_batch(settings: Settings) -> tuple[str, int] | None:
    """The shop file's ledger row in the published serving file, once it is there."""
    path = serving_path(settings)
    if path is None:
        return None
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.sql(
            "SELECT status, rows_loaded FROM ops.ingest_batches WHERE source LIKE '%shop.csv'"
        ).fetchall()
    return rows[0] if rows else None


def _succeeded_jobs(settings: Settings) -> list[str]:
    """The job names of the service's successful runs, oldest first."""
    import dagster as dg

    with dg.DagsterInstance.from_config(str(settings.dagster_home)) as instance:
        records = instance.get_run_records(
            dg.RunsFilter(statuses=[dg.DagsterRunStatus.SUCCESS]), ascending=True
        )
    return [record.dagster_run.job_name for record in records]


def test_a_file_dropped_into_a_mapping_folder_reaches_the_serving_file_and_a_page(
    served: Served,
) -> None:
    from playwright.sync_api import sync_playwright

    folder = served.settings.landing_dir / "shop"
    folder.mkdir(parents=True)
    shutil.copy(SHOP / "shop.csv", folder / "shop.csv")

    status, loaded = _wait("the shop file is published", lambda: _shop_batch(served.settings))
    assert status in ("loaded", "partial") and loaded > 0
    assert (folder / "processed" / "shop.csv").exists()
    # The drop was built by a landing build; the alerts followed in a run of their own.
    _wait(
        "the alerts after the landing", lambda: "after_landing" in _succeeded_jobs(served.settings)
    )
    jobs = _succeeded_jobs(served.settings)
    assert jobs.index("landing_build") < jobs.index("after_landing")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{served.dashboard}/data_quality", wait_until="networkidle")
            # The ingest ledger's table lists the landed file.
            page.wait_for_function(
                "() => document.body.innerHTML.includes('shop.csv')", timeout=120_000
            )
            assert page.query_selector('[data-testid="stException"]') is None
        finally:
            browser.close()


def test_a_schedule_tick_emails_the_users_report_to_its_recipient(served: Served) -> None:
    def to_boss() -> list[email.message.Message]:
        # Alert rules e-mail their own recipients after a build: only the report's count.
        messages = [email.message_from_bytes(m) for m in served.inbox.messages]
        return [m for m in messages if BOSS in (m["To"] or "")]

    (message, *_) = _wait("the every-minute report arrives", to_boss)
    assert message.is_multipart()  # the snapshot goes with it
    assert list((served.settings.reports_dir / MINUTE_REPORT).iterdir())


def test_a_killed_dashboard_is_started_again(served: Served) -> None:
    killed = served.dashboard_pid()
    assert killed is not None
    os.kill(killed, signal.SIGKILL)

    restarted = _wait(
        "a new dashboard process",
        lambda: (pid := served.dashboard_pid()) not in (None, killed) and pid,
        timeout_s=120,
    )
    assert restarted != killed
    _wait("the dashboard answers again", lambda: answers(f"{served.dashboard}/_stcore/health"))


def test_sigterm_stops_the_service_leaving_no_process_behind(served: Served) -> None:
    components = _children(served.process.pid)
    assert len(components) == 3  # the daemon, the webserver, the dashboard
    groups = {pid: group_members(pid) for pid in components}
    assert all(groups.values())

    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=120) == 0, served.output.read_text()

    left = {pgid: group_members(pgid) for pgid in groups}
    assert not any(left.values()), left
    assert not _children(served.process.pid)
