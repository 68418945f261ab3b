"""The types of `orderflow trace` (workflow.ops.trace): a timeline's entries, an order's recorded executions, what
the definition says about its states, the order's cost; the Timeline rendered as text and as a document; and the
helpers that read recorded times and events.

The output holds the order id, statuses, step names, errors and causes (as `orderflow executions` shows them), never
an execution's input or output: those carry the customer's e-mail and address.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from handlers.domain.alerts import readable_cause
from handlers.domain.order import OrderStatus
from workflow.cost.model import MILLION

# What each entry is: the API request, an execution starting or ending, a state (a `notify` state publishes a
# notification), a failed attempt that was retried, the Catch taken, an order status written, the order queue, the
# worker, an alert and each target's delivery, a rerun requested, and what could not be read.
KINDS = (
    "request",
    "execution",
    "state",
    "notify",
    "retry",
    "catch",
    "status",
    "queue",
    "worker",
    "alert",
    "delivery",
    "rerun",
    "missing",
)
CAUSE_CHARACTERS = 300
LEFT_OUT = "CloudWatch Logs, X-Ray and the fixed monthly costs (`orderflow cost` prices them for a mix of orders)"
_TERMINAL = (OrderStatus.FULFILLED.value, OrderStatus.FAILED.value)
_SCHEDULED = ("TaskScheduled", "LambdaFunctionScheduled")
_EXECUTION_ENDS = {
    "ExecutionSucceeded": "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionTimedOut": "TIMED_OUT",
    "ExecutionAborted": "ABORTED",
}


class TraceError(LookupError):
    """There is no such order to trace; the message says so in one line."""


@dataclass(frozen=True)
class Entry:
    at: datetime
    kind: str  # one of KINDS
    step: str  # a state, an execution, a status, a target...
    detail: str = ""
    duration: float | None = None  # seconds
    ok: bool = True
    execution: str = ""  # the execution's name, for its states
    # The alert log keeps epoch seconds: such an entry happened within the second after `at`.
    whole_seconds: bool = False

    @property
    def sort_key(self) -> datetime:
        return self.at + timedelta(seconds=0.999) if self.whole_seconds else self.at


@dataclass(frozen=True)
class RecordedExecution:
    """One execution of the order: its name, ARN and history events (GetExecutionHistory's shape, oldest first), or
    no events and why (`missing`)."""

    name: str
    arn: str
    events: tuple[Mapping[str, Any], ...] = ()
    missing: str = ""


@dataclass(frozen=True)
class WorkflowShape:
    """What the definition says about its states: the resource each Task acts on (`lambda:invoke ValidateOrder`), the
    function a Lambda Task invokes, the states that publish a notification, and the happy path."""

    resources: Mapping[str, str] = field(default_factory=dict)
    functions: Mapping[str, str] = field(default_factory=dict)
    notifies: frozenset[str] = frozenset()
    happy_path: tuple[str, ...] = ()
    failure_route: tuple[str, ...] = ()  # from the first state's Catch of every error, along Next


@dataclass(frozen=True)
class OrderCost:
    """This order on AWS, priced with `orderflow cost`'s table and assumptions (workflow.cost.model.price)."""

    workflow_type: str
    by_service: dict[str, float]  # USD for this one order
    usage: dict[str, Any]
    assumed: tuple[str, ...]
    prices_checked: str

    @property
    def total(self) -> float:
        return sum(self.by_service.values())

    def to_dict(self) -> dict[str, Any]:
        return {
            "workflowType": self.workflow_type,
            "totalUsd": round(self.total, 9),
            "perMillionSuchOrdersUsd": round(self.total * MILLION, 2),
            "byServiceUsd": {k: round(v, 9) for k, v in self.by_service.items()},
            "usage": self.usage,
            "assumed": list(self.assumed),
            "notIncluded": LEFT_OUT,
            "pricesChecked": self.prices_checked,
        }


@dataclass(frozen=True)
class Timeline:
    order_id: str
    status: str
    workflow_type: str
    correlation_id: str
    requested: datetime | None  # when the API accepted the order: every offset is from here
    entries: tuple[Entry, ...]
    executions: tuple[str, ...]
    latency: float | None  # request -> the order's last terminal status (FULFILLED or FAILED)
    queue_wait: float | None  # the order queue: QUEUED (SentTimestamp) -> PROCESSING (the worker's receive)
    cost: OrderCost | None
    where: str = ""

    @property
    def ok(self) -> bool:
        return self.status != OrderStatus.FAILED.value

    @property
    def start(self) -> datetime | None:
        return self.requested or (self.entries[0].at if self.entries else None)

    def offset(self, entry: Entry) -> float:
        return (entry.at - self.start).total_seconds() if self.start else 0.0

    def failures(self) -> list[Entry]:
        return [e for e in self.entries if not e.ok]

    def to_dict(self) -> dict[str, Any]:
        return {
            "orderId": self.order_id,
            "status": self.status,
            "workflowType": self.workflow_type,
            "correlationId": self.correlation_id,
            "requestedAt": _iso(self.requested),
            "executions": list(self.executions),
            "latencySeconds": _round(self.latency),
            "queueWaitSeconds": _round(self.queue_wait),
            "entries": [
                {
                    "at": _iso(e.at),
                    "offsetSeconds": round(self.offset(e), 3),
                    "durationSeconds": _round(e.duration),
                    "kind": e.kind,
                    "step": e.step,
                    "detail": e.detail,
                    "ok": e.ok,
                    "execution": e.execution,
                    "wholeSeconds": e.whole_seconds,
                }
                for e in self.entries
            ],
            "cost": self.cost.to_dict() if self.cost else None,
            "where": self.where,
        }

    def text(self, colour: bool = False) -> str:
        red, plain = ("\033[31m", "\033[0m") if colour else ("", "")
        start = self.start
        lines = [
            f"order {self.order_id}  {self.status}  ({self.workflow_type}{', ' + self.where if self.where else ''})",
            f"requested {_iso(start) or '?'} (offsets are from here)  correlation id {self.correlation_id or '-'}",
            "",
            "lines marked !! failed; the alert log keeps whole seconds",
            f"   {'OFFSET':>9} {'TOOK':>8}  {'KIND':9} {'STEP':16} DETAIL",
        ]
        for e in self.entries:
            offset = self.offset(e)
            shown = f"{offset:+.0f}s" if e.whole_seconds else f"{offset:+.3f}s"
            took = f"{e.duration:.3f}s" if e.duration is not None else ""
            mark = "!!" if not e.ok else "  "
            line = f"{mark} {shown:>9} {took:>8}  {e.kind:9} {e.step:16} {e.detail}"
            lines.append(f"{red}{line}{plain}" if not e.ok else line)
        lines.append("")
        lines.extend(self._totals())
        if self.cost:
            lines.extend(_cost_lines(self.cost))
        return "\n".join(lines)

    def _totals(self) -> list[str]:
        ended = next(
            (e for e in reversed(self.entries) if e.kind in ("status", "worker") and e.step in _TERMINAL), None
        )
        if self.latency is not None and ended is not None:
            total = f"total latency {self.latency:.3f}s (request -> {ended.step})"
        elif self.start is not None:
            total = f"not finished: {self.status} (last entry at {_iso(self.entries[-1].at) if self.entries else '?'})"
        else:
            total = f"not finished: {self.status}"
        parts = [total]
        runs = [e for e in self.entries if e.kind == "execution" and e.duration is not None]
        if runs:
            parts.append(f"workflow {sum(e.duration or 0.0 for e in runs):.3f}s in {len(runs)} execution(s)")
        if self.queue_wait is not None:
            parts.append(f"queue wait {self.queue_wait:.3f}s")
        deliveries = [e for e in self.entries if e.kind == "delivery"]
        if deliveries:
            parts.append(
                "alert deliveries "
                + ", ".join(f"{e.step} {e.detail.split(':')[0]} {self.offset(e):+.0f}s" for e in deliveries)
            )
        failed = self.failures()
        lines = ["; ".join(parts)]
        if failed:
            first = failed[0]
            lines.append(f"first failure: {first.step} at {self.offset(first):+.3f}s: {first.detail}")
        return lines


def _cost_lines(cost: OrderCost) -> list[str]:
    usage = cost.usage
    invocations = ", ".join(f"{k} {v:g}" for k, v in usage["invocations"].items())
    lines = [
        f"cost on AWS ({cost.workflow_type}): ${cost.total:.7f} for this order (${cost.total * MILLION:,.2f} per 1M "
        f"orders like it; prices {cost.prices_checked})",
        "  " + ", ".join(f"{service} ${usd:.7f}" for service, usd in cost.by_service.items() if usd),
        f"  usage: {usage['transitions']:g} transitions, {usage['write_units']:g} write units, "
        f"{usage['sqs_requests']:g} SQS requests, {usage['sns_publishes']:g} SNS publishes; invocations {invocations}",
    ]
    lines.extend(f"  assumed: {line}" for line in cost.assumed)
    lines.append(f"  not included: {LEFT_OUT}")
    return lines


def _failures_only(events: Sequence[Mapping[str, Any]]) -> bool:
    """Log records below level ALL: no ExecutionStarted, only the failures (and, at ERROR, the Fail state)."""
    return bool(events) and not any(e["type"] == "ExecutionStarted" for e in events)


def _details(event: Mapping[str, Any]) -> Mapping[str, Any]:
    details = next((v for k, v in event.items() if k.endswith("EventDetails") and isinstance(v, Mapping)), None)
    return details or {}


def _cause(cause: Any) -> str:
    return readable_cause(cause)[:CAUSE_CHARACTERS]


def _time(value: Any) -> datetime:
    """A recorded time: a datetime (boto3's), ISO 8601 text (the order record's) or epoch milliseconds."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value / 1000, UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _iso(value: datetime | None) -> str:
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z") if value else ""


def _round(value: float | None) -> float | None:
    return round(value, 3) if value is not None else None
