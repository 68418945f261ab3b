"""What the meter and the history count for one order, against the same order counted by hand."""

from __future__ import annotations

import uuid

from handlers.adapters.http import ANONYMOUS
from handlers.domain.identifiers import scoped_idempotency_key
from tests.support.derived import happy_path, lambda_tasks
from tests.support.fixtures import Submit
from workflow.cost.model import transitions
from workflow.cost.run import log_bytes
from workflow.harness.meter import Meter
from workflow.local.runtime import LocalRuntime
from workflow.local.samples import sample_order
from workflow.ops.history import execution_history


def test_one_fulfilled_order_counted_by_hand(runtime: LocalRuntime, submit: Submit) -> None:
    meter = runtime.observer
    assert isinstance(meter, Meter)  # the fixture's runtimes are metered
    key = str(uuid.uuid4())
    order_id = submit(sample_order(), key=key)["json"]["orderId"]
    runtime.wait_for_order(order_id, ["FULFILLED"])
    # The worker can fulfil the order while the execution is still at NotifyOrder: read the history once it ended.
    runtime.wait_for_execution(runtime.execution_arn(order_id))
    events = execution_history(runtime.sfn, runtime.execution_arn(order_id))

    # Each state of the happy path (ValidateOrder, CreateOrder, EnqueueOrder, NotifyOrder, ...) entered, no retry.
    assert transitions(events) == len(happy_path())
    scheduled = [e for e in events if e.get("taskScheduledEventDetails", {}).get("resourceType") == "lambda"]
    assert len(scheduled) == len(lambda_tasks())  # ValidateOrder, CreateOrder, NotifyOrder, ...

    scoped = scoped_idempotency_key(ANONYMOUS, key)
    # Each item under 1 KB: the order is put, then fulfilled by the worker in one write (QUEUED, PROCESSING and
    # FULFILLED appended together), never read; the key's reservation, the POST's one record, is put once. Each of
    # the order's two writes also writes both indexes of the orders table: the put adds it to orders-by-time and to
    # open-orders, the fulfilment changes its status in the one and takes it out of the other.
    assert meter.units_by_item[(runtime.table_name("orders"), order_id)] == (0, 2 + 2 + 2)
    assert meter.units_by_item[(runtime.table_name("idempotency"), scoped)] == (0, 1)


def test_a_retry_is_a_billed_transition_and_logs_follow_the_level() -> None:
    entered = {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "T", "input": "{}"}}
    scheduled = {"type": "TaskScheduled", "taskScheduledEventDetails": {"parameters": "{}"}}
    failed = {"type": "TaskFailed", "taskFailedEventDetails": {"error": "E", "cause": "c"}}
    events = [entered, scheduled, failed, scheduled, {"type": "ExecutionFailed", "executionFailedEventDetails": {}}]
    assert transitions(events) == 2  # one state entered, one retry
    sizes = log_bytes(events, include_data=False)
    assert sizes["ALL"] > sizes["ERROR"] > sizes["FATAL"] > 0
    assert sizes["OFF"] == 0
