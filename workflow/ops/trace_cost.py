"""What one order cost on AWS (`orderflow trace`'s cost): what its records show it used, priced by `orderflow cost`'s
pure calculation (workflow.cost.model.price), with what is assumed listed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from handlers.domain.order import OrderStatus
from workflow.cost.model import MILLION, Assumptions, Facts, FunctionFacts, Prices, Usage, price, transitions
from workflow.ops.alerts import LoggedAlert
from workflow.ops.history import recorded_failure
from workflow.ops.trace_model import _SCHEDULED, OrderCost, RecordedExecution, WorkflowShape, _details, _failures_only

if TYPE_CHECKING:
    from workflow.manifest import Manifest

# Every function runs on arm64 (infra/constructs/functions.py); memory is each function's manifest entry.
ARCHITECTURE = "arm64"
# Lambda's START/END/REPORT lines are the stack's lambdaSystemLogLevel's (WARN by default): CloudWatch Logs is left
# out of an order's cost here (`orderflow cost` prices it for the mix).
SYSTEM_LOG_LEVEL = "WARN"


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


def _count_order(
    order: Mapping[str, Any],
    executions: Sequence[RecordedExecution],
    alerts: Sequence[LoggedAlert],
    shape: WorkflowShape,
) -> tuple[_Counted, float]:
    """What the order's records show it used (`_count_workflow`), with the notifications its states published, the
    worker's and the AlertHandler's invocations and messages, and its DynamoDB writes (returned)."""
    history = [str(h.get("status")) for h in order.get("history") or [] if isinstance(h, Mapping)]
    counted = _count_workflow(executions, history, shape)
    notify_functions = {shape.functions[s] for s in shape.notifies if s in shape.functions}
    counted.sns += sum(v for k, v in counted.invoked.items() if k in notify_functions)
    received = history.count(OrderStatus.PROCESSING.value)
    if received:
        counted.invoked["ProcessOrderWorker"] = float(received)
        counted.sqs += 2.0 * received  # its receive and delete
    order_alerts = [a for a in alerts if a.subject == order.get("orderId")]
    if order_alerts:
        counted.invoked["AlertHandler"] = float(len(order_alerts))
        counted.sqs += 2.0 * len(order_alerts)
        counted.sns += sum(1.0 for a in order_alerts if a.kind == "resolved")  # order-failed publishes: counted above
    batched = [name for name, taken in (("the worker", received), ("the AlertHandler", order_alerts)) if taken]
    if batched:
        counted.assumed.append(
            f"{' and '.join(batched)} took it in a batch of its own (an invocation, a receive and a delete; a batch "
            "of up to 10 orders or 100 alerts shares them)"
        )
    # Writes: the API's Idempotency-Key reservation, CreateOrder's put, the fulfilment's one update (QUEUED,
    # PROCESSING and FULFILLED together), the failure route's, a rerun's; the alert log's claim and mark per target.
    written = sum(history.count(s.value) for s in _WRITTEN_STATUSES)
    writes = 1.0 + written + _index_writes(history, written, bool(order.get("stuckAlertedAt")))
    writes += 2.0 * sum(len(a.deliveries) for a in order_alerts)
    counted.assumed.append(
        "each DynamoDB write is one write unit (items up to 1 KB), and so is each write of the orders table's "
        "indexes; the GET /orders reads are not counted"
    )
    return counted, writes


# The statuses written to the order (each a write of its own): CreateOrder's, the worker's, the failure route's and
# a rerun's.
_WRITTEN_STATUSES = (OrderStatus.CREATED, OrderStatus.FULFILLED, OrderStatus.FAILED, OrderStatus.REDRIVING)


def _index_writes(history: Sequence[str], written: int, stuck_alerted: bool) -> float:
    """The orders table's index writes (workflow.manifest): orders-by-time takes every write of the order (it
    projects the status), open-orders takes the order in at CREATED and out when it ends or is alerted stuck."""
    open_writes, inside = 0, False
    for status in history:
        if status == OrderStatus.CREATED.value:
            open_writes, inside = open_writes + 1, True
        elif inside and status in (OrderStatus.FULFILLED.value, OrderStatus.FAILED.value):
            open_writes, inside = open_writes + 1, False
    return float(written + open_writes + (1 if inside and stuck_alerted else 0))


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
    counted, writes = _count_order(order, executions, alerts, shape)
    assumed, invoked = counted.assumed, counted.invoked
    sqs, sns, transitions_counted = counted.sqs, counted.sns, counted.transitions
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
