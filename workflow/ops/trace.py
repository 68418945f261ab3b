"""One order's journey as a timeline (`orderflow trace`): the API request, each execution's states with their
durations, retries and the Catch taken, the queue wait and the worker, the alerts with each target's delivery,
reruns, the total latency, and what the order cost on AWS.

`timeline` is pure: it builds the Timeline from what the system recorded, the order record (its status history),
each execution's history events (Standard: GetExecutionHistory; Express: its log records, read as events by
workflow.ops.execution_logs) and the alert log's alerts about the order (workflow.ops.alerts.logged_alerts).
`read_trace` fetches those through a target's clients, the same against the local system and AWS; its parts serve
whoever has read some of it already (the console's order page): `read_executions` reads the order's executions,
`order_timeline` is `timeline` with this repository's workflow, prices and functions.

Its parts: workflow.ops.trace_model (the types, and the Timeline as text and as a document), trace_entries (the
timeline's entries from the records) and trace_cost (what the order cost on AWS); their public names are this
module's too.

The output holds the order id, statuses, step names, errors and causes (as `orderflow executions` shows them), never
an execution's input or output: those carry the customer's e-mail and address.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import fields
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from handlers.adapters.orders_store import OrdersStore
from handlers.arns import execution_name
from handlers.domain.identifiers import is_order_id
from handlers.domain.order import OrderStatus
from workflow.cost.model import Assumptions, FunctionFacts, Prices
from workflow.ops.alerts import LoggedAlert
from workflow.ops.trace_cost import ARCHITECTURE, SYSTEM_LOG_LEVEL, function_facts, order_cost
from workflow.ops.trace_entries import _alert_entries, _execution_entries, _order_entries, _queue_wait
from workflow.ops.trace_model import (
    _TERMINAL,
    CAUSE_CHARACTERS,
    KINDS,
    LEFT_OUT,
    Entry,
    OrderCost,
    RecordedExecution,
    Timeline,
    TraceError,
    WorkflowShape,
    _failures_only,
    _time,
)

if TYPE_CHECKING:
    from workflow.manifest import Manifest
    from workflow.ops.targets import Target

__all__ = [
    "ARCHITECTURE",
    "CAUSE_CHARACTERS",
    "KINDS",
    "LEFT_OUT",
    "SYSTEM_LOG_LEVEL",
    "Entry",
    "OrderCost",
    "RecordedExecution",
    "Timeline",
    "TraceError",
    "WorkflowShape",
    "execution_names",
    "function_facts",
    "order_cost",
    "order_timeline",
    "read_executions",
    "read_trace",
    "timeline",
    "workflow_shape",
]


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
    from workflow.ops.alerts import alert_log

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
    alerts = [a for a in alert_log(target) if a.subject == order_id]
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
