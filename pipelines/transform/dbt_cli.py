"""`orderlens-dbt`: dbt's own command line, with its nodes handed out longest chain first and
its unwritten log events left unformatted.

dbt keeps the nodes that are ready to run in a priority queue ordered by their depth in the
graph (the shallowest first), and its main loop takes every node from that queue as soon as it
is ready and gives it to the thread pool, where it waits its turn first come, first served. So
the priority never decides anything once the threads are busy, and a node that a long chain
of others waits for (in OrderLens `int_orders_priced`, then the customers' RFM months, their
segments, `customer_rfm`) queues behind leaves such as `carrier_scorecard`; the chain then
runs last, nearly alone on the two cores. Two changes (measured in the README, Benchmarks):

- a node's priority is the length of the longest chain of nodes that waits for it (models and
  the like count 1, tests, which are short, 0.1), its depth breaking ties;
- the main loop takes a node from the queue only when a thread is free for it, so that the
  priority decides which of the ready nodes runs next.

And every event dbt fires (some 4,000 a daily build, most of them at debug level: each SQL
statement, connection and node step) is turned into a protobuf message and formatted as a log
line, JSON or text, before each logger's Python level drops it; `orderlens-dbt` drops an event
below every logger's level before that (in dbt's one event manager), unless it must be
checked as a warning or is one of the print events that are always written.

Everything else is dbt's: the same nodes, dependencies, tests blocking their children, results,
log lines.
"""

from __future__ import annotations

import queue
import sys
import threading
from collections.abc import Callable, Hashable
from typing import Any

import networkx as nx
from dbt.graph.queue import GraphQueue
from dbt.node_types import NodeType
from dbt.task.runnable import GraphRunnableTask
from dbt_common.events.base_types import BaseEvent, EventLevel
from dbt_common.events.event_manager import EventManager
from dbt_common.events.logger import PRINT_EVENT_NAMES, _log_level_map

# A test is a short query beside a model's build: it lengthens a chain by a tenth of a model.
TEST_WEIGHT = 0.1


def critical_path_scores(
    graph: nx.DiGraph, kind: Callable[[Any], NodeType], depth: dict[Any, int]
) -> dict[Any, tuple[float, int]]:
    """Each node's place in the queue (lowest first): the weight of the longest chain that
    starts at it, negated, then its depth in the graph."""
    height: dict[Hashable, float] = {}
    for node in reversed(list(nx.topological_sort(graph))):
        weight = TEST_WEIGHT if kind(node) in (NodeType.Test, NodeType.Unit) else 1.0
        height[node] = weight + max((height[c] for c in graph.successors(node)), default=0.0)
    return {node: (-height[node], depth[node]) for node in graph.nodes()}


_depth_scores = GraphQueue._get_scores
_get = GraphQueue.get
_mark_done = GraphQueue.mark_done
_run_queue = GraphRunnableTask.run_queue


def _get_scores(self: GraphQueue, graph: nx.DiGraph) -> dict[Any, tuple[float, int]]:
    depth = _depth_scores(self, graph)
    return critical_path_scores(graph, lambda n: self.manifest.expect(n).resource_type, depth)


def _get_when_a_thread_is_free(
    self: GraphQueue, block: bool = True, timeout: float | None = None
) -> Any:
    slots: threading.Semaphore | None = getattr(self, "free_threads", None)
    if slots is not None and not slots.acquire(blocking=block, timeout=timeout):
        raise queue.Empty
    try:
        return _get(self, block, timeout)
    except queue.Empty:
        if slots is not None:
            slots.release()
        raise


def _mark_done_and_free_the_thread(self: GraphQueue, node_id: str) -> None:
    _mark_done(self, node_id)
    slots: threading.Semaphore | None = getattr(self, "free_threads", None)
    if slots is not None:
        slots.release()


def _run_queue_with_free_threads(self: GraphRunnableTask, pool: Any) -> None:
    if self.job_queue is not None:
        self.job_queue.free_threads = threading.Semaphore(self.config.threads)  # type: ignore[attr-defined]
    _run_queue(self, pool)


_fire_event = EventManager.fire_event


def _fire_event_someone_writes(
    self: EventManager,
    e: BaseEvent,
    level: EventLevel | None = None,
    node: Any = None,
    force_warn_or_error_handling: bool = False,
) -> None:
    severity = _log_level_map[level or e.level_tag()]
    unwritten = all(severity < _log_level_map[logger.level] for logger in self.loggers)
    # Warnings and errors always go on: dbt's callbacks and --warn-error act on them.
    if (
        unwritten
        and severity < _log_level_map[EventLevel.WARN]
        and not force_warn_or_error_handling
        and type(e).__name__ not in PRINT_EVENT_NAMES
    ):
        return
    _fire_event(
        self, e, level=level, node=node, force_warn_or_error_handling=force_warn_or_error_handling
    )


def install() -> None:
    """Change dbt's queue and event manager as described above (for this process)."""
    GraphQueue._get_scores = _get_scores  # type: ignore[method-assign]
    GraphQueue.get = _get_when_a_thread_is_free  # type: ignore[method-assign]
    GraphQueue.mark_done = _mark_done_and_free_the_thread  # type: ignore[method-assign]
    GraphRunnableTask.run_queue = _run_queue_with_free_threads  # type: ignore[method-assign]
    EventManager.fire_event = _fire_event_someone_writes  # type: ignore[method-assign]


def main() -> None:
    from dbt.cli.main import cli

    install()
    sys.exit(cli())


if __name__ == "__main__":
    main()
