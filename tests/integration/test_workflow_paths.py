"""Whole paths of the order workflow with mocked integrations (workflow.testing.run_case, Step Functions Local's
mock format, in virtual time): what the retry rules and the failure route do over several states, which one
TestState call cannot show. Both workflow types; every Task mocked, so nothing here touches the local system's
queue, table or topic."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.derived import execution_input, happy_path
from workflow.testing import Run, local_stepfunctions, order_workflow, run_case

ORDER_ID = "ord_01JPATHS000000000000000000"
INPUT = execution_input(ORDER_ID, "2026-12-06T12:00:00Z")
LAMBDA_OK = {"0": {"Return": {"StatusCode": 200, "ExecutedVersion": "$LATEST", "Payload": {"ok": True}}}}
QUEUED = {"0": {"Return": {"MessageId": "m-1", "MD5OfMessageBody": "0" * 32}}}
PUBLISHED = {"0": {"Return": {"MessageId": "m-2"}}}
TYPES = ("STANDARD", "EXPRESS")


@pytest.fixture(scope="module", autouse=True)
def _local() -> Iterator[None]:
    with local_stepfunctions():
        yield


def _throws(error: str, times: int) -> dict[str, Any]:
    return {f"0-{times - 1}": {"Throw": {"Error": error, "Cause": f"{error}: mocked"}}}


def _retry_rule(definition: dict[str, Any], state: str, error: str) -> dict[str, Any]:
    rule: dict[str, Any] = next(r for r in definition["States"][state]["Retry"] if error in r["ErrorEquals"])
    return rule


def _task_events(run: Run, kind: str) -> list[dict[str, Any]]:
    return [dict(event) for event in run.events if event["type"] == kind]


@pytest.mark.parametrize("workflow_type", TYPES)
def test_create_order_throws_twice_then_succeeds(workflow_type: str) -> None:
    definition = order_workflow(workflow_type)
    mocks = {
        "ValidateOrder": LAMBDA_OK,
        "CreateOrder": {**_throws("OrderStoreUnavailable", 2), "2": LAMBDA_OK["0"]},
        "EnqueueOrder": QUEUED,
        "NotifyOrder": LAMBDA_OK,
    }
    run = run_case(definition, "CreateOrderFlaky", mocks=mocks, input=INPUT, workflow_type=workflow_type)
    assert run.status == "SUCCEEDED"
    assert list(run.path) == list(happy_path(definition))
    assert [e["taskFailedEventDetails"]["error"] for e in _task_events(run, "TaskFailed")] == [
        "OrderStoreUnavailable"
    ] * 2
    # Each retry waits what the rule allows (full jitter: between 0 and IntervalSeconds x BackoffRate^n).
    rule = _retry_rule(definition, "CreateOrder", "OrderStoreUnavailable")
    events = list(run.events)
    waits = [
        (next(e for e in events[i:] if e["type"] == "TaskScheduled")["timestamp"] - failed["timestamp"]).total_seconds()
        for i, failed in enumerate(events)
        if failed["type"] == "TaskFailed"
    ]
    for attempt, waited in enumerate(waits):
        bound = min(rule["IntervalSeconds"] * rule["BackoffRate"] ** attempt, rule.get("MaxDelaySeconds", 1e9))
        assert 0 <= waited <= bound + 0.5
    # The order went on with the input it came with: the queued message names it.
    enqueue = next(
        e for e in _task_events(run, "TaskScheduled") if e["taskScheduledEventDetails"]["resource"] == "sendMessage"
    )
    sent = json.loads(enqueue["taskScheduledEventDetails"]["parameters"])
    assert sent["MessageBody"]["orderId"] == ORDER_ID


@pytest.mark.parametrize("workflow_type", TYPES)
def test_notify_order_fails_after_the_order_is_queued(workflow_type: str) -> None:
    definition = order_workflow(workflow_type)
    rule = _retry_rule(definition, "NotifyOrder", "NotificationUnavailable")
    attempts = rule["MaxAttempts"] + 1
    mocks = {
        "ValidateOrder": LAMBDA_OK,
        "CreateOrder": LAMBDA_OK,
        "EnqueueOrder": QUEUED,
        "NotifyOrder": _throws("NotificationUnavailable", attempts),
        "PublishFailure": PUBLISHED,
    }
    run = run_case(definition, "NotifyDown", mocks=mocks, input=INPUT, workflow_type=workflow_type)
    # Queued first, then NotifyOrder retried until its rule ran out, then the failure route: the alert published,
    # and the execution fails as OrderFailed says.
    path = run.path
    assert path[: path.index("NotifyOrder")] == ("ValidateOrder", "CreateOrder", "EnqueueOrder")
    assert path[path.index("NotifyOrder") :] == ("NotifyOrder", "PublishFailure", "OrderFailed")
    assert len(_task_events(run, "TaskFailed")) == attempts
    published = next(
        e for e in _task_events(run, "TaskScheduled") if e["taskScheduledEventDetails"]["resource"] == "publish"
    )
    message = json.loads(published["taskScheduledEventDetails"]["parameters"])["Message"]
    assert (message["orderId"], message["failedState"]) == (ORDER_ID, "NotifyOrder")
    assert message["error"] == "NotificationUnavailable"
    assert run.status == "FAILED"
    assert (run.error, definition["States"]["OrderFailed"]["Error"]) == ("OrderFailed", "OrderFailed")
