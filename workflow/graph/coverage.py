"""Edge coverage of a definition: which of its edges the tests took, from TestState answers and execution histories.

An edge is a way out of a state the definition names:

    A.Next                 A's Next
    A.Choices[i]           a Choice rule's Next;  A.Default: the Choice's Default
    A.Retry[i]             a Retry rule: covered when a retry by that rule happened
    A.Catch[i]             a Catch rule: covered when that catcher was taken

States are named by their name (unique in a whole state machine, branches included). A Choice whose rules (or a rule
and its Default) go to the same state has one edge for them (`A.Choices[0]+Default`): neither a history nor a
TestState answer says which rule matched, only where the execution went. A Retry rule is credited from a history
when a failed attempt is followed by another attempt of the same state (the rule is the first whose ErrorEquals
matches the failure, as AWS picks it); a Catch rule when the state failed and the next state entered is that
catcher's (the first matching the error). Retries of a Parallel or a Map are not read from histories (TestState
answers name them).

A definition is one of the tracked ones when its `signature` is: its states, their types, Next, End, Default, the
Choices' Next, every Retry rule, each Catch's ErrorEquals and Next, and the timeouts, not its resources or
expressions (the local names differ from AWS's).

A `Collector` hears TestState answers and executions and keeps, per tracked workflow type, each covered edge and
how often each source covered it; `record()` is what one process writes, `Coverage.of(tracked, records)` merges
records and reports, and `coverage_graph` draws a definition with each edge covered (green) or not (red, dashed).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from workflow.graph.build import _names, state_graph
from workflow.graph.model import END, START, Edge, EdgeKind, Graph, Kind, Mode

RECORD_VERSION = 1
TEST_STATE = "test_state"
EXECUTION = "execution"

_ATTEMPTS = frozenset({"TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled"})
_FAILURES = frozenset(
    {
        "TaskFailed",
        "TaskTimedOut",
        "TaskStartFailed",
        "TaskSubmitFailed",
        "LambdaFunctionFailed",
        "LambdaFunctionTimedOut",
        "LambdaFunctionStartFailed",
        "LambdaFunctionScheduleFailed",
        "ActivityFailed",
        "ActivityTimedOut",
        "ActivityScheduleFailed",
        "ParallelStateFailed",
        "MapStateFailed",
    }
)
_SUCCESSES = frozenset(
    {"TaskSucceeded", "LambdaFunctionSucceeded", "ActivitySucceeded", "ParallelStateSucceeded", "MapStateSucceeded"}
)
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
        if kind in _ATTEMPTS and visit.failed is not None:
            index = _first(states.get(state, {}).get("Retry") or [], visit.failed)
            if index is not None and (key := keys.get((state, f"Retry[{index}]"))):
                covered.add(key)
            visit.failed = None
        elif kind in _FAILURES:
            visit.failed = str(details.get("error", kind))
        elif kind in _SUCCESSES:
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


# --- collecting, recording, merging --------------------------------------------------------------------------------


@dataclass
class Collector:
    """Hears TestState answers and executions, and keeps what they covered of each tracked definition (by workflow
    type); anything else it hears is ignored."""

    tracked: Mapping[str, Mapping[str, Any]]
    covered: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)  # type -> key -> source -> count
    _signatures: dict[str, str] = field(default_factory=dict)
    _seen: dict[str, tuple[str, ...]] = field(default_factory=dict)  # a definition's text -> the types it is

    def __post_init__(self) -> None:
        self._signatures = {kind: signature(definition) for kind, definition in self.tracked.items()}

    def types_of(self, definition: Mapping[str, Any] | str) -> tuple[str, ...]:
        """The tracked workflow types whose signature this definition has (normally one, or none)."""
        text = definition if isinstance(definition, str) else json.dumps(definition, sort_keys=True)
        found = self._seen.get(text)
        if found is None:
            try:
                digest = signature(text)
            except (ValueError, TypeError, AttributeError):
                digest = ""
            found = tuple(kind for kind, signed in self._signatures.items() if signed == digest)
            self._seen[text] = found
        return found

    def _add(self, kind: str, keys: Iterable[str], source: str) -> None:
        counts = self.covered.setdefault(kind, {})
        for key in keys:
            by_source = counts.setdefault(key, {})
            by_source[source] = by_source.get(source, 0) + 1

    def heard_test_state(
        self,
        definition: Mapping[str, Any] | str,
        state_name: str | None,
        status: str,
        next_state: str | None = None,
        retry_index: int | None = None,
        catch_index: int | None = None,
    ) -> None:
        if state_name is None:
            return  # one state on its own: not a tracked workflow
        for kind in self.types_of(definition):
            keys = state_edges(self.tracked[kind], state_name, status, next_state, retry_index, catch_index)
            self._add(kind, keys, TEST_STATE)

    def heard_execution(
        self, definition: Mapping[str, Any] | str, events: Sequence[Mapping[str, Any]], workflow_type: str | None = None
    ) -> None:
        """An execution of `definition` on a state machine of `workflow_type` (None: any tracked type it matches)."""
        for kind in self.types_of(definition):
            if workflow_type is None or workflow_type == kind:
                self._add(kind, history_edges(self.tracked[kind], events), EXECUTION)

    def record(self, worker: str = "") -> dict[str, Any]:
        """What one process writes (JSON): per tracked type, its definition's signature and what was covered."""
        return {
            "version": RECORD_VERSION,
            "worker": worker,
            "workflows": {
                kind: {"signature": self._signatures[kind], "covered": self.covered.get(kind, {})}
                for kind in self.tracked
            },
        }


@dataclass(frozen=True)
class TypeCoverage:
    workflow_type: str
    edges: tuple[FlowEdge, ...]
    covered: Mapping[str, Mapping[str, int]]  # key -> source -> count, for this type's edges only

    @property
    def uncovered(self) -> tuple[FlowEdge, ...]:
        return tuple(edge for edge in self.edges if edge.key not in self.covered)

    @property
    def percent(self) -> float:
        return 100.0 if not self.edges else 100.0 * (len(self.edges) - len(self.uncovered)) / len(self.edges)

    def by_source(self, source: str) -> int:
        return sum(1 for edge in self.edges if self.covered.get(edge.key, {}).get(source))


@dataclass(frozen=True)
class Coverage:
    """Merged records against the tracked definitions: per type, its edges and which were covered."""

    types: tuple[TypeCoverage, ...]
    records: int
    stale: tuple[str, ...] = ()  # records (or parts) collected against another definition: ignored

    @classmethod
    def of(cls, tracked: Mapping[str, Mapping[str, Any]], records: Sequence[Mapping[str, Any]]) -> Coverage:
        merged: dict[str, dict[str, dict[str, int]]] = {kind: {} for kind in tracked}
        stale: list[str] = []
        for record in records:
            for kind, part in (record.get("workflows") or {}).items():
                if kind not in tracked:
                    continue
                if part.get("signature") != signature(tracked[kind]):
                    stale.append(f"{record.get('worker') or '?'} ({kind})")
                    continue
                for key, sources in (part.get("covered") or {}).items():
                    into = merged[kind].setdefault(key, {})
                    for source, count in sources.items():
                        into[source] = into.get(source, 0) + int(count)
        types = []
        for kind, definition in tracked.items():
            found = edges(definition)
            keys = {edge.key for edge in found}
            types.append(TypeCoverage(kind, found, {k: v for k, v in merged[kind].items() if k in keys}))
        return cls(tuple(types), len(records), tuple(stale))

    def of_type(self, workflow_type: str) -> TypeCoverage:
        return next(t for t in self.types if t.workflow_type == workflow_type)

    def ok(self, fail_under: float) -> bool:
        return all(t.percent >= fail_under for t in self.types)

    def text(self) -> str:
        lines = []
        for t in self.types:
            covered = len(t.edges) - len(t.uncovered)
            lines.append(
                f"{t.workflow_type:<9} {covered:>3} of {len(t.edges):>3} edges  {t.percent:5.1f} %"
                f"   (by TestState {t.by_source(TEST_STATE)}, by executions {t.by_source(EXECUTION)})"
            )
        uncovered = [(t.workflow_type, edge) for t in self.types for edge in t.uncovered]
        if uncovered:
            lines.append("uncovered:")
            lines += [f"  {kind:<9} {edge.text()}" for kind, edge in uncovered]
        else:
            lines.append("every edge covered")
        if self.stale:
            lines.append(f"ignored, collected against another definition: {', '.join(self.stale)}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        return {
            "records": self.records,
            "stale": list(self.stale),
            "types": {
                t.workflow_type: {
                    "edges": len(t.edges),
                    "covered": len(t.edges) - len(t.uncovered),
                    "percent": round(t.percent, 2),
                    "uncovered": [edge.key for edge in t.uncovered],
                }
                for t in self.types
            },
        }


# --- the drawing ---------------------------------------------------------------------------------------------------


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
