"""What the meter and the history count for one order, against the same order counted by hand."""

from __future__ import annotations

from tests.support.fixtures import Submit
from workflow.cost.run import log_bytes, transitions
from workflow.local.runtime import LocalRuntime
from workflow.local.samples import sample_order
from workflow.ops.history import execution_history


def test_one_fulfilled_order_counted_by_hand(runtime: LocalRuntime, submit: Submit) -> None:
    runtime.wait_for_order(submit(sample_order())["json"]["orderId"], ["FULFILLED"])  # earlier orders settle
    meter = runtime.meter
    tables = {name: runtime.table_name(name) for name in ("orders", "requests", "idempotency")}
    before = (
        dict(meter.invocations),
        {t: meter.write_units_by_table.get(t, 0.0) for t in tables.values()},
        meter.read_units_by_table.get(tables["orders"], 0.0),
        meter.sns_publishes,
        meter.http_requests,
    )
    order_id = submit(sample_order())["json"]["orderId"]
    runtime.wait_for_order(order_id, ["FULFILLED"])
    events = execution_history(runtime.sfn, runtime.execution_arn(order_id))

    # ValidateOrder, CreateOrder, OwnsOrder, MarkQueued, EnqueueOrder, NotifyOrder, Done: 7 entered, no retry.
    assert transitions(events) == 7
    invoked = {name: meter.invocations[name] - before[0].get(name, 0) for name in meter.invocations}
    assert {k: v for k, v in invoked.items() if v} == {
        "StartWorkflow": 1,
        "ValidateOrder": 1,
        "CreateOrder": 1,
        "NotifyOrder": 1,
        "ProcessOrderWorker": 1,  # one batch, this order alone
    }
    # Writes, each item under 1 KB: Powertools' request record (put, then completed), the key reservation, the order
    # (put), MarkQueued, PROCESSING, FULFILLED. (By table: other tests' alerts may still be delivered meanwhile.)
    written = {name: meter.write_units_by_table[table] - before[1][table] for name, table in tables.items()}
    assert written == {"requests": 2, "idempotency": 1, "orders": 4}
    assert meter.read_units_by_table[tables["orders"]] - before[2] == 1  # the worker's consistent GetItem (< 4 KB)
    assert meter.sns_publishes - before[3] == 1  # NotifyOrder's order-accepted event
    assert meter.http_requests - before[4] == 1  # its POST


def test_a_retry_is_a_billed_transition_and_logs_follow_the_level() -> None:
    entered = {"type": "TaskStateEntered", "stateEnteredEventDetails": {"name": "T", "input": "{}"}}
    scheduled = {"type": "TaskScheduled", "taskScheduledEventDetails": {"parameters": "{}"}}
    failed = {"type": "TaskFailed", "taskFailedEventDetails": {"error": "E", "cause": "c"}}
    events = [entered, scheduled, failed, scheduled, {"type": "ExecutionFailed", "executionFailedEventDetails": {}}]
    assert transitions(events) == 2  # one state entered, one retry
    sizes = log_bytes(events, include_data=False)
    assert sizes["ALL"] > sizes["ERROR"] > sizes["FATAL"] > 0
    assert sizes["OFF"] == 0
