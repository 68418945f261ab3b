"""`orderflow trace`'s timeline, built from recorded data: an order record, a Standard execution history (a retry,
then the Catch to the failure route), an Express execution's log records, the alert log's items; and its cost."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from workflow.asl import compile_order_workflow
from workflow.cost.model import DEFAULT_BILLED_MS, MILLION, Assumptions, Prices
from workflow.manifest import MANIFEST
from workflow.ops import execution_logs
from workflow.ops.alerts import logged_alerts
from workflow.ops.trace import (
    KINDS,
    RecordedExecution,
    Timeline,
    WorkflowShape,
    function_facts,
    timeline,
    workflow_shape,
)

ORDER_ID = "ord_abcdefghijklmnopqrstuvwxyz"
REQUESTED = datetime(2026, 12, 5, 10, 0, 0, tzinfo=UTC)
MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:orderflow-orders"
STANDARD_ARN = f"arn:aws:states:us-east-1:123456789012:execution:orderflow-orders:{ORDER_ID}"
EXPRESS_ARN = f"arn:aws:states:us-east-1:123456789012:express:orderflow-orders:{ORDER_ID}:0f1e2d3c"
THROTTLED = json.dumps({"errorType": "OrderStoreUnavailable", "errorMessage": "create order: DynamoDB answered Th"})


def at(ms: float) -> datetime:
    return REQUESTED + timedelta(milliseconds=ms)


def iso(ms: float) -> str:
    return at(ms).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@pytest.fixture(scope="module")
def shape() -> WorkflowShape:
    return workflow_shape(compile_order_workflow(), MANIFEST)


def pricing() -> dict[str, Any]:
    return {
        "prices": Prices.load(),
        "assumptions": Assumptions(billed_ms=DEFAULT_BILLED_MS),
        "functions": function_facts(MANIFEST),
    }


class History:
    """A recorded execution history, event by event (GetExecutionHistory's shape)."""

    def __init__(self) -> None:
        self.events: list[dict[str, Any]] = []

    def add(self, kind: str, ms: float, details_key: str | None = None, **details: Any) -> History:
        event: dict[str, Any] = {"type": kind, "id": len(self.events) + 1, "timestamp": at(ms)}
        event["previousEventId"] = len(self.events)
        event[details_key or execution_logs.details_key(kind)] = details
        self.events.append(event)
        return self

    def task(self, state: str, entered: float, attempts: list[tuple[float, float, str | None]]) -> History:
        """A Task state: each attempt (scheduled, ended, error or None), then its exit at the last attempt's end."""
        self.add("TaskStateEntered", entered, name=state, input="{}")
        for scheduled, ended, error in attempts:
            self.add("TaskScheduled", scheduled, resourceType="lambda", resource="invoke", parameters="{}")
            self.add("TaskStarted", scheduled)
            if error:
                self.add("TaskFailed", ended, resourceType="lambda", error=error, cause=THROTTLED)
            else:
                self.add("TaskSucceeded", ended, resourceType="lambda", output="{}")
        return self.add("TaskStateExited", attempts[-1][1], name=state, output="{}")


def failed_standard_history() -> list[dict[str, Any]]:
    """ValidateOrder, then CreateOrder throttled three times (two retries), caught to the failure route."""
    history = History().add("ExecutionStarted", 10, input="{}", roleArn="arn:aws:iam::123456789012:role/sfn")
    history.task("ValidateOrder", 11, [(12, 30, None)])
    history.task("CreateOrder", 31, [(32, 50, "OrderStoreUnavailable"), (1050, 1070, "OrderStoreUnavailable")])
    history.add("TaskStateEntered", 1071, name="RecordFailure", input="{}")
    history.add("TaskScheduled", 1072, resourceType="dynamodb", resource="updateItem", parameters="{}")
    history.add("TaskSucceeded", 1090, resourceType="dynamodb", output="{}")
    history.add("TaskStateExited", 1091, name="RecordFailure", output="{}")
    history.add("TaskStateEntered", 1092, name="PublishFailure", input="{}")
    history.add("TaskScheduled", 1093, resourceType="sns", resource="publish", parameters="{}")
    history.add("TaskSucceeded", 1100, resourceType="sns", output="{}")
    history.add("TaskStateExited", 1101, name="PublishFailure", output="{}")
    history.add("FailStateEntered", 1102, details_key="stateEnteredEventDetails", name="OrderFailed", input="{}")
    history.add("ExecutionFailed", 1103, error="OrderFailed", cause="The order failed; an alert was published.")
    return history.events


def failed_order() -> dict[str, Any]:
    """As the orders table holds an order that failed before CreateOrder wrote it: its failure route's record."""
    return {
        "orderId": ORDER_ID,
        "status": "FAILED",
        "correlationId": "corr-1",
        "executionArn": STANDARD_ARN,
        "failure": {"state": "CreateOrder", "error": "OrderStoreUnavailable", "cause": THROTTLED},
        "history": [{"status": "PENDING", "at": iso(0)}, {"status": "FAILED", "at": iso(1071)}],
    }


def alert_items(order_id: str = ORDER_ID) -> list[dict[str, Any]]:
    """The alert log's items for one failure, delivered to the log and Slack (epoch seconds)."""
    fingerprint = f"order|{order_id}|CreateOrder|OrderStoreUnavailable|{STANDARD_ARN}"
    delivered = int(at(3000).timestamp())
    return [
        {
            "fingerprint": {"S": f"{target}|{fingerprint}"},
            "status": {"S": "DELIVERED"},
            "deliveredAt": {"N": str(delivered + offset)},
            "expiresAt": {"N": str(delivered + 86400)},
        }
        for target, offset in (("log", 0), ("slack", 1))
    ]


def standard_failed(shape: WorkflowShape) -> Timeline:
    return timeline(
        failed_order(),
        [RecordedExecution(ORDER_ID, STANDARD_ARN, tuple(failed_standard_history()))],
        logged_alerts(alert_items(), int(REQUESTED.timestamp())),
        workflow_type="STANDARD",
        shape=shape,
        **pricing(),
    )


def test_a_standard_history_shows_each_state_its_retries_and_the_catch(shape: WorkflowShape) -> None:
    trace = standard_failed(shape)
    steps = [(e.kind, e.step) for e in trace.entries]
    assert steps[:4] == [
        ("request", "POST /orders"),
        ("execution", "first run"),
        ("state", "ValidateOrder"),
        ("state", "CreateOrder"),
    ]
    entries = {(e.kind, e.step): e for e in trace.entries}
    create = entries[("state", "CreateOrder")]
    assert not create.ok
    assert create.duration == pytest.approx(1.039)
    assert "2 attempts" in create.detail
    assert "OrderStoreUnavailable" in create.detail
    # The retry: the first attempt's error, and the wait before the next (its backoff).
    (retry,) = [e for e in trace.entries if e.kind == "retry"]
    assert (retry.step, retry.at) == ("CreateOrder", at(50))
    assert retry.duration == pytest.approx(1.0)
    assert "attempt 1 failed: OrderStoreUnavailable: create order: DynamoDB answered Th" in retry.detail
    # The Catch taken, then the failure route; the Fail state and the execution end failed.
    assert entries[("catch", "CreateOrder")].detail == "OrderStoreUnavailable caught -> RecordFailure"
    assert entries[("state", "RecordFailure")].ok
    assert entries[("notify", "PublishFailure")].detail == "sns:publish alerts"
    assert not entries[("state", "OrderFailed")].ok
    end = [e for e in trace.entries if e.kind == "execution"][-1]
    assert (end.ok, end.detail) == (False, f"{ORDER_ID} FAILED (OrderFailed)")
    assert end.duration == pytest.approx(1.093)
    assert trace.latency == pytest.approx(1.071)  # request -> FAILED
    assert trace.queue_wait is None


def test_the_alert_and_each_targets_delivery_come_from_the_alert_log(shape: WorkflowShape) -> None:
    trace = standard_failed(shape)
    alert, *deliveries = [e for e in trace.entries if e.kind in ("alert", "delivery")]
    assert (alert.step, alert.at, alert.whole_seconds) == ("order alert", at(3000), True)
    assert "CreateOrder OrderStoreUnavailable" in alert.detail
    assert [(d.step, d.detail, d.ok, trace.offset(d)) for d in deliveries] == [
        ("log", "delivered", True, 3.0),
        ("slack", "delivered", True, 4.0),
    ]
    # Another order's alert is not this order's.
    other = logged_alerts(alert_items("ord_zzzzzzzzzzzzzzzzzzzzzzzzzz"), 0)
    assert not [
        e
        for e in timeline(failed_order(), [], other, workflow_type="STANDARD", shape=shape).entries
        if e.kind == "alert"
    ]


def test_the_human_output_marks_failures_and_holds_no_customer_data(shape: WorkflowShape) -> None:
    order = {**failed_order(), "email": "ada@example.com", "shippingAddress": {"line1": "1 Analytical Row"}}
    trace = timeline(
        order,
        [RecordedExecution(ORDER_ID, STANDARD_ARN, tuple(failed_standard_history()))],
        logged_alerts(alert_items(), 0),
        workflow_type="STANDARD",
        shape=shape,
        **pricing(),
    )
    text = trace.text()
    assert text.splitlines()[0] == f"order {ORDER_ID}  FAILED  (STANDARD)"
    assert f"requested {iso(0)}" in text
    failed = [line for line in text.splitlines() if line.startswith("!!")]
    assert any("CreateOrder" in line and "OrderStoreUnavailable" in line for line in failed)
    assert any("catch" in line for line in failed)
    assert "\033[" not in text
    assert "\033[31m" in trace.text(colour=True)
    document = json.dumps(trace.to_dict())
    for secret in ("ada@example.com", "Analytical", "stackTrace"):
        assert secret not in text
        assert secret not in document
    assert {e["kind"] for e in trace.to_dict()["entries"]} <= set(KINDS)


def test_the_cost_counts_retries_writes_and_deliveries_and_names_what_it_assumes(shape: WorkflowShape) -> None:
    cost = standard_failed(shape).cost
    assert cost is not None
    # 5 states entered, and a retry of CreateOrder
    assert cost.usage["transitions"] == 6
    assert cost.usage["invocations"] == {"StartWorkflow": 1, "ValidateOrder": 1, "CreateOrder": 2, "AlertHandler": 1}
    # the reservation, the failure route's write and its orders-by-time entry, a claim and a mark for each of the
    # two targets
    assert cost.usage["write_units"] == 7
    prices = Prices.load()
    assert cost.by_service["Step Functions"] == pytest.approx(6 * prices["stepfunctions.standard.transition"])
    assert cost.by_service["DynamoDB"] == pytest.approx(7 * prices["dynamodb.on_demand.write_unit"])
    assert cost.total == pytest.approx(sum(cost.by_service.values()))
    assert any("billed ms" in line and "CreateOrder 25" in line for line in cost.assumed)
    assert any("AlertHandler took it in a batch of its own" in line for line in cost.assumed)
    assert cost.to_dict()["perMillionSuchOrdersUsd"] == pytest.approx(round(cost.total * MILLION, 2))


def fulfilled_order(reruns: int = 0) -> dict[str, Any]:
    rerun = [{"status": "FAILED", "at": iso(60)}, {"status": "REDRIVING", "at": iso(5000)}] if reruns else []
    shift = 5000 if reruns else 0
    return {
        "orderId": ORDER_ID,
        "status": "FULFILLED",
        "correlationId": "corr-2",
        "email": "ada@example.com",
        "history": [
            {"status": "PENDING", "at": iso(0)},
            *rerun,
            {"status": "CREATED", "at": iso(shift + 40)},
            {"status": "QUEUED", "at": iso(shift + 60)},
            {"status": "PROCESSING", "at": iso(shift + 310)},
            {"status": "FULFILLED", "at": iso(shift + 312)},
        ],
    }


def express_records(arn: str = EXPRESS_ARN, shift: float = 0) -> list[dict[str, Any]]:
    """An Express execution's log records at level ALL, without execution data (as the stack logs them)."""
    kinds: list[tuple[str, float, dict[str, Any]]] = [("ExecutionStarted", 10, {})]
    ms = 11.0
    for state, resource in (
        ("ValidateOrder", "lambda"),
        ("CreateOrder", "lambda"),
        ("EnqueueOrder", "sqs"),
        ("NotifyOrder", "lambda"),
    ):
        kinds += [
            ("TaskStateEntered", ms, {"name": state}),
            ("TaskScheduled", ms + 1, {"resourceType": resource, "resource": "invoke"}),
            ("TaskSucceeded", ms + 10, {"resourceType": resource}),
            ("TaskStateExited", ms + 11, {"name": state}),
        ]
        ms += 12
    kinds.append(("ExecutionSucceeded", ms, {}))
    return [
        {
            "id": str(index + 1),
            "type": kind,
            "details": details,
            "previous_event_id": str(index),
            "event_timestamp": str(int((at(shift + when)).timestamp() * 1000)),
            "execution_arn": arn,
            "redrive_count": "0",
        }
        for index, (kind, when, details) in enumerate(kinds)
    ]


def test_an_express_execution_is_read_from_its_log_records(shape: WorkflowShape) -> None:
    events = tuple(execution_logs.events(express_records()))
    trace = timeline(
        fulfilled_order(),
        [RecordedExecution(ORDER_ID, EXPRESS_ARN, events)],
        [],
        workflow_type="EXPRESS",
        shape=shape,
        **pricing(),
    )
    states = [e.step for e in trace.entries if e.kind in ("state", "notify")]
    assert states == ["ValidateOrder", "CreateOrder", "EnqueueOrder", "NotifyOrder"]
    assert all(e.ok for e in trace.entries)
    # The queue wait: QUEUED (the message's SentTimestamp) to the worker's receive; then the worker's transitions.
    assert trace.queue_wait == pytest.approx(0.25)
    queue = next(e for e in trace.entries if e.kind == "queue")
    assert queue.duration == pytest.approx(0.25)
    assert [e.step for e in trace.entries if e.kind == "worker"] == ["PROCESSING", "FULFILLED"]
    assert trace.latency == pytest.approx(0.312)
    assert "total latency 0.312s (request -> FULFILLED)" in trace.text()
    # Express: a request and its duration, not transitions, are billed; the assumed duration is named.
    assert trace.cost is not None
    prices = Prices.load()
    assert trace.cost.by_service["Step Functions"] > prices["stepfunctions.express.request"]
    assert trace.cost.by_service["Step Functions"] < 10 * prices["stepfunctions.express.request"]
    assert any(line.startswith("Express duration") for line in trace.cost.assumed)
    assert trace.cost.usage["invocations"]["ProcessOrderWorker"] == 1


def test_an_express_execution_without_records_is_named_and_priced_as_the_happy_path(shape: WorkflowShape) -> None:
    missing = "no log records of it (at log level ERROR only failures are logged)"
    trace = timeline(
        fulfilled_order(),
        [RecordedExecution(ORDER_ID, "", missing=missing)],
        [],
        workflow_type="EXPRESS",
        shape=shape,
        **pricing(),
    )
    (gap,) = [e for e in trace.entries if e.kind == "missing"]
    assert gap.ok
    assert missing in gap.detail
    assert gap.at == REQUESTED
    assert trace.cost is not None
    assert trace.cost.usage["transitions"] == len(shape.happy_path)
    assert trace.cost.usage["invocations"]["CreateOrder"] == 1
    assert any("left no records" in line for line in trace.cost.assumed)


def test_a_rerun_is_a_second_execution_on_the_same_timeline(shape: WorkflowShape) -> None:
    first = tuple(execution_logs.events(express_records()))
    rerun_arn = EXPRESS_ARN.replace(f":{ORDER_ID}:", f":{ORDER_ID}-redrive-1:")
    second = tuple(execution_logs.events(express_records(rerun_arn, shift=5000)))
    trace = timeline(
        fulfilled_order(reruns=1),
        [
            RecordedExecution(ORDER_ID, EXPRESS_ARN, first),
            RecordedExecution(f"{ORDER_ID}-redrive-1", rerun_arn, second),
        ],
        [],
        workflow_type="EXPRESS",
        shape=shape,
        **pricing(),
    )
    assert trace.executions == (ORDER_ID, f"{ORDER_ID}-redrive-1")
    runs = [e for e in trace.entries if e.kind == "execution"]
    assert [e.step for e in runs] == ["first run", "first run", "rerun 1", "rerun 1"]
    (rerun,) = [e for e in trace.entries if e.kind == "rerun"]
    assert f"{ORDER_ID}-redrive-1" in rerun.detail
    assert trace.entries.index(rerun) < trace.entries.index(runs[2])
    assert trace.latency == pytest.approx(5.312)  # to the last terminal status
    assert trace.cost is not None
    assert trace.cost.usage["invocations"]["CreateOrder"] == 2


def test_express_records_at_level_error_name_the_failed_step_and_what_is_not_shown(shape: WorkflowShape) -> None:
    failure = {"orderId": ORDER_ID, "failure": {"state": "ValidateOrder", "error": {"Error": "OrderValidationError"}}}
    logged = [
        ("TaskFailed", 40, {"resourceType": "lambda", "error": "OrderValidationError", "cause": "currency: XQZ"}),
        ("FailStateEntered", 90, {"name": "OrderFailed", "input": json.dumps(failure)}),
        ("ExecutionFailed", 91, {"error": "OrderFailed", "cause": "The order failed; an alert was published."}),
    ]
    records = [
        {
            "id": str(index + 1),
            "type": kind,
            "details": details,
            "previous_event_id": "0",
            "event_timestamp": str(int(at(when).timestamp() * 1000)),
            "execution_arn": EXPRESS_ARN,
        }
        for index, (kind, when, details) in enumerate(logged)
    ]
    order = {**failed_order(), "failure": {"state": "ValidateOrder", "error": "OrderValidationError"}}
    events = tuple(execution_logs.events(records))
    trace = timeline(
        order, [RecordedExecution(ORDER_ID, EXPRESS_ARN, events)], [], workflow_type="EXPRESS", shape=shape, **pricing()
    )
    failed = next(e for e in trace.entries if e.kind == "state")
    assert (failed.step, failed.ok) == ("ValidateOrder", False)
    assert "currency: XQZ" in failed.detail
    assert any(e.kind == "missing" and "failures only" in e.detail for e in trace.entries)
    assert trace.cost is not None
    # ValidateOrder, then the failure route, each once
    assert trace.cost.usage["transitions"] == 1 + len(shape.failure_route)
    assert shape.failure_route == ("RecordFailure", "PublishFailure", "OrderFailed")
    assert any("logged its failures only" in line for line in trace.cost.assumed)
