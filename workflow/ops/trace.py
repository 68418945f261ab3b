"""One order's journey as a timeline (`orderflow trace`): the API request, each execution's states with their
durations, retries and the Catch taken, the queue wait and the worker, the alerts with each target's delivery,
reruns, the total latency, and what the order cost on AWS.

`timeline` is pure: it builds the Timeline from what the system recorded, the order record (its status history),
each execution's history events (Standard: GetExecutionHistory; Express: its log records, read as events by
workflow.ops.execution_logs) and the alert log's alerts about the order (workflow.ops.alerts.logged_alerts).
`read_trace` fetches those through a target's clients, the same against the local system and AWS; its parts serve
whoever has read some of it already (the console's order page): `read_executions` reads the order's executions,
`order_timeline` is `timeline` with this repository's workflow, prices and functions.

The output holds the order id, statuses, step names, errors and causes (as `orderflow executions` shows them), never
an execution's input or output: those carry the customer's e-mail and address.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from handlers.adapters.orders_store import OrdersStore
from handlers.arns import execution_name
from handlers.domain.alerts import readable_cause
from handlers.domain.identifiers import is_order_id
from handlers.domain.order import OrderStatus
from workflow.cost.model import MILLION, Assumptions, Facts, FunctionFacts, Prices, Usage, price, transitions
from workflow.ops.alerts import LoggedAlert
from workflow.ops.history import recorded_failure

if TYPE_CHECKING:
    from workflow.manifest import Manifest
    from workflow.ops.targets import Target

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
# Every function runs on arm64 (infra/constructs/functions.py); memory is each function's manifest entry.
ARCHITECTURE = "arm64"
# Lambda's START/END/REPORT lines are the stack's lambdaSystemLogLevel's (WARN by default): CloudWatch Logs is left
# out of an order's cost here (`orderflow cost` prices it for the mix).
SYSTEM_LOG_LEVEL = "WARN"
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


def timeline(
    order: Mapping[str, Any],
    executions: Sequence[RecordedExecution],
    alerts: Sequence[LoggedAlert],
    *,
    workflow_type: str,
    shape: WorkflowShape,
    prices: Prices | None = None,
    assumptions: Assumptions | None = None,
    functions: Mapping[str, FunctionFacts] | None = None,
    where: str = "",
) -> Timeline:
    """The order's timeline from what was recorded: its record (as OrdersStore.get returns it), its executions'
    events, and the alert log's alerts about it. With `prices`, `assumptions` and `functions` (memory and
    architecture per function), its cost on AWS."""
    order_id = str(order.get("orderId", ""))
    history = [h for h in order.get("history") or [] if isinstance(h, Mapping) and h.get("at")]
    requested = _time(history[0]["at"]) if history and history[0].get("status") == OrderStatus.PENDING else None
    entries: list[Entry] = []
    gaps: list[Entry] = []
    for number, execution in enumerate(executions):
        label = f"rerun {number}" if number else "first run"
        entries.extend(_execution_entries(execution, label, shape))
        # What could not be read, shown where the trace starts.
        first = requested or (_time(history[0]["at"]) if history else datetime.now(UTC))
        if execution.missing:
            gaps.append(Entry(first, "missing", label, execution.missing, execution=execution.name))
        elif _failures_only(execution.events):
            detail = f"{execution.name} logged its failures only (a log level below ALL): what succeeded is not shown"
            gaps.append(Entry(first, "missing", label, detail, execution=execution.name))
    # At equal times the step comes first, then what it wrote in the order record, then the alerts.
    entries += [*_order_entries(order, history), *gaps, *_alert_entries(order_id, alerts)]
    entries.sort(key=lambda e: e.sort_key)
    terminal = [_time(h["at"]) for h in history if h.get("status") in _TERMINAL]
    latency = (terminal[-1] - requested).total_seconds() if terminal and requested else None
    cost = None
    if prices is not None and assumptions is not None and functions is not None:
        cost = order_cost(order, executions, alerts, workflow_type, shape, prices, assumptions, functions)
    return Timeline(
        order_id=order_id,
        status=str(order.get("status", "")),
        workflow_type=workflow_type,
        correlation_id=str(order.get("correlationId") or ""),
        requested=requested,
        entries=tuple(entries),
        executions=tuple(e.name for e in executions),
        latency=latency,
        queue_wait=_queue_wait(history),
        cost=cost,
        where=where,
    )


def _order_entries(order: Mapping[str, Any], history: Sequence[Mapping[str, Any]]) -> list[Entry]:
    """The order record's status history: the request (PENDING), then each status written and by whom."""
    entries = []
    failure = order.get("failure") if isinstance(order.get("failure"), Mapping) else None
    reruns = 0
    for index, item in enumerate(history):
        status, at = str(item.get("status")), _time(item["at"])
        following = _time(history[index + 1]["at"]) if index + 1 < len(history) else None
        if index == 0 and status == OrderStatus.PENDING:
            detail = f"accepted (202); correlation id {order.get('correlationId') or '-'}"
            entries.append(Entry(at, "request", "POST /orders", detail))
        elif status == OrderStatus.QUEUED:
            wait = (following - at).total_seconds() if following else None
            entries.append(Entry(at, "queue", "QUEUED", "message sent to the order queue (its SentTimestamp)", wait))
        elif status == OrderStatus.PROCESSING:
            entries.append(Entry(at, "worker", "PROCESSING", "ProcessOrderWorker received the message"))
        elif status == OrderStatus.FULFILLED:
            previous = _time(history[index - 1]["at"]) if index else None
            took = (
                (at - previous).total_seconds()
                if previous and history[index - 1].get("status") == "PROCESSING"
                else None
            )
            entries.append(Entry(at, "worker", "FULFILLED", "the worker fulfilled the order", took))
        elif status == OrderStatus.FAILED:
            # The cause is on the failed state's line; without that line (an Express log level), here.
            detail = "the failure route recorded the order FAILED"
            if failure:
                detail = f"FAILED at {failure.get('state') or '?'}: {failure.get('error') or '?'} (the failure route)"
            entries.append(Entry(at, "status", "FAILED", detail, ok=False))
        elif status == OrderStatus.REDRIVING:
            reruns += 1
            detail = f"rerun requested (orderflow rerun): execution {order.get('orderId')}-redrive-{reruns}"
            entries.append(Entry(at, "rerun", "REDRIVING", detail))
        elif status == OrderStatus.CREATED:
            entries.append(Entry(at, "status", "CREATED", "CreateOrder wrote the order"))
        else:
            entries.append(Entry(at, "status", status))
    return entries


def _queue_wait(history: Sequence[Mapping[str, Any]]) -> float | None:
    """The last time the order waited in the order queue: QUEUED (the message's SentTimestamp) to PROCESSING."""
    wait = None
    for before, after in itertools.pairwise(history):
        if before.get("status") == OrderStatus.QUEUED and after.get("status") == OrderStatus.PROCESSING:
            wait = (_time(after["at"]) - _time(before["at"])).total_seconds()
    return wait


def _alert_entries(order_id: str, alerts: Sequence[LoggedAlert]) -> list[Entry]:
    """Each alert about the order, when its first target took it, and each target's delivery (epoch seconds)."""
    entries = []
    for alert in sorted(alerts, key=lambda a: min(a.times.values(), default=a.at)):
        if alert.subject != order_id:
            continue
        first = min(alert.times.values(), default=alert.at)
        step = f"{alert.kind} alert"
        what = f"{alert.what}: taken by its first target" if alert.kind == "order" else f"at {alert.what}"
        entries.append(Entry(_epoch(first), "alert", step, what, whole_seconds=True))
        for target, status in alert.deliveries.items():
            at = _epoch(alert.times.get(target, alert.at))
            detail = status.lower() if status != "CLAIMED" else "claimed: being delivered (or the attempt died)"
            entries.append(Entry(at, "delivery", target, detail, ok=status == "DELIVERED", whole_seconds=True))
    return entries


def _failures_only(events: Sequence[Mapping[str, Any]]) -> bool:
    """Log records below level ALL: no ExecutionStarted, only the failures (and, at ERROR, the Fail state)."""
    return bool(events) and not any(e["type"] == "ExecutionStarted" for e in events)


def _execution_entries(execution: RecordedExecution, label: str, shape: WorkflowShape) -> list[Entry]:
    name = execution.name
    if not execution.events:
        return []
    recorded = recorded_failure(execution.events)
    unnamed = recorded[0] if recorded else "?"  # the failed step, when its StateEntered was not logged
    entries: list[Entry] = []
    started: datetime | None = None
    state: tuple[str, datetime, str] | None = None  # (name, entered, event type)
    attempts = 0
    failure: tuple[str, str, datetime] | None = None  # (error, cause, at) of the state's last failed attempt
    caught: tuple[str, str, datetime] | None = None  # (state, error, at) of a state that exited failed
    for event in execution.events:
        kind, at = str(event["type"]), _time(event["timestamp"])
        details = _details(event)
        if kind == "ExecutionStarted":
            started = at
            entries.append(Entry(at, "execution", label, f"{name} started", execution=name))
        elif kind.endswith("StateEntered"):
            entered = str(details.get("name", ""))
            if caught is not None:
                entries.append(
                    Entry(caught[2], "catch", caught[0], f"{caught[1]} caught -> {entered}", ok=False, execution=name)
                )
                caught = None
            state, attempts, failure = (entered, at, kind), 0, None
        elif kind in _SCHEDULED:
            attempts += 1
            if attempts > 1 and failure is not None:
                detail = f"attempt {attempts - 1} failed: {failure[0]}: {failure[1]}; retried"
                wait = (at - failure[2]).total_seconds()
                step = state[0] if state else "?"
                entries.append(Entry(failure[2], "retry", step, detail, wait, ok=False, execution=name))
                failure = None
        elif kind.endswith(("Failed", "TimedOut")) and kind not in _EXECUTION_ENDS:
            failure = (str(details.get("error", kind)), _cause(details.get("cause")), at)
            if state is None:  # logged without its state (an Express log level below ALL)
                detail = f"{kind}: {failure[0]}: {failure[1]}"
                entries.append(Entry(at, "state", unnamed, detail, ok=False, execution=name))
        elif kind.endswith("StateExited") and state is not None:
            entries.append(_state_entry(state, at, attempts, failure, shape, name))
            if failure is not None:
                caught = (state[0], failure[0], at)
            state, failure = None, None
        elif kind in _EXECUTION_ENDS:
            if state is not None:  # a Fail (or Succeed) state has no exit event: the execution's end closes it
                ok = kind == "ExecutionSucceeded"
                detail = "" if ok else f"{details.get('error', '')}: {_cause(details.get('cause'))}".strip(": ")
                entries.append(Entry(state[1], "state", state[0], detail, (at - state[1]).total_seconds(), ok, name))
                state = None
            status = _EXECUTION_ENDS[kind]
            took = (at - started).total_seconds() if started else None
            error = f" ({details['error']})" if details.get("error") else ""
            ok = status == "SUCCEEDED"
            entries.append(Entry(at, "execution", label, f"{name} {status}{error}", took, ok=ok, execution=name))
    return entries


def _state_entry(
    state: tuple[str, datetime, str],
    exited: datetime,
    attempts: int,
    failure: tuple[str, str, datetime] | None,
    shape: WorkflowShape,
    execution: str,
) -> Entry:
    name, entered, _ = state
    parts = [shape.resources.get(name, "")]
    if attempts > 1:
        parts.append(f"{attempts} attempts")
    if failure is not None:
        parts.append(f"failed: {failure[0]}: {failure[1]}")
    kind = "notify" if name in shape.notifies else "state"
    took = (exited - entered).total_seconds()
    return Entry(entered, kind, name, "; ".join(p for p in parts if p), took, failure is None, execution)


@dataclass
class _Counted:
    """What the executions' records show an order used."""

    transitions: int = 0
    invoked: dict[str, float] = field(default_factory=lambda: {"StartWorkflow": 1.0})  # the POST
    sqs: float = 0.0
    sns: float = 0.0
    assumed: list[str] = field(default_factory=list)

    def partial(self, name: str, failed: tuple[str, Any] | None, shape: WorkflowShape) -> None:
        """An execution that logged its failures only: the happy path up to the failed step, then the failure
        route, each state once (retries are not logged)."""
        path = list(shape.happy_path)
        before = path[: path.index(failed[0]) + 1] if failed and failed[0] in path else path
        states = [*before, *shape.failure_route]
        self.transitions += len(states)
        for state in states:
            self.ran(state, shape)
        self.assumed.append(f"{name} logged its failures only: {' -> '.join(states)} ran once each")

    def ran(self, state: str, shape: WorkflowShape) -> None:
        """One attempt of a Task: its function invoked, or its message sent or published."""
        if state in shape.functions:
            self.invoked[shape.functions[state]] = self.invoked.get(shape.functions[state], 0.0) + 1
        resource = shape.resources.get(state, "")
        self.sqs += 1.0 if resource.startswith("sqs:") else 0.0
        self.sns += 1.0 if resource.startswith("sns:") else 0.0


def _count_workflow(executions: Sequence[RecordedExecution], history: Sequence[str], shape: WorkflowShape) -> _Counted:
    counted = _Counted()
    for execution in executions:
        events = execution.events
        if not events:
            if OrderStatus.QUEUED.value in history and shape.happy_path:
                # Express logs no succeeded execution below level ALL: the order was queued, so it took the happy path
                counted.transitions += len(shape.happy_path)
                for state in shape.happy_path:
                    counted.ran(state, shape)
                counted.assumed.append(
                    f"{execution.name} left no records: it took the happy path ({len(shape.happy_path)} states)"
                )
            continue
        if _failures_only(events):
            counted.partial(execution.name, recorded_failure(events), shape)
            continue
        counted.transitions += transitions(events)
        state = ""
        for event in events:
            kind = str(event["type"])
            if kind.endswith("StateEntered"):
                state = str(_details(event).get("name", ""))
            elif kind in _SCHEDULED:
                counted.ran(state, shape)
    return counted


def order_cost(
    order: Mapping[str, Any],
    executions: Sequence[RecordedExecution],
    alerts: Sequence[LoggedAlert],
    workflow_type: str,
    shape: WorkflowShape,
    prices: Prices,
    assumptions: Assumptions,
    functions: Mapping[str, FunctionFacts],
) -> OrderCost:
    """What this order used, priced by `orderflow cost`'s calculation (workflow.cost.model.price) for one order.
    Counted from the records: transitions, the workflow's invocations and retries, the writes of each status, the
    alert deliveries. Assumed (and listed): billed durations, a batch of its own for the worker and the
    AlertHandler, 1 KB writes."""
    history = [str(h.get("status")) for h in order.get("history") or [] if isinstance(h, Mapping)]
    counted = _count_workflow(executions, history, shape)
    assumed, invoked = counted.assumed, counted.invoked
    sqs, sns, transitions_counted = counted.sqs, counted.sns, counted.transitions
    notify_functions = {shape.functions[s] for s in shape.notifies if s in shape.functions}
    sns += sum(v for k, v in invoked.items() if k in notify_functions)
    received = history.count(OrderStatus.PROCESSING.value)
    if received:
        invoked["ProcessOrderWorker"] = float(received)
        sqs += 2.0 * received  # its receive and delete
    order_alerts = [a for a in alerts if a.subject == order.get("orderId")]
    if order_alerts:
        invoked["AlertHandler"] = float(len(order_alerts))
        sqs += 2.0 * len(order_alerts)
        sns += sum(1.0 for a in order_alerts if a.kind == "resolved")  # the order-failed publishes are counted above
    batched = [name for name, taken in (("the worker", received), ("the AlertHandler", order_alerts)) if taken]
    if batched:
        assumed.append(
            f"{' and '.join(batched)} took it in a batch of its own (an invocation, a receive and a delete; a batch "
            "of up to 10 orders or 100 alerts shares them)"
        )
    # Writes: the API's Idempotency-Key reservation, CreateOrder's put, the fulfilment's one update (QUEUED,
    # PROCESSING and FULFILLED together), the failure route's, a rerun's; the alert log's claim and mark per target.
    writes = 1.0 + sum(history.count(s.value) for s in (OrderStatus.CREATED, OrderStatus.FULFILLED))
    writes += sum(history.count(s.value) for s in (OrderStatus.FAILED, OrderStatus.REDRIVING))
    writes += 2.0 * sum(len(a.deliveries) for a in order_alerts)
    assumed.append("each DynamoDB write is one write unit (items up to 1 KB); the GET /orders reads are not counted")
    usage = Usage(
        orders=1,
        transitions=float(transitions_counted),
        invocations=invoked,
        read_units=0.0,
        write_units=writes,
        sqs_requests=sqs,
        sns_publishes=sns,
        http_requests=1.0,
        handler_log_bytes=0.0,
    )
    facts = Facts(
        workflow_type=workflow_type,
        functions=functions,
        workflow_functions=frozenset(shape.functions.values()),
        queue_functions=frozenset(),
        log_level="OFF",
        log_execution_data=False,
        tracing=False,
    )
    estimate = price(usage, facts, assumptions, prices)
    by_service = {k: v / MILLION for k, v in estimate.by_service.items() if k != "CloudWatch Logs"}
    if workflow_type == "EXPRESS" and len(executions) > 1:  # each execution is a request
        by_service["Step Functions"] += (len(executions) - 1) * prices["stepfunctions.express.request"]
    billed = ", ".join(f"{name} {assumptions.billed_ms.get(name, 0):g}" for name in invoked)
    assumed.insert(0, f"billed ms per invocation (the manifest's billed_ms): {billed}; memory per the manifest, arm64")
    if workflow_type == "EXPRESS":
        assumed.insert(
            1,
            f"Express duration: the tasks' billed ms + {assumptions.express_ms_per_transition:g} ms per transition, "
            f"{assumptions.express_memory_mb} MB",
        )
    return OrderCost(
        workflow_type=workflow_type,
        by_service=by_service,
        usage={
            "transitions": float(transitions_counted),
            "invocations": dict(invoked),
            "write_units": writes,
            "sqs_requests": sqs,
            "sns_publishes": sns,
            "http_requests": 1.0,
        },
        assumed=tuple(assumed),
        prices_checked=prices.checked,
    )


def function_facts(manifest: Manifest) -> dict[str, FunctionFacts]:
    """Each function's memory (its manifest entry) and architecture, as the stack deploys them."""
    return {f.name: FunctionFacts(f.memory, ARCHITECTURE, SYSTEM_LOG_LEVEL) for f in manifest.functions}


def workflow_shape(definition: Mapping[str, Any], manifest: Manifest) -> WorkflowShape:
    """The Tasks' resources and functions, the states that publish a notification (an SNS publish, or a function
    whose access publishes to a topic), and the happy path, from a definition."""
    from workflow.asl import happy_path, tasks
    from workflow.manifest import FunctionArn, PublishTo

    resources, invoked, notifies = {}, {}, set()
    for task in tasks(definition, manifest.substitutions):
        target = next(iter(getattr(task.target, f.name) for f in fields(task.target)), "")
        resources[task.state] = f"{task.integration} {target}".strip()
        if isinstance(task.target, FunctionArn):
            invoked[task.state] = task.target.function
            if any(isinstance(a, PublishTo) for a in manifest.function(task.target.function).access):
                notifies.add(task.state)
        elif task.integration.startswith("sns:"):
            notifies.add(task.state)
    path = happy_path(definition)
    states = definition.get("States", {})
    catch_all = [c for c in states.get(path[0], {}).get("Catch", []) if "States.ALL" in c.get("ErrorEquals", [])]
    route: list[str] = []
    name = catch_all[0]["Next"] if catch_all else None
    while name is not None and name not in route:
        route.append(str(name))
        name = states[name].get("Next")
    return WorkflowShape(resources, invoked, frozenset(notifies), tuple(path), tuple(route))


def execution_names(order: Mapping[str, Any]) -> list[str]:
    """The order's executions: the API's (named after the order), then one per rerun (workflow.ops.rerun)."""
    order_id = str(order.get("orderId", ""))
    reruns = sum(1 for h in order.get("history") or [] if h.get("status") == OrderStatus.REDRIVING.value)
    return [order_id, *(f"{order_id}-redrive-{n}" for n in range(1, reruns + 1))]


def read_trace(target: Target, order_id: str) -> Timeline:
    """The order's timeline, read through the target: its record, its executions (Standard: their histories;
    Express: their log records), the alert log. Raises TraceError for what is no order id or no order there."""
    from workflow.ops.alerts import recent_alerts

    if not is_order_id(order_id):
        raise TraceError(f"{order_id!r} is not an order id (ord_ and 26 characters a-z, 2-7)")
    store = OrdersStore(
        target.client("dynamodb"), target.output("OrdersTableName"), target.output("IdempotencyTableName")
    )
    order = store.get(order_id)
    if order is None:
        raise TraceError(f"no order {order_id} in {target.where}")
    sfn = target.client("stepfunctions")
    machine = target.output("StateMachineArn")
    described = sfn.describe_state_machine(stateMachineArn=machine)
    workflow_type = str(described.get("type", "STANDARD"))
    executions = read_executions(sfn, lambda: target.client("logs"), machine, order, workflow_type)
    alerts = [a for a in recent_alerts(target, limit=1_000_000) if a.subject == order_id]
    return order_timeline(order, executions, alerts, workflow_type=workflow_type, where=target.where)


def read_executions(
    sfn: Any, logs: Callable[[], Any], machine: str, order: Mapping[str, Any], workflow_type: str
) -> list[RecordedExecution]:
    """The order's executions (`execution_names`), each with its events: Standard, its history; Express, its log
    records read as events (`logs` makes the CloudWatch Logs client, when one is needed). What cannot be read is a
    RecordedExecution with no events and why (`missing`)."""
    from botocore.exceptions import ClientError

    from workflow.ops import execution_logs, history

    executions = []
    if workflow_type == "EXPRESS":
        # Its records are between the request and now (a minute either side for clocks).
        first = (order.get("history") or [{}])[0].get("at")
        since = (_time(first) if first else datetime.now(UTC) - timedelta(days=1)) - timedelta(minutes=1)
        until = datetime.now(UTC) + timedelta(minutes=1)
        client = logs()
        for name in execution_names(order):
            try:
                records = execution_logs.records_of_execution(sfn, client, machine, name, since, until)
            except execution_logs.LogsUnavailable as e:
                executions.append(RecordedExecution(name, "", missing=str(e)))
                continue
            arn = str(records[0]["execution_arn"])
            events = execution_logs.events(records)
            executions.append(RecordedExecution(execution_name(arn), arn, tuple(events)))
    else:
        for name in execution_names(order):
            arn = history.execution_arn(machine, name)
            try:
                executions.append(RecordedExecution(name, arn, tuple(history.execution_history(sfn, arn))))
            except ClientError as e:
                if e.response.get("Error", {}).get("Code") != "ExecutionDoesNotExist":
                    raise
                executions.append(RecordedExecution(name, arn, missing=f"no execution {name} (gone after 90 days)"))
    return executions


def order_timeline(
    order: Mapping[str, Any],
    executions: Sequence[RecordedExecution],
    alerts: Sequence[LoggedAlert],
    *,
    workflow_type: str,
    where: str = "",
) -> Timeline:
    """`timeline` with what this repository deploys: the compiled workflow's shape, the price table, the
    manifest's functions and billed ms (each made once per process)."""
    shape, prices, assumptions, functions = _deployed(workflow_type)
    return timeline(
        order,
        executions,
        alerts,
        workflow_type=workflow_type,
        shape=shape,
        prices=prices,
        assumptions=assumptions,
        functions=functions,
        where=where,
    )


@functools.cache
def _deployed(workflow_type: str) -> tuple[WorkflowShape, Prices, Assumptions, Mapping[str, FunctionFacts]]:
    from workflow.asl import compile_order_workflow
    from workflow.cost.model import DEFAULT_BILLED_MS
    from workflow.manifest import MANIFEST

    return (
        workflow_shape(compile_order_workflow(workflow_type), MANIFEST),
        Prices.load(),
        Assumptions(billed_ms=DEFAULT_BILLED_MS),
        function_facts(MANIFEST),
    )


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
