"""One execution on a definition's graph: each state's status, retries and duration; the path taken."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from workflow.graph.history import read_history
from workflow.graph.model import TIMES, Edge, EdgeKind, Graph, GraphError, Kind, Mode, Run, Status, duration_text


def overlay(graph: Graph, events: Sequence[Mapping[str, Any]], *, title: str | None = None) -> Graph:
    """The definition's graph with one execution on it: each state's status, retries and duration; the path taken."""
    if graph.mode is Mode.DIFF:
        raise GraphError("an execution overlays a definition's graph, not a diff")
    history = read_history(events)
    runs: dict[str, Run] = {}
    nodes = []
    for node in graph.nodes:
        run = None
        if node.kind not in {Kind.START, Kind.END}:
            run = runs.setdefault(node.name, history.run(node.name))
        if node.kind is Kind.JOIN and run is not None and run.status not in {Status.SUCCEEDED, Status.RETRIED}:
            run = Run(Status.NOT_REACHED, visits=0)  # the branches never all came back
        nodes.append(replace(node, run=run))
    by_id = {node.id: node for node in nodes}

    def taken(edge: Edge) -> bool:
        source, target = by_id[edge.source], by_id[edge.target]
        if edge.kind is EdgeKind.RETRY:
            return source.run is not None and source.run.retries > 0
        if target.kind is Kind.JOIN:  # a branch finished
            return source.run is not None and source.run.status in {Status.SUCCEEDED, Status.RETRIED}
        # Next and Catch may join the same two states: which one was taken is the source's outcome.
        caught = source.run is not None and source.run.status is Status.CAUGHT
        if (edge.kind is EdgeKind.CATCH and not caught) or (edge.kind is EdgeKind.NEXT and caught):
            return False
        from_name = None if source.kind is Kind.START else source.name
        to_name = None if target.kind is Kind.END else target.name
        return (from_name, to_name) in history.transitions

    edges = []
    for edge in graph.edges:
        label = edge.label
        source = by_id[edge.source]
        if edge.kind is EdgeKind.RETRY and source.run is not None and source.run.retries:
            label = f"retried {source.run.retries}{TIMES}"
        edges.append(replace(edge, taken=taken(edge), label=label))
    duration = f" in {duration_text(history.seconds)}" if history.seconds is not None else ""
    error = f" ({history.error})" if history.error else ""
    return replace(
        graph,
        title=title if title is not None else graph.title,
        nodes=tuple(nodes),
        edges=tuple(edges),
        mode=Mode.EXECUTION,
        subtitle=f"execution {history.status}{error}{duration}",
    )
