"""The graph model every part of workflow.graph shares: nodes, edges and clusters, what a run did in a state, and
the few spellings the builders and the looks both use."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

START = "__start__"
END = "__end__"
# Spelled by name: ruff rightly flags look-alike characters, and these are meant.
TIMES = "\N{MULTIPLICATION SIGN}"
MINUS = "\N{MINUS SIGN}"


class GraphError(ValueError):
    """The definition or history cannot be drawn (e.g. a Next naming no state)."""


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
    COVERAGE = "coverage"


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
    taken: bool = False  # by the execution; on a coverage graph: covered
    change: Change = Change.UNCHANGED
    counted: bool = False  # an edge the coverage counts (workflow.graph.coverage)


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
# Text shared by the builders and the looks


def clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.3g} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"
