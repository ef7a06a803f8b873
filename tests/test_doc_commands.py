"""Every `orderlens` command the README and the references show runs, as a user would run it.

The shell blocks of README.md and docs/*.md are read; each `orderlens ...` line in them runs in a
fresh working directory laid out like a checkout (`docs/`, `pipelines/` and the shared real data
beside it), with the default data directory `./data`, in the order a user meets them (simulate,
ingest, inspect, build, forecast, report, serve). Each must exit with status 0; the servers
(`orderlens dashboard`, `orderlens dev`, `orderlens serve`) run until every page they serve
answers, and are then stopped with SIGTERM. Every command of the CLI must be
shown at least once.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from aiosmtpd.controller import Controller

from pipelines.cli import main as cli
from tests.fixtures.real_data import online_retail_csv
from tests.servers import Inbox, free_port

REPO = Path(__file__).resolve().parents[1]
DOCS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
SHELL_BLOCK = re.compile(r"^```(?:bash|sh|shell|console)\n(.*?)^```", re.S | re.M)
# The order a user meets the commands in; within one step, the order of the docs.
STEPS = [
    "simulate",
    "ingest",
    "status",
    "quarantine",
    "build",
    "spark",
    "forecast",
    "report",
    "dashboard",
    "dev",
    "serve",
]
# Each runs until these pages answer: (its port option, the page).
SERVERS = {
    "dashboard": [("--port", "/")],
    "dev": [("--port", "/server_info")],
    "serve": [("--dashboard-port", "/"), ("--dagster-port", "/server_info")],
}


def shown_commands() -> list[tuple[str, str]]:
    """(document, command) for each `orderlens` line of a shell block, continuations joined."""
    found = []
    for doc in DOCS:
        for block in SHELL_BLOCK.findall(doc.read_text(encoding="utf-8")):
            for line in block.replace("\\\n", " ").splitlines():
                command = line.split(" #", 1)[0].strip()
                if command.startswith("orderlens "):
                    found.append((doc.name, " ".join(command.split())))
    return found


def cli_commands(group: click.Group = cli, prefix: str = "orderlens") -> Iterator[str]:
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from cli_commands(command, f"{prefix} {name}")
        else:
            yield f"{prefix} {name}"


def test_every_cli_command_is_shown_in_a_shell_block() -> None:
    shown = {command for _, command in shown_commands()}
    missing = [
        command
        for command in cli_commands()
        if not any(line == command or line.startswith(command + " ") for line in shown)
    ]
    assert not missing, f"commands no README or docs shell block shows: {missing}"


@pytest.fixture
def smtp_inbox() -> Iterator[Inbox]:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()


def _step(command: str) -> int:
    return STEPS.index(shlex.split(command)[1])


def _serve_until_it_answers(argv: list[str], cwd: Path, env: dict[str, str]) -> None:
    pages = [(option, free_port(), page) for option, page in SERVERS[argv[3]]]
    ports = [arg for option, port, _ in pages for arg in (option, str(port))]
    server = subprocess.Popen(
        [*argv, *ports],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 180
        for _, port, page in pages:
            while True:
                assert server.poll() is None, server.stdout.read().decode()
                try:
                    url = f"http://127.0.0.1:{port}{page}"
                    with urllib.request.urlopen(url, timeout=2) as answer:
                        assert answer.status == 200
                        break
                except OSError:
                    assert time.monotonic() < deadline, f"{argv[3]} did not answer in 180 s"
                    time.sleep(0.5)
    finally:
        os.killpg(server.pid, 15)
        # `orderlens serve` stops its components first (each within its grace period); under a
        # loaded machine `dagster dev` has taken over a minute to stop its daemon and webserver.
        server.wait(timeout=180)


# One group with tests/test_build.py: its `orderlens build` rewrites the dbt project's
# target/partial_parse.msgpack with its own warehouse path, which a concurrent build test
# would then fail to reuse.
@pytest.mark.xdist_group("build")
def test_every_command_the_docs_show_runs(tmp_path: Path, smtp_inbox: Inbox) -> None:
    commands = sorted(shown_commands(), key=lambda shown: _step(shown[1]))
    checkout = tmp_path / "orderlens"
    checkout.mkdir()
    for folder in ("docs", "pipelines", "workspace.yaml"):
        (checkout / folder).symlink_to(REPO / folder)
    # The real export, where the docs say it is: `shared/` beside the checkout.
    (tmp_path / "shared").symlink_to(online_retail_csv().parents[2])
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("ORDERLENS_") or key == "ORDERLENS_ONLINE_RETAIL_CSV"
    }
    env.update(
        ORDERLENS_DATA_DIR=str(checkout / "data"),  # the default, ./data, said out loud
        ORDERLENS_SMTP_HOST="127.0.0.1",
        ORDERLENS_SMTP_PORT=str(smtp_inbox.port),
        ORDERLENS_SMTP_SECURITY="none",
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")])),
    )
    ran = []
    for doc, command in commands:
        argv = [sys.executable, "-m", "pipelines", *shlex.split(command)[1:]]
        cwd, run_env = checkout, env
        if "online_retail" in command:
            # The real export (half a million lines) loads into a data directory of its own,
            # so the tour's build stays small.
            run_env = {**env, "ORDERLENS_DATA_DIR": str(tmp_path / "online_retail")}
        if argv[3] in SERVERS:
            _serve_until_it_answers(argv, cwd, run_env)
        else:
            done = subprocess.run(
                argv, cwd=cwd, env=run_env, capture_output=True, text=True, timeout=900
            )
            assert done.returncode == 0, f"{doc}: `{command}` failed:\n{done.stdout}{done.stderr}"
        ran.append(command)
    assert any("--send" in command for command in ran)
    assert smtp_inbox.messages, "the documented `report run --send` delivered nothing"
