"""State graphs of a Step Functions definition, drawn without any browser or CDN.

One model, several renderers:

    graph = state_graph(compile_order_workflow())          # the definition: states, Next/Choice/Catch/Retry edges
    graph = overlay(graph, history["events"])              # one execution on top: status, retries, duration, path
    graph = diff(old_definition, new_definition)           # two definitions as one graph: added/removed/changed
    to_mermaid(graph); to_markdown(graph); to_dot(graph)   # text, no system dependency
    render(graph, "order.svg")                             # by suffix: .svg .png (Graphviz `dot`) .md .mmd .dot

Colours and shapes are decided once, on the model (`node_look`, `edge_look`, `legend`); the renderers only spell them
in DOT or Mermaid syntax.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

START = "__start__"
END = "__end__"
DOT_TIMEOUT_SECONDS = 30.0
FONT = "DejaVu Sans,Helvetica,Arial,sans-serif"
# Spelled by name: ruff rightly flags look-alike characters, and these are meant.
TIMES = "\N{MULTIPLICATION SIGN}"
MINUS = "\N{MINUS SIGN}"
INSTALL_GRAPHVIZ = (
    "Graphviz's `dot` program is needed for .svg and .png output and is not installed. "
    "Install it with `sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` (macOS) "
    "or see https://graphviz.org/download/; .md, .mmd and .dot output need no Graphviz."
)


class GraphError(ValueError):
    """The definition or history cannot be drawn (e.g. a Next naming no state)."""


class GraphvizNotFound(RuntimeError):
    """`dot` is not on PATH; the message says how to install it."""


class GraphvizError(RuntimeError):
    """`dot` ran and failed, or took too long."""


class Kind(StrEnum):
    START = "Start"
    END = "End"
    TASK = "Task"
    PASS = "Pass"  # noqa: S105 - the ASL state type, not a password
    CHOICE = "Choice"
    WAIT = "Wait"
    SUCCEED = "Succeed"
    FAIL = "Fail"
    PARALLEL = "Parallel"
    MAP = "Map"
    JOIN = "Join"  # where a Parallel's branches or a Map's iterations come back together


class EdgeKind(StrEnum):
    NEXT = "next"
    DEFAULT = "default"
    CHOICE = "choice"
    CATCH = "catch"
    RETRY = "retry"
    BRANCH = "branch"


class Mode(StrEnum):
    DEFINITION = "definition"
    EXECUTION = "execution"
    DIFF = "diff"


class Status(StrEnum):
    """What one execution did in a state."""

    SUCCEEDED = "succeeded"
    RETRIED = "retried"  # succeeded after one or more retries
    CAUGHT = "caught"  # failed, and a Catch routed the execution on
    FAILED = "failed"
    RUNNING = "running"
    NOT_REACHED = "not reached"


class Change(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True)
class Run:
    """One execution's record of one state (summed over its visits)."""

    status: Status
    visits: int = 1
    retries: int = 0
    seconds: float | None = None
    error: str = ""
    cause: str = ""


@dataclass(frozen=True)
class Node:
    id: str
    name: str
    kind: Kind
    detail: str = ""  # one short line: "lambda:invoke", "wait 10 s", "error OrderFailed"
    tooltip: str = ""
    cluster: str | None = None
    retry: tuple[str, ...] = ()  # the Retry policy, one short line per retrier
    run: Run | None = None
    change: Change = Change.UNCHANGED
    change_note: str = ""


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: EdgeKind
    label: str = ""
    tooltip: str = ""
    taken: bool = False
    change: Change = Change.UNCHANGED


@dataclass(frozen=True)
class Cluster:
    id: str
    label: str
    parent: str | None = None


@dataclass(frozen=True)
class Graph:
    title: str
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    clusters: tuple[Cluster, ...] = ()
    mode: Mode = Mode.DEFINITION
    subtitle: str = ""

    def named(self, name: str) -> Node:
        """The state called `name` (Start/End are not states)."""
        for node in self.nodes:
            if node.name == name and node.kind not in {Kind.START, Kind.END, Kind.JOIN}:
                return node
        raise KeyError(name)

    def edges_from(self, node_id: str) -> list[Edge]:
        return [edge for edge in self.edges if edge.source == node_id]


# ---------------------------------------------------------------------------------------------------------------
# Definition -> graph


def state_graph(definition: Mapping[str, Any], *, title: str | None = None) -> Graph:
    """The graph of a compiled ASL definition (placeholders such as ${Partition} may remain)."""
    builder = _Builder()
    entry, exits = builder.machine(definition, prefix="", cluster=None)
    start = Node(START, "Start", Kind.START)
    end = Node(END, "End", Kind.END)
    edges = [Edge(START, entry, EdgeKind.NEXT), *builder.edges]
    edges += [Edge(exit_id, END, EdgeKind.NEXT) for exit_id in exits]
    return Graph(
        title=title if title is not None else str(definition.get("Comment") or "State machine"),
        nodes=(start, *builder.nodes, end),
        edges=tuple(edges),
        clusters=tuple(builder.clusters),
    )


class _Builder:
    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.clusters: list[Cluster] = []

    def machine(self, machine: Mapping[str, Any], prefix: str, cluster: str | None) -> tuple[str, list[str]]:
        """Adds a (sub-)state machine's states; returns its entry node id and the ids that end it."""
        states: Mapping[str, Mapping[str, Any]] = machine.get("States") or {}
        start_at = machine.get("StartAt")
        where = f"{prefix.rstrip('/')} " if prefix else ""
        if start_at not in states:
            raise GraphError(f"{where}StartAt names {start_at!r}, which is not a state")

        def target(name: str, field_name: str, to: object) -> str:
            if not isinstance(to, str) or to not in states:
                raise GraphError(f"{prefix}{name}.{field_name} names {to!r}, which is not a state")
            return prefix + to

        exits: list[str] = []
        for name, state in states.items():
            node_id = prefix + name
            kind = _kind(state)
            retriers = state.get("Retry") or []
            retry_lines, retry_tooltip = _retry_text(retriers)
            tooltip = "\n".join(part for part in (_tooltip(state), retry_tooltip) if part)
            self.nodes.append(Node(node_id, name, kind, _detail(state), tooltip, cluster, retry_lines))
            out = node_id
            if kind in {Kind.PARALLEL, Kind.MAP}:
                out = self._branches(node_id, name, kind, state, cluster)
            if "Next" in state:
                self.edges.append(Edge(out, target(name, "Next", state["Next"]), EdgeKind.NEXT))
            for index, rule in enumerate(state.get("Choices") or []):
                to = target(name, f"Choices[{index}].Next", rule.get("Next"))
                condition = _condition(rule)
                self.edges.append(Edge(node_id, to, EdgeKind.CHOICE, _clip(condition, 40), condition))
            if "Default" in state:
                self.edges.append(Edge(node_id, target(name, "Default", state["Default"]), EdgeKind.DEFAULT, "default"))
            if retriers:
                self.edges.append(Edge(node_id, node_id, EdgeKind.RETRY, tooltip=retry_tooltip))
            for index, catcher in enumerate(state.get("Catch") or []):
                to = target(name, f"Catch[{index}].Next", catcher.get("Next"))
                errors = [str(e) for e in catcher.get("ErrorEquals") or []]
                self.edges.append(Edge(node_id, to, EdgeKind.CATCH, f"catch {_names(errors)}", ", ".join(errors)))
            # A Fail inside a branch fails the whole Parallel/Map: it does not flow on to the join.
            if state.get("End") is True or kind is Kind.SUCCEED or (kind is Kind.FAIL and not prefix):
                exits.append(out)
        return prefix + str(start_at), exits

    def _branches(self, node_id: str, name: str, kind: Kind, state: Mapping[str, Any], cluster: str | None) -> str:
        """Parallel branches / the Map iterator as clusters between the state and its join; returns the join id."""
        if kind is Kind.PARALLEL:
            branches: list[Mapping[str, Any]] = list(state.get("Branches") or [])
            labels = [f"{name}: branch {i + 1} of {len(branches)}" for i in range(len(branches))]
        else:
            branches = [state.get("ItemProcessor") or state.get("Iterator") or {}]
            labels = [f"{name}: for each item"]
        join = f"{node_id}/join"
        for index, (branch, label) in enumerate(zip(branches, labels, strict=True)):
            cluster_id = f"{node_id}/{index}"
            self.clusters.append(Cluster(cluster_id, label, cluster))
            entry, exits = self.machine(branch, prefix=f"{cluster_id}/", cluster=cluster_id)
            self.edges.append(Edge(node_id, entry, EdgeKind.BRANCH))
            self.edges.extend(Edge(exit_id, join, EdgeKind.NEXT) for exit_id in exits)
        self.nodes.append(Node(join, name, Kind.JOIN, tooltip=f"{name}: all branches done", cluster=cluster))
        return join


def _kind(state: Mapping[str, Any]) -> Kind:
    try:
        return Kind(str(state.get("Type")))
    except ValueError:
        raise GraphError(f"unknown state Type {state.get('Type')!r}") from None


def _detail(state: Mapping[str, Any]) -> str:
    match _kind(state):
        case Kind.TASK:
            return _resource(str(state.get("Resource", "")))
        case Kind.WAIT:
            for key, text in (
                ("Seconds", "{} s"),
                ("SecondsPath", "{} s"),
                ("Timestamp", "until {}"),
                ("TimestampPath", "until {}"),
            ):
                if key in state:
                    return text.format(state[key])
            return ""
        case Kind.FAIL:
            return f"error {state['Error']}" if "Error" in state else ""
        case Kind.MAP:
            limit = state.get("MaxConcurrency")
            return f"max {limit} at a time" if limit else ""
    return ""


def _resource(resource: str) -> str:
    """arn:${Partition}:states:::lambda:invoke -> lambda:invoke; a Lambda or activity ARN -> its name."""
    if ":states:::" in resource:
        return resource.split(":states:::", 1)[1]
    for marker, label in ((":function:", "lambda"), (":activity:", "activity")):
        if marker in resource:
            return f"{label} {resource.split(marker, 1)[1]}"
    return resource


def _tooltip(state: Mapping[str, Any]) -> str:
    parts = [str(state["Comment"])] if state.get("Comment") else []
    if "Resource" in state:
        parts.append(str(state["Resource"]))
    if "TimeoutSeconds" in state:
        parts.append(f"timeout {state['TimeoutSeconds']} s")
    if state.get("Type") == "Fail" and "Cause" in state:
        parts.append(str(state["Cause"]))
    return " · ".join(parts)


_OPERATORS = (
    ("GreaterThanEquals", ">="),
    ("LessThanEquals", "<="),
    ("GreaterThan", ">"),
    ("LessThan", "<"),
    ("Equals", "=="),
    ("Matches", "matches"),
)


def _condition(rule: Mapping[str, Any]) -> str:
    """A Choice rule as a short expression: `$.total > 100`, `$.a == 'x' and not ($.b is present)`."""
    if "Condition" in rule:  # JSONata
        return str(rule["Condition"])
    for combinator in ("And", "Or"):
        if combinator in rule:
            return f" {combinator.lower()} ".join(f"({_condition(r)})" for r in rule[combinator])
    if "Not" in rule:
        return f"not ({_condition(rule['Not'])})"
    variable = str(rule.get("Variable", "?"))
    for key, value in rule.items():
        if key in {"Variable", "Next", "Comment"}:
            continue
        if key.startswith("Is"):  # IsPresent, IsNull, IsString, ...
            check = key[2:].lower()
            return f"{variable} is {check}" if value else f"{variable} is not {check}"
        path = key.endswith("Path")
        for suffix, symbol in _OPERATORS:
            if key.removesuffix("Path").endswith(suffix):
                shown = str(value) if path else json.dumps(value)
                return f"{variable} {symbol} {shown}"
        return f"{variable} {key} {json.dumps(value)}"
    return variable


def _num(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _names(errors: Sequence[str], width: int = 46) -> str:
    """As many whole names as fit in `width` characters (at least one), then `+N` for the rest."""

    def fits(count: int) -> bool:
        more = f" +{len(errors) - count}" if count < len(errors) else ""
        return len(", ".join(errors[:count]) + more) <= width

    shown = 1
    while shown < len(errors) and fits(shown + 1):
        shown += 1
    head = ", ".join(errors[:shown])
    return f"{head} +{len(errors) - shown}" if len(errors) > shown else head


def _retry_text(retriers: Sequence[Mapping[str, Any]]) -> tuple[tuple[str, ...], str]:
    """Short lines for the node (`retry x3: A, B +2`, then the backoff, once if all retriers share it) and a
    tooltip naming every error."""
    lines, backoffs, full = [], [], []
    for retrier in retriers:
        errors = [str(e) for e in retrier.get("ErrorEquals") or []]
        backoff = f"{_num(retrier.get('IntervalSeconds', 1))} s {TIMES}{_num(retrier.get('BackoffRate', 2.0))}"
        if "MaxDelaySeconds" in retrier:
            backoff += f", ≤{_num(retrier['MaxDelaySeconds'])} s"
        if retrier.get("JitterStrategy") == "FULL":
            backoff += ", jitter"
        attempts = retrier.get("MaxAttempts", 3)
        lines.append(f"retry {TIMES}{attempts}: {_names(errors)}")
        backoffs.append(backoff)
        full.append(f"retry {TIMES}{attempts} (backoff {backoff}): {', '.join(errors)}")
    if len(set(backoffs)) == 1:
        lines.append(f"backoff {backoffs[0]}")
    else:
        lines = [f"{line} · {backoff}" for line, backoff in zip(lines, backoffs, strict=True)]
    return tuple(lines), "\n".join(full)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


# ---------------------------------------------------------------------------------------------------------------
# Execution history -> overlay

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
_EXECUTION_ENDS = {
    "ExecutionSucceeded": "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionTimedOut": "TIMED_OUT",
    "ExecutionAborted": "ABORTED",
}


@dataclass
class _Visits:
    type: str  # "Task", "Pass", "Fail", ... from the XxxStateEntered event
    visits: int = 0
    attempts: int = 0
    seconds: float = 0.0
    entered: datetime | None = None  # of the open visit
    failed: bool = False  # the last attempt of the last visit failed
    moved_on: bool = False  # a later state was entered from this one
    error: str = ""
    cause: str = ""


@dataclass
class History:
    """What an execution history says, per state name; transitions use None for Start/End."""

    states: dict[str, _Visits] = field(default_factory=dict)
    transitions: set[tuple[str | None, str | None]] = field(default_factory=set)
    status: str = "RUNNING"
    seconds: float | None = None
    error: str = ""

    def run(self, name: str) -> Run:
        visits = self.states.get(name)
        if visits is None or visits.visits == 0:
            return Run(Status.NOT_REACHED, visits=0)
        retries = max(0, visits.attempts - visits.visits)
        open_visit = visits.entered is not None
        if visits.failed:
            status = Status.CAUGHT if visits.moved_on else Status.FAILED
        elif visits.type == "Fail":
            status = Status.FAILED
        elif open_visit and self.status == "RUNNING":
            status = Status.RUNNING
        elif open_visit and self.status != "SUCCEEDED" and not visits.moved_on:
            status = Status.FAILED  # the execution ended (timed out, aborted, failed) while here
        else:
            status = Status.RETRIED if retries else Status.SUCCEEDED
        error = visits.error or (self.error if status is Status.FAILED and visits.type == "Fail" else "")
        seconds = None if status is Status.RUNNING else visits.seconds
        return Run(status, visits.visits, retries, seconds, error, visits.cause)


def _timestamp(value: object) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    return datetime.fromisoformat(str(value))


def _details(event: Mapping[str, Any]) -> Mapping[str, Any]:
    for key, value in event.items():
        if key.endswith("EventDetails") and isinstance(value, Mapping):
            return value
    return {}


_CONTAINERS = ("ParallelState", "MapState", "MapIteration", "MapRun")
_CONTAINER_STARTS = frozenset({"ParallelStateStarted", "MapStateStarted", "MapIterationStarted"})


def read_history(events: Sequence[Mapping[str, Any]]) -> History:
    """Walks the events (boto3 `get_execution_history(...)["events"]`, oldest first or not) once.

    Each event belongs to the state its `previousEventId` chain leads to; a state entered from another records
    that transition, so the path is known even where AWS writes no StateExited (a caught failure). A Parallel's
    or Map's own events (ParallelStateFailed, MapIterationSucceeded, ...) chain back to a state inside it, so they
    belong to the innermost Parallel/Map still open instead; entering a branch does not leave the Parallel."""
    reader = _HistoryReader()
    for event in sorted(events, key=lambda e: int(e["id"])):
        reader.read(event)
    return reader.history


class _HistoryReader:
    def __init__(self) -> None:
        self.history = History()
        self.owner: dict[int, str | None] = {}  # event id -> the state it belongs to
        self.types: dict[int, str] = {}
        self.open_containers: list[str] = []
        self.started: datetime | None = None

    def read(self, event: Mapping[str, Any]) -> None:
        event_id, kind = int(event["id"]), str(event["type"])
        at = _timestamp(event["timestamp"])
        details = _details(event)
        previous_id = int(event.get("previousEventId") or 0)
        self.types[event_id] = kind
        if kind.endswith("StateEntered"):
            self.owner[event_id] = self.enter(str(details["name"]), kind, previous_id, at)
        elif kind.endswith("StateExited"):
            name = str(details.get("name", self.owner.get(previous_id)))
            self.owner[event_id] = name
            _leave(self.history.states.get(name), at)
            if self.open_containers and self.open_containers[-1] == name:
                self.open_containers.pop()
        else:
            state = self.owner.get(previous_id)
            if kind.startswith(_CONTAINERS) and self.open_containers:
                state = self.open_containers[-1]
            self.owner[event_id] = state
            self.record(kind, details, state, at)

    def enter(self, name: str, kind: str, previous_id: int, at: datetime) -> str:
        previous = self.owner.get(previous_id)
        into_branch = self.types.get(previous_id) in _CONTAINER_STARTS
        if previous is not None and previous != name and not into_branch:
            _leave(self.history.states.get(previous), at)
            self.history.states[previous].moved_on = True
        self.history.transitions.add((previous, name))
        visits = self.history.states.setdefault(name, _Visits(kind.removesuffix("StateEntered")))
        visits.visits += 1
        visits.entered = at
        visits.failed = False
        if kind in {"ParallelStateEntered", "MapStateEntered"}:
            self.open_containers.append(name)
        return name

    def record(self, kind: str, details: Mapping[str, Any], state: str | None, at: datetime) -> None:
        history = self.history
        if kind == "ExecutionStarted":
            self.started = at
        visits = history.states.get(state) if state is not None else None
        if visits is not None:
            if kind in _ATTEMPTS:
                visits.attempts += 1
            elif kind in _FAILURES:
                visits.failed = True
                visits.error = str(details.get("error", kind))
                visits.cause = str(details.get("cause", ""))
            elif kind in _SUCCESSES:
                visits.failed = False
        if kind in _EXECUTION_ENDS:
            history.status = _EXECUTION_ENDS[kind]
            history.error = str(details.get("error", ""))
            if self.started is not None:
                history.seconds = (at - self.started).total_seconds()
            if visits is not None:
                _leave(visits, at)
                if kind == "ExecutionSucceeded" or visits.type == "Fail":
                    history.transitions.add((state, None))


def _leave(visits: _Visits | None, at: datetime) -> None:
    if visits is not None and visits.entered is not None:
        visits.seconds += (at - visits.entered).total_seconds()
        visits.entered = None


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
    duration = f" in {_duration(history.seconds)}" if history.seconds is not None else ""
    error = f" ({history.error})" if history.error else ""
    return replace(
        graph,
        title=title if title is not None else graph.title,
        nodes=tuple(nodes),
        edges=tuple(edges),
        mode=Mode.EXECUTION,
        subtitle=f"execution {history.status}{error}{duration}",
    )


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.3g} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


# ---------------------------------------------------------------------------------------------------------------
# Two definitions -> diff


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


# ---------------------------------------------------------------------------------------------------------------
# Looks: decided here once for every renderer


@dataclass(frozen=True)
class Look:
    key: str  # the Mermaid class name; also names the legend entry
    fill: str
    stroke: str
    text: str = "#202124"
    dashed: bool = False
    width: float = 1.2


_GREY = "#5F6368"
_NODE_LOOKS = {
    # definition: by kind
    "task": Look("task", "#E8F0FE", "#4285F4"),
    "pass": Look("pass", "#F8F9FA", "#9AA0A6"),
    "choice": Look("choice", "#FEF7E0", "#F9AB00"),
    "wait": Look("wait", "#F3E8FD", "#A142F4"),
    "succeed": Look("succeed", "#E6F4EA", "#188038", width=2),
    "fail": Look("fail", "#FCE8E6", "#D93025", width=2),
    "parallel": Look("parallel", "#E4F7FB", "#12B5CB"),
    "terminal": Look("terminal", "#3C4043", "#3C4043", text="#FFFFFF"),
    # execution: by status
    "succeeded": Look("succeeded", "#CEEAD6", "#188038", width=2),
    "retried": Look("retried", "#FEEFC3", "#E37400", width=2),
    "caught": Look("caught", "#FAD2CF", "#E8710A", width=3, dashed=True),
    "failed": Look("failed", "#F28B82", "#A50E0E", width=3),
    "running": Look("running", "#D2E3FC", "#1967D2", width=2),
    "notreached": Look("notreached", "#FFFFFF", "#BDC1C6", text="#80868B", dashed=True),
    # diff: by change
    "added": Look("added", "#CEEAD6", "#188038", width=2.5),
    "removed": Look("removed", "#FAD2CF", "#C5221F", text="#A50E0E", width=2.5, dashed=True),
    "changed": Look("changed", "#FEEFC3", "#E37400", width=2.5),
    "unchanged": Look("unchanged", "#FFFFFF", "#9AA0A6", text="#3C4043"),
}
_KIND_LOOK = {
    Kind.TASK: "task",
    Kind.PASS: "pass",
    Kind.CHOICE: "choice",
    Kind.WAIT: "wait",
    Kind.SUCCEED: "succeed",
    Kind.FAIL: "fail",
    Kind.PARALLEL: "parallel",
    Kind.MAP: "parallel",
    Kind.JOIN: "parallel",
    Kind.START: "terminal",
    Kind.END: "terminal",
}
_STATUS_LOOK = {
    Status.SUCCEEDED: "succeeded",
    Status.RETRIED: "retried",
    Status.CAUGHT: "caught",
    Status.FAILED: "failed",
    Status.RUNNING: "running",
    Status.NOT_REACHED: "notreached",
}


def node_look(graph: Graph, node: Node) -> Look:
    if node.kind in {Kind.START, Kind.END}:
        return _NODE_LOOKS["terminal"]
    if graph.mode is Mode.EXECUTION:
        return _NODE_LOOKS[_STATUS_LOOK[node.run.status if node.run else Status.NOT_REACHED]]
    if graph.mode is Mode.DIFF:
        return _NODE_LOOKS[node.change.value]
    return _NODE_LOOKS[_KIND_LOOK[node.kind]]


_EDGE_COLOURS = {
    EdgeKind.CATCH: "#D93025",
    EdgeKind.RETRY: "#E37400",
}
_TAKEN = "#1A73E8"
_CHANGE_COLOURS = {Change.ADDED: "#188038", Change.REMOVED: "#C5221F", Change.CHANGED: "#E37400"}


def edge_look(graph: Graph, edge: Edge) -> Look:
    """Edge looks have keys `edge-<meaning>[-dashed]`: one key, one style (Mermaid groups links by it)."""
    dashed = edge.kind in {EdgeKind.CATCH, EdgeKind.RETRY}
    colour, width, text = _EDGE_COLOURS.get(edge.kind, _GREY), 1.2, ""
    meaning = edge.kind.value
    if graph.mode is Mode.EXECUTION:
        meaning = "taken" if edge.taken else "idle"
        colour, width, text = (_TAKEN, 3, _TAKEN) if edge.taken else ("#DADCE0", 1, "#9AA0A6")
    elif graph.mode is Mode.DIFF:
        meaning = edge.change.value
        colour, width, text = _CHANGE_COLOURS.get(edge.change, "#BDC1C6"), 2.5, ""
        if edge.change is Change.UNCHANGED:
            width, text = 1, "#80868B"
    key = f"edge-{meaning}" + ("-dashed" if dashed else "")
    return Look(
        key,
        colour,
        colour,
        text=text or (colour if dashed or graph.mode is Mode.DIFF else _GREY),
        dashed=dashed,
        width=width,
    )


def legend(graph: Graph) -> tuple[tuple[Look, str], ...]:
    """Node looks and edge meanings to explain, in order."""
    looks = _NODE_LOOKS
    if graph.mode is Mode.EXECUTION:
        statuses = [
            s for s in Status if s is not Status.RUNNING or any(n.run and n.run.status is s for n in graph.nodes)
        ]
        texts = {
            Status.RETRIED: "succeeded after retries",
            Status.CAUGHT: "failed, Catch took over",
        }
        entries = [(looks[_STATUS_LOOK[s]], texts.get(s, s.value)) for s in statuses]
        entries.append((Look("edge-taken", _TAKEN, _TAKEN, text=_TAKEN, width=3), "path taken"))
        return tuple(entries)
    if graph.mode is Mode.DIFF:
        entries = [(looks[c.value], c.value) for c in Change]
        for change in (Change.ADDED, Change.REMOVED, Change.CHANGED):
            colour = _CHANGE_COLOURS[change]
            entries.append((Look(f"edge-{change.value}", colour, colour, width=2.5), f"{change.value} transition"))
        return tuple(entries)
    return (
        (Look("edge-next", _GREY, _GREY), "next"),
        (Look("edge-catch", "#D93025", "#D93025", dashed=True), "catch: on these errors go to"),
        (Look("edge-retry", "#E37400", "#E37400", dashed=True), "retry: on these errors run again"),
    )


@dataclass(frozen=True)
class Line:
    """A small line under a state's name; `tone` picks its colour."""

    text: str
    tone: str  # detail | retry | status | change


_TONES = {"detail": _GREY, "retry": "#B06000"}  # others: the node's own text colour


def node_lines(graph: Graph, node: Node) -> tuple[Line, ...]:
    """What is written under a state's name, by mode: its type and resource; its Retry policy (not on an
    execution, where what happened matters); what the execution did there; what changed."""
    if node.kind in {Kind.START, Kind.END, Kind.JOIN}:
        return ()
    kind = "" if node.kind is Kind.TASK and node.detail else node.kind.value
    lines = [Line(" · ".join(part for part in (kind, node.detail) if part), "detail")]
    if graph.mode is not Mode.EXECUTION:
        lines += [Line(text, "retry") for text in node.retry]
    if graph.mode is Mode.EXECUTION and node.run is not None:
        lines.append(Line(_run_line(node.run), "status"))
    if graph.mode is Mode.DIFF and node.change is not Change.UNCHANGED:
        note = f"{node.change.value}: {node.change_note}" if node.change_note else node.change.value
        lines.append(Line(note, "change"))
    return tuple(lines)


def _run_line(run: Run) -> str:
    if run.status is Status.NOT_REACHED:
        return "not reached"
    parts = [run.status.value if run.status is not Status.RETRIED else "succeeded"]
    if run.retries:
        parts.insert(0, f"retried {run.retries}{TIMES}")
    if run.error and run.status in {Status.CAUGHT, Status.FAILED}:
        parts.append(run.error)
    if run.visits > 1:
        parts.append(f"{run.visits} visits")
    if run.seconds is not None:
        parts.append(_duration(run.seconds))
    return " · ".join(parts)


def node_tooltip(node: Node) -> str:
    parts = [node.tooltip] if node.tooltip else []
    if node.run is not None and node.run.cause:
        parts.append(_clip(node.run.cause, 400))
    return "\n".join(parts)


# ---------------------------------------------------------------------------------------------------------------
# DOT


def _dot_id(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def _dot_string(text: str) -> str:
    """A DOT quoted string (tooltips): newlines as the escape DOT turns back into newlines."""
    return _dot_id(text).replace("\n", "\\n")


_DOT_SHAPES = {
    Kind.START: 'shape=circle, width=0.55, fixedsize=true, fontsize=10, label="Start"',
    Kind.END: 'shape=doublecircle, width=0.45, fixedsize=true, fontsize=10, label="End"',
    Kind.CHOICE: "shape=diamond",
    Kind.JOIN: 'shape=circle, width=0.2, height=0.2, fixedsize=true, label=""',
    Kind.SUCCEED: 'shape=box, style="rounded,filled,bold"',
    Kind.FAIL: 'shape=box, style="rounded,filled,bold"',
    Kind.PARALLEL: "shape=box3d",
    Kind.MAP: "shape=box3d",
}


def main_path(graph: Graph) -> list[str]:
    """Node ids from Start along Next until End, a Choice or a loop: the run without errors. (Which way a Choice
    usually goes the definition does not say.)"""
    path, at = [START], START
    while at != END:
        onward = [e for e in graph.edges_from(at) if e.kind is EdgeKind.NEXT and e.change is not Change.REMOVED]
        if len(onward) != 1 or onward[0].target in path:
            break
        at = onward[0].target
        path.append(at)
    return path


def _dot_node(graph: Graph, node: Node, spine: frozenset[str] = frozenset()) -> str:
    look = node_look(graph, node)
    attrs = [_DOT_SHAPES.get(node.kind, 'shape=box, style="rounded,filled"')]
    if node.id in spine:
        attrs.append('group="main"')  # Graphviz keeps a group in a straight line
    style = "filled" + (",rounded" if "rounded" in attrs[0] else "") + (",dashed" if look.dashed else "")
    attrs.append(f'style="{style}"')
    attrs.append(f'fillcolor="{look.fill}", color="{look.stroke}", fontcolor="{look.text}", penwidth={look.width}')
    if node.kind not in {Kind.START, Kind.END, Kind.JOIN}:
        name = _html(node.name)
        name = f"<S>{name}</S>" if node.change is Change.REMOVED else name
        label = f"<B>{name}</B>"
        for line in node_lines(graph, node):
            colour = _TONES.get(line.tone, look.text)
            weight = ("<B>", "</B>") if line.tone in {"status", "change"} else ("", "")
            label += f'<BR/><FONT POINT-SIZE="9" COLOR="{colour}">{weight[0]}{_html(line.text)}{weight[1]}</FONT>'
        attrs.append(f"label=<{label}>")
    tooltip = node_tooltip(node)
    attrs.append(f"tooltip={_dot_string(tooltip or node.name)}")
    return f"  {_dot_id(node.id)} [{', '.join(attrs)}];"


def _dot_edge(graph: Graph, edge: Edge) -> str:
    look = edge_look(graph, edge)
    attrs = [f'color="{look.stroke}"', f'fontcolor="{look.text}"', f"penwidth={look.width}"]
    if look.dashed:
        attrs.append('style="dashed"')
    if edge.label:
        attrs.append(f"label=<{'<BR/>'.join(_html(line) for line in edge.label.splitlines())}>")
    if edge.tooltip:
        attrs.append(f"tooltip={_dot_string(edge.tooltip)}")
    if edge.kind is EdgeKind.RETRY:
        attrs.append('headport="e", tailport="e"')  # a loop on the right, label beside it
    return f"  {_dot_id(edge.source)} -> {_dot_id(edge.target)} [{', '.join(attrs)}];"


def _dot_legend(graph: Graph) -> list[str]:
    rows = []
    for look, text in legend(graph):
        is_edge = look.key.startswith("edge-")
        if is_edge:
            swatch = f'<TD WIDTH="34"><FONT COLOR="{look.stroke}">{"╍╍╍▶" if look.dashed else "━━━▶"}</FONT></TD>'
        else:
            border = 2 if look.width >= 2 else 1
            swatch = (
                f'<TD BGCOLOR="{look.fill}" COLOR="{look.stroke}" BORDER="{border}" WIDTH="34" '
                f'STYLE="{"dashed" if look.dashed else "rounded"}"> </TD>'
            )
        rows.append(f'<TR>{swatch}<TD ALIGN="LEFT">{_html(text)}</TD></TR>')
    table = (
        '<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="4" CELLPADDING="2">'
        '<TR><TD COLSPAN="2" ALIGN="LEFT"><B>Legend</B></TD></TR>' + "".join(rows) + "</TABLE>"
    )
    return [
        f'  "__legend__" [shape=box, style="rounded", color="#DADCE0", fontsize=9, label=<{table}>];',
        '  { rank=source; "__legend__"; }',
    ]


def _dot_clusters(graph: Graph, parent: str | None, indent: str) -> list[str]:
    lines = []
    for cluster in graph.clusters:
        if cluster.parent != parent:
            continue
        lines.append(f"{indent}subgraph {_dot_id('cluster_' + cluster.id)} {{")
        lines.append(
            f'{indent}  label=<{_html(cluster.label)}>; fontsize=10; fontcolor="{_GREY}"; '
            'style="rounded,dashed"; color="#9AA0A6";'
        )
        lines += [indent + _dot_node(graph, node) for node in graph.nodes if node.cluster == cluster.id]
        lines += _dot_clusters(graph, cluster.id, indent + "  ")
        lines.append(f"{indent}}}")
    return lines


def to_dot(graph: Graph) -> str:
    """Graphviz DOT, top to bottom, with a legend."""
    title = f"<B>{_html(graph.title)}</B>"
    if graph.subtitle:
        title += f'<BR/><FONT POINT-SIZE="10">{_html(graph.subtitle)}</FONT>'
    lines = [
        f"digraph {_dot_id(graph.title)} {{",
        f'  graph [rankdir=TB, fontname="{FONT}", fontsize=13, labelloc=t, label=<{title}>, '
        'nodesep=0.35, ranksep=0.4, newrank=true, bgcolor="white", pad=0.3];',
        f'  node [fontname="{FONT}", fontsize=11, margin="0.14,0.05", height=0.45];',
        f'  edge [fontname="{FONT}", fontsize=9, arrowsize=0.7];',
    ]
    spine = frozenset(main_path(graph))
    lines += [_dot_node(graph, node, spine) for node in graph.nodes if node.cluster is None]
    lines += _dot_clusters(graph, None, "  ")
    lines += [_dot_edge(graph, edge) for edge in graph.edges]
    lines += _dot_legend(graph)
    lines.append("}")
    return "\n".join(lines) + "\n"


def run_dot(dot: str, output_format: str, *, timeout: float = DOT_TIMEOUT_SECONDS) -> bytes:
    """Graphviz's `dot` turns DOT text into `output_format` (svg, png, ...)."""
    program = shutil.which("dot")
    if program is None:
        raise GraphvizNotFound(INSTALL_GRAPHVIZ)
    options = ["-Gdpi=144"] if output_format == "png" else []
    try:
        done = subprocess.run(  # noqa: S603 - our own DOT text into the dot found on PATH
            [program, f"-T{output_format}", *options],
            input=dot.encode("utf-8"),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise GraphvizError(f"dot took more than {timeout} s") from None
    if done.returncode != 0:
        raise GraphvizError(f"dot failed ({done.returncode}): {done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout


def to_svg(graph: Graph) -> str:
    return run_dot(to_dot(graph), "svg").decode("utf-8")


def to_png(graph: Graph) -> bytes:
    return run_dot(to_dot(graph), "png")


# ---------------------------------------------------------------------------------------------------------------
# Mermaid


def _mm(text: str) -> str:
    """Text safe inside a quoted Mermaid label: entity codes for what Mermaid or HTML would interpret."""
    text = text.replace("#", "#35;")
    for char, code in (('"', "#quot;"), ("<", "#lt;"), (">", "#gt;"), ("&", "#amp;")):
        text = text.replace(char, code)
    for char in "[]{}()|`":
        text = text.replace(char, f"#{ord(char)};")
    return text


def _mm_ids(graph: Graph) -> dict[str, str]:
    """Readable, unique Mermaid ids (a state name can hold any character; `end` is a Mermaid keyword)."""
    ids: dict[str, str] = {}
    taken: set[str] = set()
    for node in graph.nodes:
        base = {START: "start_", END: "end_"}.get(node.id) or "s_" + re.sub(r"\W", "_", node.id)
        candidate, n = base, 2
        while candidate in taken:
            candidate, n = f"{base}_{n}", n + 1
        taken.add(candidate)
        ids[node.id] = candidate
    return ids


_MM_SHAPES = {
    Kind.START: ('(("', '"))'),
    Kind.END: ('((("', '")))'),
    Kind.CHOICE: ('{"', '"}'),
    Kind.PASS: ('("', '")'),
    Kind.SUCCEED: ('(["', '"])'),
    Kind.FAIL: ('(["', '"])'),
    Kind.PARALLEL: ('[["', '"]]'),
    Kind.MAP: ('[["', '"]]'),
    Kind.JOIN: ('(("', '"))'),
    Kind.WAIT: ('[/"', '"/]'),
}


def _mm_class_def(look: Look) -> str:
    css = f"fill:{look.fill},stroke:{look.stroke},color:{look.text},stroke-width:{look.width:g}px"
    if look.dashed:
        css += ",stroke-dasharray:5 3"
    return f"  classDef {look.key} {css}"


class _Mermaid:
    """Writes one graph as Mermaid, collecting node classes and link styles as it goes."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self.ids = _mm_ids(graph)
        self.lines: list[str] = []
        self.looks: dict[str, Look] = {}
        self.classes: dict[str, list[str]] = {}
        self.link_styles: dict[str, tuple[Look, list[int]]] = {}

    def text(self) -> str:
        graph = self.graph
        title = graph.title + (f" — {graph.subtitle}" if graph.subtitle else "")
        # A Mermaid title is plain text with HTML tags stripped and no entity codes: keep what looks like a tag.
        title = title.replace("<", "\N{SINGLE LEFT-POINTING ANGLE QUOTATION MARK}")
        title = title.replace(">", "\N{SINGLE RIGHT-POINTING ANGLE QUOTATION MARK}")
        # Mermaid wraps labels at 200 px by default, which breaks retry lines mid-list.
        self.lines = [
            "---",
            f"title: {json.dumps(title, ensure_ascii=False)}",
            "config:",
            "  flowchart:",
            "    wrappingWidth: 420",
            "---",
            "flowchart TD",
        ]
        self.lines += [self.node(node, "  ") for node in graph.nodes if node.cluster is None]
        self.clusters(None, "  ")
        for index, edge in enumerate(graph.edges):
            self.edge(index, edge)
        if graph.mode is not Mode.DEFINITION:
            self.legend()
        self.lines += [_mm_class_def(look) for look in self.looks.values()]
        self.lines += [f"  class {','.join(members)} {key}" for key, members in self.classes.items()]
        for look, indexes in self.link_styles.values():
            css = f"stroke:{look.stroke},stroke-width:{look.width:g}px,color:{look.text}"
            css += ",stroke-dasharray:5 3" if look.dashed else ""
            self.lines.append(f"  linkStyle {','.join(map(str, indexes))} {css}")
        return "\n".join(self.lines) + "\n"

    def styled(self, mermaid_id: str, look: Look) -> None:
        self.looks[look.key] = look
        self.classes.setdefault(look.key, []).append(mermaid_id)

    def node(self, node: Node, indent: str) -> str:
        self.styled(self.ids[node.id], node_look(self.graph, node))
        opening, closing = _MM_SHAPES.get(node.kind, ('["', '"]'))
        if node.kind in {Kind.START, Kind.END}:
            label = node.name
        elif node.kind is Kind.JOIN:
            label = " "
        else:
            name = f"<b>{_mm(node.name)}</b>"
            name = f"<s>{name}</s>" if node.change is Change.REMOVED else name
            lines = [f"<i>{_mm(line.text)}</i>" for line in node_lines(self.graph, node)]
            label = "<br/>".join([name, *lines])
        return f"{indent}{self.ids[node.id]}{opening}{label}{closing}"

    def clusters(self, parent: str | None, indent: str) -> None:
        for cluster in self.graph.clusters:
            if cluster.parent == parent:
                cluster_id = "c_" + re.sub(r"\W", "_", cluster.id)
                self.lines.append(f'{indent}subgraph {cluster_id} ["{_mm(cluster.label)}"]')
                self.lines += [self.node(n, indent + "  ") for n in self.graph.nodes if n.cluster == cluster.id]
                self.clusters(cluster.id, indent + "  ")
                self.lines.append(f"{indent}end")

    def edge(self, index: int, edge: Edge) -> None:
        look = edge_look(self.graph, edge)
        arrow = "==>" if look.width >= 2.5 and not look.dashed else ("-.->" if look.dashed else "-->")
        label = "<br/>".join(_mm(line) for line in edge.label.splitlines())
        text = f'|"{label}"|' if label else ""
        self.lines.append(f"  {self.ids[edge.source]} {arrow}{text} {self.ids[edge.target]}")
        self.link_styles.setdefault(look.key, (look, []))[1].append(index)

    def legend(self) -> None:
        """Mermaid has no legend: a row of sample nodes in a subgraph (after every real link, so that the invisible
        links holding the row together do not shift the link numbers above), edges explained in words."""
        self.lines += ['  subgraph legend ["Legend"]', "    direction LR"]
        names = []
        for number, (look, text) in enumerate(legend(self.graph)):
            name = f"legend_{number}"
            if look.key.startswith("edge-"):
                sample = Look(f"legend-{look.key}", "#FFFFFF", look.stroke, text=look.text or look.stroke)
                self.lines.append(f'    {name}["{_mm("arrows: " + text)}"]')
            else:
                sample = look
                self.lines.append(f'    {name}["{_mm(text)}"]')
            self.styled(name, sample)
            names.append(name)
        self.lines.append("    " + " ~~~ ".join(names))
        self.lines.append("  end")
        self.lines.append("  style legend fill:#FFFFFF,stroke:#DADCE0")


def to_mermaid(graph: Graph) -> str:
    """A Mermaid flowchart (top to bottom) that GitHub and JupyterLab render as is."""
    return _Mermaid(graph).text()


def to_markdown(graph: Graph) -> str:
    """Markdown with the Mermaid chart in a ```mermaid fence (GitHub and JupyterLab draw it)."""
    return (
        "<!-- Generated by `orderflow graph` (workflow/graph.py); edits are overwritten. -->\n\n"
        f"```mermaid\n{to_mermaid(graph)}```\n"
    )


# ---------------------------------------------------------------------------------------------------------------
# Files and services

RENDERERS = (".svg", ".png", ".md", ".mmd", ".dot")


def check_output(path: str | Path) -> None:
    """Refuses, before any work, a suffix we cannot write, or .svg/.png without Graphviz."""
    suffix = Path(path).suffix.lower()
    if suffix not in RENDERERS:
        raise GraphError(f"cannot write {Path(path).name}: use one of {', '.join(RENDERERS)}")
    if suffix in {".svg", ".png"} and shutil.which("dot") is None:
        raise GraphvizNotFound(INSTALL_GRAPHVIZ)


def render(graph: Graph, path: str | Path) -> Path:
    """Writes the graph in the format the suffix names; .svg/.png need Graphviz, the others do not."""
    check_output(path)
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix == ".svg":
        target.write_bytes(run_dot(to_dot(graph), "svg"))
    elif suffix == ".png":
        target.write_bytes(run_dot(to_dot(graph), "png"))
    elif suffix == ".md":
        target.write_text(to_markdown(graph), encoding="utf-8")
    elif suffix == ".mmd":
        target.write_text(to_mermaid(graph), encoding="utf-8")
    else:
        target.write_text(to_dot(graph), encoding="utf-8")
    return target


def execution_history(sfn: SFNClient, execution_arn: str, *, max_pages: int = 100) -> list[dict[str, Any]]:
    """Every event of an execution, oldest first (1000 per page; bounded, as every wait here is)."""
    events: list[dict[str, Any]] = []
    token: str | None = None
    for _ in range(max_pages):
        page = (
            sfn.get_execution_history(executionArn=execution_arn, maxResults=1000, nextToken=token)
            if token
            else sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)
        )
        events += [dict(event) for event in page["events"]]
        token = page.get("nextToken")
        if not token:
            return events
    raise GraphError(f"{execution_arn} has more than {max_pages * 1000} events")


def execution_definition(sfn: SFNClient, execution_arn: str) -> dict[str, Any]:
    """The definition the execution ran (it may be older than the current one)."""
    described = sfn.describe_state_machine_for_execution(executionArn=execution_arn)
    definition: dict[str, Any] = json.loads(described["definition"])
    return definition


def execution_arn(state_machine_arn: str, execution_name: str) -> str:
    """Executions are named after their order: ...:stateMachine:<sm> -> ...:execution:<sm>:<name>."""
    if ":stateMachine:" not in state_machine_arn:
        raise GraphError(f"not a state machine ARN: {state_machine_arn}")
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{execution_name}"
