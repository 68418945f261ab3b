"""Execution history -> what happened in each state: visits, attempts, time, the last error, the path taken."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from workflow.graph.model import Run, Status

ATTEMPTS = frozenset({"TaskScheduled", "LambdaFunctionScheduled", "ActivityScheduled"})
FAILURES = frozenset(
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
SUCCESSES = frozenset(
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
            if kind in ATTEMPTS:
                visits.attempts += 1
            elif kind in FAILURES:
                visits.failed = True
                visits.error = str(details.get("error", kind))
                visits.cause = str(details.get("cause", ""))
            elif kind in SUCCESSES:
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
