"""The entries of an order's timeline (workflow.ops.trace.timeline), each from what the system recorded: the order
record's status history, each execution's history events (its states, retries and the Catch taken), the alert log's
alerts about the order and each target's delivery."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from handlers.domain.order import OrderStatus
from workflow.ops.alerts import LoggedAlert
from workflow.ops.history import recorded_failure
from workflow.ops.trace_model import (
    _EXECUTION_ENDS,
    _SCHEDULED,
    Entry,
    RecordedExecution,
    WorkflowShape,
    _cause,
    _details,
    _epoch,
    _time,
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
