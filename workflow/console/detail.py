"""One order as the on-call engineer reads it: its record (personal fields redacted), its execution's events (the
history on Standard; the log records on Express, as workflow.ops.execution_logs reads them), each state's visits
(input, output, errors, retries, timing) and the graph coloured by what the execution did (workflow.graph's
overlay), and its timeline: workflow.ops.trace's, built from what was read here (the record, every execution of
the order, the alert log's alerts about it), so the page and `orderflow trace` show one account of the order.
`advice` says what to do next."""

from __future__ import annotations

import hashlib
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from botocore.exceptions import ClientError

from handlers.adapters.orders_store import OrdersStore
from handlers.arns import is_express_arn
from handlers.domain.alerts import readable_cause
from handlers.domain.errors import BUSINESS, failure_of
from handlers.domain.identifiers import is_order_id
from workflow import graph as g
from workflow.console.security import redact, redact_text
from workflow.ops import history, trace
from workflow.ops.alerts import LoggedAlert, alert_log
from workflow.ops.targets import Target

_log = logging.getLogger(__name__)
TERMINAL = frozenset({"FULFILLED", "FAILED"})
# The alert log is read at most this often (one Scan shared by every order page; the table is small, its items
# expire), and only for an order that can have alerts: one that failed, was alerted stuck, or was rerun.
ALERTS_MAX_AGE = 2.0


class NoSuchOrder(LookupError):
    pass


@dataclass
class Visit:
    entered: datetime | None = None
    exited: datetime | None = None
    input: Any = None
    output: Any = None
    attempts: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)

    @property
    def seconds(self) -> float | None:
        if self.entered is None or self.exited is None:
            return None
        return (self.exited - self.entered).total_seconds()

    @property
    def retries(self) -> int:
        return max(0, self.attempts - 1)


@dataclass(frozen=True)
class OrderView:
    order_id: str
    record: dict[str, Any]  # redacted
    status: str
    execution_arn: str
    execution_status: str
    events_note: str  # where the events came from, or why there are none
    visits: dict[str, list[Visit]]
    svg: str
    failure: dict[str, str]  # state, error, cause (readable, redacted)
    advice: str
    fingerprint: str  # changes when anything shown changes (marker_of): the live updates compare it
    timeline: trace.Timeline | None = None  # workflow.ops.trace's; None when it could not be built (logged)

    @property
    def terminal(self) -> bool:
        return self.status in TERMINAL and self.execution_status != "RUNNING"


def _json(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return redact(json.loads(text))
    except ValueError:
        return redact_text(text)


def visits_of(events: Sequence[Mapping[str, Any]]) -> dict[str, list[Visit]]:
    """Each state's visits, from the events oldest first: what belongs to a state is what happens between its
    StateEntered and the next state's (this workflow has no Parallel or Map)."""
    visits: dict[str, list[Visit]] = {}
    current: Visit | None = None
    for event in sorted(events, key=lambda e: int(e["id"])):
        kind = str(event["type"])
        at = event.get("timestamp")
        at = at if isinstance(at, datetime) else None
        details: Mapping[str, Any] = next((v for k, v in event.items() if k.endswith("EventDetails")), {}) or {}
        if kind.endswith("StateEntered"):
            if current is not None and current.exited is None:
                current.exited = at
            current = Visit(entered=at, input=_json(details.get("input")))
            visits.setdefault(str(details.get("name", "?")), []).append(current)
        elif kind.endswith("StateExited") and current is not None:
            current.exited = at
            current.output = _json(details.get("output"))
        elif current is not None:
            if kind.endswith("Scheduled"):
                current.attempts += 1
            elif kind.endswith(("Failed", "TimedOut")) and kind not in {"ExecutionFailed", "ExecutionTimedOut"}:
                current.errors.append(
                    (str(details.get("error", kind)), redact_text(readable_cause(details.get("cause"))[:2000]))
                )
            elif kind.startswith("Execution") and kind != "ExecutionStarted" and current.exited is None:
                current.exited = at
    return visits


def marker_of(record: Mapping[str, Any], last_event: int | str, alerts: Sequence[LoggedAlert]) -> str:
    """An order view's fingerprint: it changes when anything the page shows changes (the record's status and last
    change, the newest event of its execution, its alerts' deliveries)."""
    delivered = "".join(f"{a.fingerprint}{sorted(a.deliveries.items())}" for a in alerts)
    return (
        f"{record.get('status') or '?'}|{record.get('updatedAt', '')}|{last_event}|"
        f"{hashlib.sha256(delivered.encode()).hexdigest()[:12]}"
    )


def advice(status: str, failure: Mapping[str, str], execution_status: str) -> str:
    """What to do next, in a sentence."""
    if status == "FAILED":
        error = failure.get("error", "")
        if failure_of(error) == BUSINESS:
            return (
                f"The order's input or state is the cause ({error}): running it again cannot help. The customer "
                "submits a corrected order with a new Idempotency-Key."
            )
        return (
            f"A transient or system failure ({error or 'unknown error'} at {failure.get('state') or 'unknown step'}): "
            "fix its cause (the service, the permission, the setting it names), then rerun the order."
        )
    if status == "REDRIVING":
        return "A rerun was started: its execution takes the order over at CreateOrder."
    if status == "FULFILLED":
        return "Nothing to do: the order was fulfilled."
    if execution_status == "SUCCEEDED" and status in {"QUEUED", "PROCESSING"}:
        return (
            "The workflow is done; the worker fulfils the order from the queue. If it stays here, look at the orders "
            "DLQ (a message the worker gave up on is parked there): fix the cause, then redrive the DLQ."
        )
    return "In progress: this page follows it."


class OrderReader:
    """Reads orders' views; the rendered graph is kept per execution and event count (Graphviz takes ~50 ms), the
    alert log's read for `ALERTS_MAX_AGE` seconds."""

    def __init__(self, target: Target, clock: Callable[[], float] = time.monotonic) -> None:
        self.target = target
        self._sfn = target.client("stepfunctions")
        self._dynamodb = target.client("dynamodb")
        self._store = OrdersStore(
            self._dynamodb, target.output("OrdersTableName"), target.output("IdempotencyTableName")
        )
        self._machine = target.output("StateMachineArn")
        self._svgs: dict[tuple[str, int, str], str] = {}
        self._definitions: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._express: bool | None = None
        self._logs: Any = None
        self._clock = clock
        self._alerts: tuple[float, list[LoggedAlert]] | None = None

    @property
    def express(self) -> bool:
        if self._express is None:
            described = self._sfn.describe_state_machine(stateMachineArn=self._machine)
            self._express = described.get("type") == "EXPRESS"
        return self._express

    def _logs_client(self) -> Any:
        if self._logs is None:
            self._logs = self.target.client("logs")
        return self._logs

    def read(self, order_id: str) -> OrderView:
        if not is_order_id(order_id):
            raise NoSuchOrder(order_id)
        record = self._store.get(order_id)
        if record is None:
            raise NoSuchOrder(order_id)
        arn = str(record.get("executionArn") or history.execution_arn(self._machine, order_id))
        workflow_type = "EXPRESS" if self.express or is_express_arn(arn) else "STANDARD"
        executions, note = self._executions(record, workflow_type)
        # The graph and the states' panels are the record's execution (a rerun's, after one); the timeline has all.
        shown = next((e for e in executions if e.arn == arn), executions[-1] if executions else None)
        events = [dict(e) for e in shown.events] if shown is not None else []
        if shown is not None and shown.missing:
            note = shown.missing
        definition = self._definition_of(arn, workflow_type) if events else None
        status = str(record.get("status") or "?")
        recorded: dict[str, Any] = record["failure"] if isinstance(record.get("failure"), dict) else {}
        failure = {
            "state": str(recorded.get("state") or ""),
            "error": str(recorded.get("error") or ""),
            "cause": redact_text(readable_cause(recorded.get("cause"))[:2000]) if recorded else "",
        }
        read = g.read_history(events) if events else None
        execution_status = read.status if read is not None else "UNKNOWN"
        svg = self._svg(arn, events, definition, order_id)
        alerts = self._alerts_of(record)
        # The newest execution's newest event: the older ones (a rerun's predecessors) have ended.
        newest = executions[-1].events if executions else ()
        last_event = max((int(e["id"]) for e in newest), default=0) if workflow_type == "STANDARD" else "express"
        fingerprint = marker_of(record, last_event, alerts)
        if workflow_type == "EXPRESS" and execution_status in {"RUNNING", "UNKNOWN"}:
            fingerprint += "~"  # its log records may still come: `marker` cannot tell, so the next poll reads them
        return OrderView(
            order_id=order_id,
            record=redact(record),
            status=status,
            execution_arn=arn,
            execution_status=execution_status,
            events_note=note,
            visits=visits_of(events),
            svg=svg,
            failure=failure,
            advice=advice(status, failure, execution_status),
            fingerprint=fingerprint,
            timeline=self._timeline(record, executions, alerts, workflow_type),
        )

    def marker(self, order_id: str) -> str:
        """What the view's fingerprint would be, read cheaply: the record (one GetItem), the newest event of its
        newest execution (GetExecutionHistory, one event; an Express execution has none to read) and the alert
        log's alerts about it (the shared read). The live view compares it and reads the rest only when it changed."""
        if not is_order_id(order_id):
            raise NoSuchOrder(order_id)
        record = self._store.get(order_id)
        if record is None:
            raise NoSuchOrder(order_id)
        recorded = str(record.get("executionArn") or history.execution_arn(self._machine, order_id))
        arn = history.execution_arn(self._machine, trace.execution_names(record)[-1])
        last_event: int | str = "express"
        if not (self.express or is_express_arn(recorded)):
            try:
                newest = self._sfn.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=1)
            except ClientError as e:
                if e.response.get("Error", {}).get("Code") != "ExecutionDoesNotExist":
                    raise
                newest = {"events": []}
            last_event = max((int(e["id"]) for e in newest["events"]), default=0)
        return marker_of(record, last_event, self._alerts_of(record))

    def _executions(self, record: Mapping[str, Any], workflow_type: str) -> tuple[list[trace.RecordedExecution], str]:
        """Every execution of the order (a rerun is one more), read once for the graph and the timeline."""
        try:
            executions = trace.read_executions(self._sfn, self._logs_client, self._machine, record, workflow_type)
        except ClientError as e:
            return [], f"no execution history: {e.response.get('Error', {}).get('Message', e)}"
        if workflow_type == "EXPRESS":
            return executions, "from the state machine's log records (Express)"
        return executions, "from the execution history"

    def _definition_of(self, arn: str, workflow_type: str) -> dict[str, Any] | None:
        if workflow_type == "EXPRESS":
            return None
        definition = self._definitions.get(arn)
        if definition is None:
            try:
                definition = history.execution_definition(self._sfn, arn)
            except ClientError:
                return None
            self._definitions[arn] = definition
        return definition

    def _alerts_of(self, record: Mapping[str, Any]) -> list[LoggedAlert]:
        """The alert log's alerts about the order. Only an order that failed, was alerted stuck or was rerun has
        any (a resolution follows one of those), so no other order's page reads the alert log."""
        statuses = {str(h.get("status")) for h in record.get("history") or [] if isinstance(h, Mapping)}
        if not (record.get("failure") or record.get("stuckAlertedAt") or statuses & {"FAILED", "REDRIVING"}):
            return []
        order_id = str(record.get("orderId", ""))
        with self._lock:
            cached = self._alerts
        if cached is None or self._clock() - cached[0] > ALERTS_MAX_AGE:
            cached = (self._clock(), alert_log(self.target))
            with self._lock:
                self._alerts = cached
        return [a for a in cached[1] if a.subject == order_id]

    def _timeline(
        self,
        record: Mapping[str, Any],
        executions: Sequence[trace.RecordedExecution],
        alerts: Sequence[LoggedAlert],
        workflow_type: str,
    ) -> trace.Timeline | None:
        try:
            return trace.order_timeline(
                record, executions, alerts, workflow_type=workflow_type, where=self.target.where
            )
        except Exception:  # the timeline is a help: the page stands without it
            _log.warning("console: the timeline of %s failed", record.get("orderId"), exc_info=True)
            return None

    def _definition(self, definition: dict[str, Any] | None) -> dict[str, Any]:
        if definition is not None:
            return definition
        described = self._sfn.describe_state_machine(stateMachineArn=self._machine)
        loaded: dict[str, Any] = json.loads(described["definition"])
        return loaded

    def _svg(self, arn: str, events: list[dict[str, Any]], definition: dict[str, Any] | None, order_id: str) -> str:
        key = (arn, len(events), str(events[-1].get("type")) if events else "")
        with self._lock:
            if key in self._svgs:
                return self._svgs[key]
        graph = g.state_graph(self._definition(definition))
        if events:
            graph = g.overlay(graph, events, title=f"Order {order_id}")
        svg = inline_svg(g.to_svg(graph))
        with self._lock:
            if len(self._svgs) > 500:
                self._svgs.clear()
            self._svgs[key] = svg
        return svg


_ROOT_STYLE = re.compile(r'<svg width="100%" style="max-width: ([0-9.]+)pt"')
_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.DOTALL)
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def inline_svg(svg: str) -> str:
    """Graphviz's SVG made fit to sit inside a page under the console's CSP: no XML prologue or doctype, no inline
    style (the stylesheet sizes it), personal text redacted."""
    svg = _PROLOGUE.sub("", svg, count=1)
    svg = _COMMENT.sub("", svg)
    svg = _ROOT_STYLE.sub(lambda m: f'<svg class="graph" data-width="{m.group(1)}"', svg, count=1)
    return redact_text(svg)
