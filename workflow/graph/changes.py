"""Two definitions -> one graph of what changed: added, removed and changed states and edges."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from workflow.graph.build import state_graph
from workflow.graph.model import MINUS, Change, Edge, EdgeKind, Graph, Mode


def diff(old: Mapping[str, Any], new: Mapping[str, Any], *, title: str | None = None) -> Graph:
    """`new`'s graph with `old`'s removed states and edges put back, every state and edge marked."""
    before, after = state_graph(old), state_graph(new)
    old_states, new_states = _flat_states(old), _flat_states(new)
    old_ids = {node.id for node in before.nodes}
    nodes = []
    for node in after.nodes:
        if node.id not in old_ids:
            nodes.append(replace(node, change=Change.ADDED))
        elif node.id in new_states and _own(old_states[node.id]) != _own(new_states[node.id]):
            notes = _differences(_own(old_states[node.id]), _own(new_states[node.id]))
            nodes.append(
                replace(
                    node,
                    change=Change.CHANGED,
                    change_note="; ".join(notes[:2]) + (f"; +{len(notes) - 2} more" if len(notes) > 2 else ""),
                    tooltip="\n".join(notes),
                )
            )
        else:
            nodes.append(node)
    new_ids = {node.id for node in after.nodes}
    nodes += [replace(node, change=Change.REMOVED) for node in before.nodes if node.id not in new_ids]

    def key(edge: Edge) -> tuple[str, str, EdgeKind]:
        return edge.source, edge.target, edge.kind

    old_edges = {key(edge): edge for edge in before.edges}
    new_keys = {key(edge) for edge in after.edges}
    edges = []
    for edge in after.edges:
        was = old_edges.get(key(edge))
        if was is None:
            edges.append(replace(edge, change=Change.ADDED))
        elif was.label != edge.label:
            edges.append(replace(edge, change=Change.CHANGED, tooltip=f"was: {was.tooltip or was.label}"))
        else:
            edges.append(edge)
    edges += [replace(edge, change=Change.REMOVED) for edge in before.edges if key(edge) not in new_keys]
    cluster_ids = {cluster.id for cluster in after.clusters}
    clusters = after.clusters + tuple(c for c in before.clusters if c.id not in cluster_ids)
    counts = {change: sum(node.change is change for node in nodes) for change in Change}
    return Graph(
        title=title if title is not None else f"Changes: {after.title}",
        nodes=tuple(nodes),
        edges=tuple(edges),
        clusters=clusters,
        mode=Mode.DIFF,
        subtitle=", ".join(f"{counts[c]} {c.value}" for c in (Change.ADDED, Change.REMOVED, Change.CHANGED)),
    )


def _flat_states(machine: Mapping[str, Any], prefix: str = "") -> dict[str, Mapping[str, Any]]:
    """Every state by node id, nested branches included (ids as `state_graph` makes them)."""
    found: dict[str, Mapping[str, Any]] = {}
    for name, state in (machine.get("States") or {}).items():
        node_id = prefix + name
        found[node_id] = state
        branches = state.get("Branches") or [state.get("ItemProcessor") or state.get("Iterator") or {}]
        for index, branch in enumerate(branches):
            found.update(_flat_states(branch, f"{node_id}/{index}/"))
    return found


def _own(state: Mapping[str, Any]) -> dict[str, Any]:
    """A state without its nested states: a change inside a branch marks that branch's state, not the Parallel."""
    return {k: v for k, v in state.items() if k not in {"Branches", "ItemProcessor", "Iterator"}}


def _differences(old: object, new: object, path: str = "") -> list[str]:
    """Short notes: `Retry[1].MaxAttempts 4 → 6`, `+TimeoutSeconds`, `Parameters.UpdateExpression changed`."""
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        notes = []
        for key in [*old, *(k for k in new if k not in old)]:
            where = f"{path}.{key}" if path else str(key)
            if key not in new:
                notes.append(f"{MINUS}{where}")
            elif key not in old:
                value = json.dumps(new[key])
                notes.append(f"+{where} {value}" if len(value) <= 20 else f"+{where}")
            elif old[key] != new[key]:
                notes += _differences(old[key], new[key], where)
        return notes
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        return [
            note for i, (a, b) in enumerate(zip(old, new, strict=True)) for note in _differences(a, b, f"{path}[{i}]")
        ]
    if isinstance(old, list) and isinstance(new, list):
        return [f"{path}: {len(old)} → {len(new)} entries"]
    shown_old, shown_new = json.dumps(old), json.dumps(new)
    if len(shown_old) + len(shown_new) <= 40:
        return [f"{path} {shown_old} → {shown_new}"]
    return [f"{path} changed"]
