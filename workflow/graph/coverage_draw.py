"""The drawing of edge coverage (workflow.graph.coverage): a definition's graph with each edge covered or not."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from workflow.graph.build import _names, state_graph
from workflow.graph.coverage_edges import _by_rule, _states, edges
from workflow.graph.model import END, START, Edge, EdgeKind, Graph, Kind, Mode


def coverage_graph(definition: Mapping[str, Any], covered: Iterable[str], *, title: str | None = None) -> Graph:
    """The definition's graph with each edge marked covered or not (`Edge.taken`; Start, End and branch edges are
    no edges of the coverage: `Edge.counted` is False). A state's Retry rules are drawn one loop each."""
    graph = state_graph(definition, title=title)
    keys = _by_rule(definition)
    done = set(covered)
    by_id = {node.id: node for node in graph.nodes}
    states = dict(_states(definition))
    drawn: list[Edge] = []
    seen: dict[tuple[str, EdgeKind], int] = {}
    for edge in graph.edges:
        source = by_id[edge.source]
        at = seen.get((edge.source, edge.kind), 0)
        seen[(edge.source, edge.kind)] = at + 1
        rule: str | None = None
        if edge.kind is EdgeKind.RETRY:
            for index, retrier in enumerate(states[source.name].get("Retry") or []):
                retried = keys[(source.name, f"Retry[{index}]")] in done
                errors = [str(e) for e in retrier.get("ErrorEquals") or []]
                label = f"retry[{index}] {_names(errors)}"
                drawn.append(replace(edge, label=label, tooltip=", ".join(errors), taken=retried, counted=True))
            continue
        if edge.source == START or edge.target == END or by_id[edge.target].kind is Kind.JOIN:
            rule = None
        elif edge.kind is EdgeKind.NEXT:
            rule = "Next"
        elif edge.kind is EdgeKind.CHOICE:
            rule = f"Choices[{at}]"
        elif edge.kind is EdgeKind.DEFAULT:
            rule = "Default"
        elif edge.kind is EdgeKind.CATCH:
            rule = f"Catch[{at}]"
        key = keys.get((source.name, rule)) if rule is not None else None
        drawn.append(replace(edge, taken=key in done, counted=True) if key else edge)
    every = edges(definition)
    hit = sum(1 for edge in every if edge.key in done)
    percent = 100.0 * hit / len(every) if every else 100.0
    return replace(
        graph,
        edges=tuple(drawn),
        mode=Mode.COVERAGE,
        subtitle=f"edge coverage: {hit} of {len(every)} ({percent:.1f} %)",
    )
