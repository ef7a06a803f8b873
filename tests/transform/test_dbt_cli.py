"""`orderlens-dbt` hands dbt's nodes out longest chain first, and only to a free thread; it
formats only the log events a logger writes."""

from __future__ import annotations

import io
import json
import queue
import threading
from pathlib import Path
from types import SimpleNamespace

import networkx as nx
import pytest
from dbt.graph.queue import GraphQueue
from dbt.node_types import NodeType
from dbt_common.events.base_types import EventLevel
from dbt_common.events.event_manager import EventManager
from dbt_common.events.logger import LineFormat, LoggerConfig
from dbt_common.events.types import Note, PrintEvent

from pipelines.definitions import build_definitions
from pipelines.transform import dbt_cli
from pipelines.transform.dbt import dbt_executable, dbt_project, ensure_manifest


class _Manifest:
    """The part of dbt's manifest the queue reads: each node's resource type."""

    def __init__(self, kinds: dict[str, NodeType]) -> None:
        self.kinds = kinds

    def expect(self, unique_id: str) -> SimpleNamespace:
        return SimpleNamespace(unique_id=unique_id, resource_type=self.kinds[unique_id])


class _Queue(GraphQueue):
    """dbt's GraphQueue with OrderLens's changes, without patching dbt in this process."""

    _get_scores = dbt_cli._get_scores
    get = dbt_cli._get_when_a_thread_is_free
    mark_done = dbt_cli._mark_done_and_free_the_thread


def _queue(edges: list[tuple[str, str]], kinds: dict[str, NodeType], threads: int) -> _Queue:
    graph = nx.DiGraph()
    graph.add_nodes_from(kinds)
    graph.add_edges_from(edges)
    q = _Queue(graph, _Manifest(kinds), set(kinds))  # type: ignore[arg-type]
    q.free_threads = threading.Semaphore(threads)  # type: ignore[attr-defined]
    return q


def test_the_longest_chain_goes_first_and_tests_weigh_a_tenth() -> None:
    model, test = NodeType.Model, NodeType.Test
    graph = nx.DiGraph(
        [("staging", "chain_head"), ("chain_head", "chain_head_test"), ("chain_head_test", "tail")]
    )
    graph.add_edge("staging", "leaf")
    graph.add_edge("leaf", "leaf_test")
    kinds = {"chain_head_test": test, "leaf_test": test}
    depth = {"staging": 0, "chain_head": 1, "leaf": 1, "chain_head_test": 2, "leaf_test": 2}
    depth["tail"] = 3
    scores = dbt_cli.critical_path_scores(graph, lambda n: kinds.get(n, model), depth)

    assert scores["chain_head"] == pytest.approx((-2.1, 1))  # itself, its test, the tail
    assert scores["leaf"] == pytest.approx((-1.1, 1))
    assert scores["staging"] == pytest.approx((-3.1, 0))
    assert scores["chain_head"] < scores["leaf"]


def test_a_ready_node_waits_for_a_free_thread_and_the_longer_chain_takes_it() -> None:
    # a -> c -> d is the long chain; b is a leaf, ready from the start like a.
    kinds = dict.fromkeys("abcd", NodeType.Model)
    q = _queue([("a", "c"), ("c", "d")], kinds, threads=1)

    assert q.get().unique_id == "a"
    # b is ready, but the one thread runs a: dbt's loop would take b now and queue it.
    with pytest.raises(queue.Empty):
        q.get(timeout=0.05)
    q.mark_done("a")
    # c became ready after b and is deeper, but it leads the longer chain.
    assert q.get().unique_id == "c"
    q.mark_done("c")
    # Chains of one: the shallower first, as dbt orders them.
    assert q.get().unique_id == "b"
    q.mark_done("b")
    assert q.get().unique_id == "d"


def test_the_project_queue_puts_the_customer_chain_before_a_leaf_mart() -> None:
    manifest = json.loads(ensure_manifest(dbt_project()).read_text())
    nodes = {
        uid: node
        for uid, node in manifest["nodes"].items()
        if node["resource_type"] in ("model", "test")
    }
    # dbt's own edges (manifest.json's child_map), between the models and tests.
    graph = nx.DiGraph(
        {uid: [c for c in manifest["child_map"][uid] if c in nodes] for uid in nodes}
    )
    depth = dict.fromkeys(nodes, 0)
    scores = dbt_cli.critical_path_scores(
        graph, lambda uid: NodeType(nodes[uid]["resource_type"]), depth
    )

    def score(name: str) -> tuple[float, int]:
        return scores[f"model.orderlens.{name}"]

    # int_orders_priced feeds the RFM months, their segments and customer_rfm.
    assert score("int_orders_priced") < score("carrier_scorecard")
    assert score("int_customers_rfm_monthly") < score("customer_summary")


def test_dagster_runs_dbt_through_orderlens_dbt() -> None:
    resource = build_definitions().resources["dbt"]
    script = Path(resource.dbt_executable)

    assert script == Path(dbt_executable())
    assert "pipelines.transform.dbt_cli" in script.read_text(encoding="utf-8")


def test_only_the_events_a_logger_writes_are_formatted() -> None:
    manager = EventManager()
    out = io.StringIO()
    manager.add_logger(
        LoggerConfig(
            name="stdout", level=EventLevel.INFO, line_format=LineFormat.Json, output_stream=out
        )
    )
    formatted: list[str] = []
    logger = manager.loggers[0]
    create_line = logger.create_line
    logger.create_line = lambda msg: formatted.append(msg.info.msg) or create_line(msg)  # type: ignore[method-assign]

    def fire(event: Note | PrintEvent, level: EventLevel | None = None) -> None:
        dbt_cli._fire_event_someone_writes(manager, event, level=level)

    fire(Note(msg="a statement's SQL"), level=EventLevel.DEBUG)
    fire(Note(msg="a node passed"), level=EventLevel.INFO)
    fire(Note(msg="a deprecation"), level=EventLevel.WARN)
    assert formatted == ["a node passed", "a deprecation"]
    assert "a node passed" in out.getvalue() and "a statement's SQL" not in out.getvalue()

    # Quiet (errors only): print events are still written; warnings still reach the logger.
    logger.level = EventLevel.ERROR
    formatted.clear()
    fire(PrintEvent(msg="the compiled SQL asked for"))
    fire(Note(msg="a node passed"), level=EventLevel.INFO)
    fire(Note(msg="a deprecation"), level=EventLevel.WARN)
    assert formatted == ["the compiled SQL asked for", "a deprecation"]
