"""The whole pipeline on the local runtime (Standard), with the real handlers: each error path. The core flow on both
workflow types is in test_core_flow.py."""

from __future__ import annotations

import json
import uuid
from typing import Any

import requests

from tests.support.apievents import api_event
from tests.support.derived import happy_path
from tests.support.fixtures import Submit
from workflow.local.receiver import LoopbackWebhook
from workflow.local.runtime import LocalRuntime
from workflow.local.samples import sample_order
from workflow.local.waiting import poll_until
from workflow.ops.history import execution_history


def history_states(runtime: LocalRuntime, execution_arn: str) -> list[str]:
    events = execution_history(runtime.sfn, execution_arn)
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


def get_order(runtime: LocalRuntime, order_id: str) -> tuple[int, dict[str, Any]]:
    response = runtime.invoke_api(api_event("GET", f"/orders/{order_id}"))
    return response["statusCode"], json.loads(response["body"])


def test_transient_store_error_is_retried_then_succeeds(runtime: LocalRuntime, submit: Submit) -> None:
    runtime.dynamodb_faults.throttle("PutItem", times=2, table=runtime.table_name("orders"))
    accepted = submit(sample_order())
    execution = runtime.wait_for_execution(runtime.execution_arn(accepted["json"]["orderId"]))
    assert execution["status"] == "SUCCEEDED"
    events = execution_history(runtime.sfn, runtime.execution_arn(accepted["json"]["orderId"]))
    failures = [e["taskFailedEventDetails"]["error"] for e in events if e["type"] == "TaskFailed"]
    assert failures == ["OrderStoreUnavailable", "OrderStoreUnavailable"]
    scheduled = [e for e in events if e["type"] == "TaskScheduled" and "CreateOrder" in str(e)]
    assert len(scheduled) == 3
    runtime.wait_for_order(accepted["json"]["orderId"], ["FULFILLED"])


def test_poison_message_lands_in_the_dlq(runtime: LocalRuntime) -> None:
    marker = f"poison-{uuid.uuid4()}"
    runtime.sqs.send_message(QueueUrl=runtime.queue_urls["orders"], MessageBody=json.dumps({"garbage": marker}))
    max_receives = runtime.manifest.queue("orders").max_receive_count

    def in_dlq() -> list[Any]:
        received = runtime.sqs.receive_message(
            QueueUrl=runtime.queue_urls["orders-dlq"],
            MaxNumberOfMessages=10,
            VisibilityTimeout=0,
            AttributeNames=["All"],
        )
        return [m for m in received.get("Messages", []) if marker in m["Body"]]

    (parked,) = poll_until(in_dlq, timeout=30, what="the poison message in the DLQ")
    assert int(parked["Attributes"]["ApproximateReceiveCount"]) >= max_receives
    runtime.sqs.delete_message(QueueUrl=runtime.queue_urls["orders-dlq"], ReceiptHandle=parked["ReceiptHandle"])


def test_local_http_api_serves_the_flow(runtime: LocalRuntime) -> None:
    api = runtime.serve_api(port=0)
    try:
        response = requests.post(
            f"{api.url}/orders",
            json=sample_order(),
            headers={"Idempotency-Key": str(uuid.uuid4())},
            timeout=10,
        )
        assert response.status_code == 202, response.text
        order_id = response.json()["orderId"]
        runtime.wait_for_order(order_id, ["FULFILLED"])
        fetched = requests.get(f"{api.url}{response.headers['location']}", timeout=10)
        assert fetched.status_code == 200
        assert fetched.json()["status"] == "FULFILLED"
        missing = requests.get(f"{api.url}/nowhere", timeout=10)
        assert missing.status_code == 404
    finally:
        api.stop()


def test_a_second_execution_of_the_same_order_leaves_it_to_its_owner(
    runtime: LocalRuntime, submit: Submit, webhook: LoopbackWebhook
) -> None:
    """Express is at-least-once and a duplicate start is possible: a second run must not fail or redo the order."""
    accepted = submit(sample_order())["json"]
    runtime.wait_for_order(accepted["orderId"], ["FULFILLED"])
    first = runtime.sfn.describe_execution(executionArn=runtime.execution_arn(accepted["orderId"]))
    duplicate = runtime.sfn.start_execution(
        stateMachineArn=runtime.state_machine_arn, name=f"{accepted['orderId']}-again", input=first["input"]
    )
    assert runtime.wait_for_execution(duplicate["executionArn"])["status"] == "SUCCEEDED"
    path = happy_path()  # up to CreateOrder, whose Catch finds the order another execution owns
    assert history_states(runtime, duplicate["executionArn"]) == [
        *path[: path.index("CreateOrder") + 1],
        "HandledElsewhere",
    ]
    order = runtime.order(accepted["orderId"])
    assert order is not None
    assert order["status"] == "FULFILLED"
    assert [h["status"] for h in order["history"]] == ["PENDING", "CREATED", "QUEUED", "PROCESSING", "FULFILLED"]
    assert webhook.for_order(accepted["orderId"]) == []


def test_a_throttled_native_dynamodb_step_is_retried(
    runtime: LocalRuntime, submit: Submit, webhook: LoopbackWebhook
) -> None:
    """RecordFailure is Step Functions' own DynamoDB integration: its throttling is retried by the workflow."""
    runtime.dynamodb_faults.throttle("UpdateItem", times=1, table=runtime.table_name("orders"))
    order_id = submit(sample_order(currency="XYZ"))["json"]["orderId"]
    assert runtime.wait_for_execution(runtime.execution_arn(order_id))["status"] == "FAILED"
    events = execution_history(runtime.sfn, runtime.execution_arn(order_id))
    failures = [e["taskFailedEventDetails"]["error"] for e in events if e["type"] == "TaskFailed"]
    assert failures == ["OrderValidationError", "DynamoDB.ProvisionedThroughputExceededException"]
    assert runtime.wait_for_order(order_id, ["FAILED"])["failure"]["state"] == "ValidateOrder"
    poll_until(lambda: webhook.for_order(order_id), what="the Slack alert")
