"""A definition's edges and which of them one TestState answer or one execution took (workflow.graph.coverage).

`edges` names every way out of each state (`A.Next`, `A.Choices[i]`, `A.Default`, `A.Retry[i]`, `A.Catch[i]`);
`signature` is a digest of what decides them; `state_edges` reads a TestState answer and `history_edges` an
execution's events (the event types of workflow.graph.history).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from workflow.graph.history import ATTEMPTS, FAILURES, SUCCESSES
from workflow.graph.model import EdgeKind

_CONTAINERS = ("ParallelState", "MapState", "MapIteration", "MapRun")


@dataclass(frozen=True)
class FlowEdge:
    """One edge: `key` names it (`CreateOrder.Catch[0]`); `target` is None for a Retry (the state itself)."""

    key: str
    state: str
    kind: EdgeKind
    rules: tuple[str, ...]  # Next, Default, Choices[i], Retry[i] or Catch[i]; several for a merged Choice edge
    target: str | None
    errors: tuple[str, ...] = ()

    def text(self) -> str:
        to = self.state if self.target is None else self.target
        errors = f" on {', '.join(self.errors)}" if self.errors else ""
        return f"{self.key}: {self.state} -> {to}{errors}"


def _states(machine: Mapping[str, Any]) -> Iterable[tuple[str, Mapping[str, Any]]]:
    """Every state of a machine, its Parallel branches' and Map processors' included."""
    for name, state in (machine.get("States") or {}).items():
        yield name, state
        for branch in state.get("Branches") or []:
            yield from _states(branch)
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from _states(processor)


def edges(definition: Mapping[str, Any]) -> tuple[FlowEdge, ...]:
    """Every edge of a definition, in the order of its states and their fields."""
    found: list[FlowEdge] = []
    for name, state in _states(definition):
        if "Next" in state and state.get("Type") != "Choice":
            found.append(FlowEdge(f"{name}.Next", name, EdgeKind.NEXT, ("Next",), str(state["Next"])))
        found.extend(_choice_edges(name, state))
        for index, rule in enumerate(state.get("Retry") or []):
            errors = tuple(str(e) for e in rule.get("ErrorEquals") or [])
            found.append(FlowEdge(f"{name}.Retry[{index}]", name, EdgeKind.RETRY, (f"Retry[{index}]",), None, errors))
        for index, rule in enumerate(state.get("Catch") or []):
            errors = tuple(str(e) for e in rule.get("ErrorEquals") or [])
            rules = (f"Catch[{index}]",)
            found.append(FlowEdge(f"{name}.Catch[{index}]", name, EdgeKind.CATCH, rules, str(rule.get("Next")), errors))
    return tuple(found)


def _choice_edges(name: str, state: Mapping[str, Any]) -> list[FlowEdge]:
    if state.get("Type") != "Choice":
        return []
    by_target: dict[str, list[str]] = {}
    for index, rule in enumerate(state.get("Choices") or []):
        by_target.setdefault(str(rule.get("Next")), []).append(f"Choices[{index}]")
    if "Default" in state:
        by_target.setdefault(str(state["Default"]), []).append("Default")
    found = []
    for target, rules in by_target.items():
        kind = EdgeKind.DEFAULT if rules == ["Default"] else EdgeKind.CHOICE
        found.append(FlowEdge(f"{name}.{'+'.join(rules)}", name, kind, tuple(rules), target))
    return found


# --- which definition ----------------------------------------------------------------------------------------------

_SIGNED = ("Type", "Next", "End", "Default", "TimeoutSeconds", "HeartbeatSeconds")


def _signed_machine(machine: Mapping[str, Any]) -> dict[str, Any]:
    states = {}
    for name, state in (machine.get("States") or {}).items():
        signed: dict[str, Any] = {key: state[key] for key in _SIGNED if key in state}
        if "Choices" in state:
            signed["Choices"] = [rule.get("Next") for rule in state["Choices"]]
        if "Retry" in state:
            signed["Retry"] = state["Retry"]
        if "Catch" in state:
            signed["Catch"] = [[c.get("ErrorEquals"), c.get("Next")] for c in state["Catch"]]
        if "Branches" in state:
            signed["Branches"] = [_signed_machine(branch) for branch in state["Branches"]]
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            signed["ItemProcessor"] = _signed_machine(processor)
        states[name] = signed
    return {"StartAt": machine.get("StartAt"), "States": states}


def signature(definition: Mapping[str, Any] | str) -> str:
    """A digest of what decides a definition's edges and when they are taken (not its resources or expressions)."""
    parsed = json.loads(definition) if isinstance(definition, str) else definition
    text = json.dumps(_signed_machine(parsed), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


# --- what a TestState answer or an execution covered ---------------------------------------------------------------


def matches(names: Sequence[str], error: str) -> bool:
    """ErrorEquals as AWS's error-handling page defines it (States.ALL and States.TaskFailed are wildcards)."""
    return any(
        name == error
        or (name == "States.ALL" and error not in ("States.Runtime", "States.DataLimitExceeded"))
        or (name == "States.TaskFailed" and error not in ("States.Timeout", "States.Runtime"))
        for name in names
    )


def _first(rules: Sequence[Mapping[str, Any]], error: str) -> int | None:
    return next((i for i, rule in enumerate(rules) if matches(list(rule.get("ErrorEquals") or []), error)), None)


def _by_rule(definition: Mapping[str, Any]) -> dict[tuple[str, str], str]:
    """(state, rule) -> the key of the edge holding that rule."""
    return {(edge.state, rule): edge.key for edge in edges(definition) for rule in edge.rules}


def _moved(state_name: str, state: Mapping[str, Any], target: str, keys: Mapping[tuple[str, str], str]) -> str | None:
    """The edge a state left by, without failing, to `target`."""
    if state.get("Type") == "Choice":
        for index, rule in enumerate(state.get("Choices") or []):
            if rule.get("Next") == target:
                return keys.get((state_name, f"Choices[{index}]"))
        return keys.get((state_name, "Default")) if state.get("Default") == target else None
    return keys.get((state_name, "Next")) if state.get("Next") == target else None


def state_edges(
    definition: Mapping[str, Any],
    state_name: str,
    status: str,
    next_state: str | None = None,
    retry_index: int | None = None,
    catch_index: int | None = None,
) -> set[str]:
    """The edge one TestState answer covered: RETRIABLE by retryIndex, CAUGHT_ERROR by catchIndex, SUCCEEDED by
    nextState."""
    states = dict(_states(definition))
    state = states.get(state_name)
    if state is None:
        return set()
    keys = _by_rule(definition)
    found: str | None = None
    if status == "RETRIABLE" and retry_index is not None:
        found = keys.get((state_name, f"Retry[{retry_index}]"))
    elif status == "CAUGHT_ERROR" and catch_index is not None:
        found = keys.get((state_name, f"Catch[{catch_index}]"))
    elif status == "SUCCEEDED" and next_state is not None:
        found = _moved(state_name, state, next_state, keys)
    return {found} if found else set()


@dataclass
class _Visit:
    failed: str | None = None  # the error of the state's last attempt, while it failed


def history_edges(definition: Mapping[str, Any], events: Sequence[Mapping[str, Any]]) -> set[str]:
    """The edges one execution took, from its events (GetExecutionHistory's, or the engine's for Express)."""
    states = dict(_states(definition))
    keys = _by_rule(definition)
    covered: set[str] = set()
    owner: dict[int, str | None] = {}
    visits: dict[str, _Visit] = {}
    open_containers: list[str] = []
    for event in sorted(events, key=lambda e: int(e["id"])):
        event_id, kind = int(event["id"]), str(getattr(event["type"], "value", event["type"]))  # the engine's: enums
        previous = owner.get(int(event.get("previousEventId") or 0))
        details = next((v for k, v in event.items() if k.endswith("EventDetails") and isinstance(v, Mapping)), {})
        if kind.endswith("StateEntered"):
            name = str(details.get("name"))
            owner[event_id] = name
            left = visits.get(previous) if previous is not None else None
            if previous is not None and previous != name and left is not None and previous in states:
                covered |= _left(previous, states[previous], name, left, keys)
            visits[name] = _Visit()
            if kind in {"ParallelStateEntered", "MapStateEntered"}:
                open_containers.append(name)
            continue
        if kind.endswith("StateExited"):
            name = str(details.get("name", previous))
            owner[event_id] = name
            if open_containers and open_containers[-1] == name:
                open_containers.pop()
            continue
        state = open_containers[-1] if kind.startswith(_CONTAINERS) and open_containers else previous
        owner[event_id] = state
        visit = visits.get(state) if state is not None else None
        if visit is None or state is None:
            continue
        if kind in ATTEMPTS and visit.failed is not None:
            index = _first(states.get(state, {}).get("Retry") or [], visit.failed)
            if index is not None and (key := keys.get((state, f"Retry[{index}]"))):
                covered.add(key)
            visit.failed = None
        elif kind in FAILURES:
            visit.failed = str(details.get("error", kind))
        elif kind in SUCCESSES:
            visit.failed = None
    return covered


def _left(
    name: str, state: Mapping[str, Any], target: str, visit: _Visit, keys: Mapping[tuple[str, str], str]
) -> set[str]:
    if visit.failed is not None:
        index = _first(state.get("Catch") or [], visit.failed)
        if index is None or state["Catch"][index].get("Next") != target:
            return set()
        key = keys.get((name, f"Catch[{index}]"))
    else:
        key = _moved(name, state, target, keys)
    return {key} if key else set()
