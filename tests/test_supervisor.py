"""The supervisor of `orderlens serve`, on small real processes: restarts with back-off, a
stop that leaves no process of a component's group behind."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from pipelines.serve import Backoff, group_members

# A supervisor in its own process (it handles SIGTERM in its main thread), over two
# components: one that dies at once, one that starts a grandchild and lives on.
SCRIPT = """
import json, sys
from pathlib import Path
from pipelines.serve import Backoff, Component, Supervisor

out = Path(sys.argv[1])
dying = Component("dying", ["sh", "-c", f"echo started >> {out / 'starts'}; exit 3"])
family = Component("family", ["sh", "-c", f"sleep 300 & echo $! > {out / 'grandchild'}; sleep 300"])
supervisor = Supervisor(
    [dying, family],
    env={"PATH": "/usr/bin:/bin"},
    logs_dir=out / "logs",
    backoff=Backoff(first_s=0.2, max_s=0.4, stable_s=60),
    grace_s=5,
    say=lambda line: print(line, flush=True),
)
sys.exit(supervisor.run())
"""


def _pgid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[2])


def test_the_back_off_doubles_up_to_its_cap() -> None:
    backoff = Backoff(first_s=1, max_s=60)
    assert [backoff.delay(n) for n in (1, 2, 3, 4, 7, 8)] == [1, 2, 4, 8, 60, 60]


def test_a_dying_component_is_restarted_and_sigterm_stops_every_process_of_each_group(
    tmp_path: Path,
) -> None:
    root = Path(__file__).resolve().parents[1]
    supervisor = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(tmp_path)],
        cwd=root,
        env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    starts = tmp_path / "starts"
    deadline = time.monotonic() + 60
    while not starts.exists() or len(starts.read_text().splitlines()) < 3:
        assert supervisor.poll() is None, supervisor.stdout.read()
        assert time.monotonic() < deadline, "the dying component was not restarted twice"
        time.sleep(0.1)
    grandchild = int((tmp_path / "grandchild").read_text())
    family = _pgid(grandchild)  # the grandchild is in the group of the component's process
    assert grandchild in group_members(family) and len(group_members(family)) >= 2

    supervisor.send_signal(signal.SIGTERM)
    output, _ = supervisor.communicate(timeout=60)

    assert supervisor.returncode == 0, output
    assert "dying exited with status 3" in output and "restarted dying" in output
    assert group_members(family) == []
    logs = sorted(p.name for p in (tmp_path / "logs").iterdir())
    assert logs == ["dying.log", "family.log"]
    assert (tmp_path / "logs" / "dying.log").read_text().count("starting dying") >= 3
