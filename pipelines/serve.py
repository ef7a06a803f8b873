"""`orderlens serve`: the Dagster daemon, the Dagster webserver and the dashboards as one
supervised service.

Each component runs as a child process in its own process group (its own session), writing
to its own log file under `data/logs/`. A component that dies is started again after a
back-off that doubles while it keeps dying (and starts over once it has run a while). On
SIGTERM or SIGINT every group is asked to stop, and whatever is still running after a grace
period is killed, so no process is left behind (Dagster's code servers and run workers
belong to the group of the daemon or webserver that started them).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from pipelines.settings import Settings

ROOT = Path(__file__).resolve().parents[1]  # the repository: dashboards/, workspace.yaml
INSTANCE_CONFIG = Path(__file__).resolve().parent / "dagster.yaml"
LOCAL = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class Backoff:
    """Waits before restarting a component: first_s, doubling up to max_s; a run of at least
    stable_s seconds counts as healthy and starts the doubling over."""

    first_s: float = 1.0
    max_s: float = 60.0
    stable_s: float = 60.0

    def delay(self, failures: int) -> float:
        return min(self.first_s * 2 ** max(failures - 1, 0), self.max_s)


@dataclass(frozen=True)
class Component:
    name: str  # also its log file's name: data/logs/<name>.log
    argv: list[str]
    url: str | None = None  # what a person opens, when it serves pages


def streamlit_command(host: str, port: int) -> list[str]:
    """The dashboards' Streamlit server (it reads its settings from its environment)."""
    app = ROOT / "dashboards" / "app.py"
    server = ["--server.address", host, "--server.port", str(port), "--server.headless", "true"]
    return [sys.executable, "-m", "streamlit", "run", str(app), *server] + [
        "--browser.gatherUsageStats",
        "false",
    ]


def _tool(name: str) -> str:
    """A console script of this environment (dagster-daemon, dagster-webserver)."""
    return str(Path(sys.executable).with_name(name))


def components(host: str, dashboard_port: int, dagster_port: int) -> list[Component]:
    workspace = str(ROOT / "workspace.yaml")
    return [
        Component("dagster-daemon", [_tool("dagster-daemon"), "run", "-w", workspace]),
        Component(
            "dagster-webserver",
            [_tool("dagster-webserver"), "-h", host, "-p", str(dagster_port), "-w", workspace],
            f"http://{host}:{dagster_port}",
        ),
        Component(
            "dashboard", streamlit_command(host, dashboard_port), f"http://{host}:{dashboard_port}"
        ),
    ]


def prepare_instance(settings: Settings) -> Path:
    """DAGSTER_HOME in the data directory, with the house's instance configuration (run
    history, schedule and sensor state stay there across restarts)."""
    import dagster as dg

    home = settings.dagster_home
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(INSTANCE_CONFIG, home / "dagster.yaml")
    # Its storage is created (or migrated) here, once: the daemon and the webserver starting
    # together on a new home would both create the tables and break its schema version.
    with dg.DagsterInstance.from_config(str(home)):
        pass
    return home


def is_exposed(host: str) -> bool:
    return host not in LOCAL


@dataclass
class _Child:
    component: Component
    log: IO[bytes]
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    failures: int = 0
    restart_at: float | None = None


@dataclass
class Supervisor:
    """Starts the components, restarts those that die, stops them all on a signal."""

    components: list[Component]
    env: dict[str, str]
    logs_dir: Path
    backoff: Backoff = field(default_factory=Backoff)
    grace_s: float = 20.0
    say: Callable[[str], None] = print
    _children: list[_Child] = field(default_factory=list)
    _stopping: bool = False

    def _start(self, child: _Child) -> None:
        child.log.write(f"--- orderlens serve: starting {child.component.name}\n".encode())
        child.log.flush()
        child.process = subprocess.Popen(
            child.component.argv,
            env=self.env,
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=child.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: stopped as one, with its children
        )
        child.started = time.monotonic()
        child.restart_at = None

    def _on_signal(self, signum: int, frame: object) -> None:
        self._stopping = True

    def run(self) -> int:
        """Run until SIGTERM or SIGINT; returns the exit status (0 after a clean stop)."""
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        previous = {s: signal.signal(s, self._on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        try:
            for component in self.components:
                log = (self.logs_dir / f"{component.name}.log").open("ab")
                child = _Child(component, log)
                self._children.append(child)
                self._start(child)
                self.say(f"started {component.name} (pid {child.process.pid})")
            while not self._stopping:
                self._watch()
                time.sleep(0.2)
        finally:
            self.stop()
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        return 0

    def _watch(self) -> None:
        now = time.monotonic()
        for child in self._children:
            process = child.process
            if child.restart_at is not None:
                if now >= child.restart_at:
                    self._start(child)
                    self.say(f"restarted {child.component.name} (pid {child.process.pid})")
                continue
            if process is None or process.poll() is None:
                continue
            # Died: clear what is left of its group, then restart after the back-off.
            _kill_group(process.pid, signal.SIGKILL)
            ran = now - child.started
            child.failures = 1 if ran >= self.backoff.stable_s else child.failures + 1
            wait = self.backoff.delay(child.failures)
            child.restart_at = now + wait
            self.say(
                f"{child.component.name} exited with status {process.returncode} after "
                f"{ran:.0f} s; restarting in {wait:g} s (log: {child.log.name})"
            )

    def stop(self) -> None:
        """Ask every group to stop (SIGTERM), kill what remains after the grace period."""
        running = [c for c in self._children if c.process is not None]
        for child in running:
            _kill_group(child.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + self.grace_s
        for child in running:
            while _group_alive(child.process) and time.monotonic() < deadline:
                time.sleep(0.1)
        for child in running:
            if _group_alive(child.process):
                self.say(f"{child.component.name} did not stop in {self.grace_s:.0f} s: killed")
                _kill_group(child.process.pid, signal.SIGKILL)
                child.process.wait()
                killed_by = time.monotonic() + 5
                while _group_alive(child.process) and time.monotonic() < killed_by:
                    time.sleep(0.05)
            child.log.close()
        self._children = []


def _kill_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def group_members(pgid: int) -> list[int]:
    """The live (not zombie) processes of a process group, from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # gone meanwhile
            continue
        # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after its ")".
        state, _ppid, pgrp = stat.rsplit(")", 1)[1].split()[:3]
        if int(pgrp) == pgid and state != "Z":
            members.append(int(entry.name))
    return members


def _group_alive(process: subprocess.Popen[bytes]) -> bool:
    """Whether any process of the child's group still runs (its leader reaped first)."""
    process.poll()
    return bool(group_members(process.pid))
