"""The core flow on both workflow types: a valid order FULFILLED, a validation failure FAILED with one alert, and a
replayed request. Express keeps AWS's contract locally: its executions are read from the state machine's log records
(at the stack's default level, ERROR: failures only), and the local AWS endpoint refuses to describe them."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.support.apievents import api_event
from tests.support.derived import happy_path
from tests.support.fixtures import Runtimes, Submit, alerts_settled, submitter
from workflow.local.receiver import LoopbackWebhook
from workflow.local.runtime import LocalRuntime
from workflow.local.samples import sample_order
from workflow.local.waiting import poll_until, quiesce
from workflow.ops import execution_logs
from workflow.ops.history import execution_history, recorded_failure


@pytest.fixture(scope="module", params=["STANDARD", "EXPRESS"])
def system(request: pytest.FixtureRequest, runtimes: Runtimes) -> LocalRuntime:
    return runtimes.get(request.param)


@pytest.fixture
def post(system: LocalRuntime) -> Submit:
    return submitter(system)


def events_of(system: LocalRuntime, execution_arn: str) -> list[dict[str, Any]]:
    """What the execution did: its history (Standard), or its log records (Express)."""
    if not system.express:
        return execution_history(system.sfn, execution_arn)
    now = datetime.now(UTC)
    records = execution_logs.records_of_execution(
        system.sfn, system.client("logs"), system.state_machine_arn, execution_arn, now - timedelta(hours=1), now
    )
    return execution_logs.events(records)


def entered(events: list[dict[str, Any]]) -> list[str]:
    return [e["stateEnteredEventDetails"]["name"] for e in events if "stateEnteredEventDetails" in e]


def get_order(system: LocalRuntime, order_id: str) -> tuple[int, dict[str, Any]]:
    response = system.invoke_api(api_event("GET", f"/orders/{order_id}"))
    return response["statusCode"], json.loads(response["body"])


def endpoint_client(system: LocalRuntime) -> Any:
    """Step Functions through the local AWS endpoint, as the CLI and a user's boto3 reach it."""
    return boto3.client(
        "stepfunctions",
        endpoint_url=system.aws_endpoint or system.serve_aws(port=0),
        region_name=system.config.region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def test_valid_order_is_fulfilled(system: LocalRuntime, post: Submit) -> None:
    correlation = f"corr-{uuid.uuid4()}"
    accepted = post(sample_order(), headers={"x-correlation-id": correlation})
    assert accepted["statusCode"] == 202
    body = accepted["json"]
    assert body["status"] == "PENDING"
    assert body["links"] == {"self": f"/orders/{body['orderId']}"}

    arn = system.execution_arn(body["orderId"])
    assert system.wait_for_execution(arn)["status"] == "SUCCEEDED"
    stored = system.wait_for_order(body["orderId"], ["FULFILLED"])
    assert stored["total"] == Decimal("25.99")
    assert stored["correlationId"] == correlation
    assert stored["executionArn"] == arn

    status, order = get_order(system, body["orderId"])
    assert status == 200
    assert order["status"] == "FULFILLED"
    assert [h["status"] for h in order["history"]] == ["PENDING", "CREATED", "QUEUED", "PROCESSING", "FULFILLED"]
    assert order["total"] == "25.99"
    assert order["items"][0]["unitPrice"] == "12.50"
    assert "idempotencyKey" not in order
    assert "requestHash" not in order

    if system.express:
        assert ":express:" in arn
        for call in ("describe_execution", "get_execution_history"):
            with pytest.raises(ClientError) as refused:
                getattr(endpoint_client(system), call)(executionArn=arn)
            assert refused.value.response["Error"]["Code"] == "InvalidArn"
        with pytest.raises(ClientError) as listing:
            endpoint_client(system).list_executions(stateMachineArn=system.state_machine_arn)
        assert listing.value.response["Error"]["Code"] == "StateMachineTypeNotSupported"
        # At ERROR a succeeded execution leaves no record, and reading it says what to enable.
        with pytest.raises(execution_logs.LogsUnavailable, match="log level ALL"):
            events_of(system, arn)
    else:
        assert entered(events_of(system, arn)) == happy_path()
        assert endpoint_client(system).describe_execution(executionArn=arn)["status"] == "SUCCEEDED"


def test_invalid_order_fails_with_one_alert(system: LocalRuntime, post: Submit, webhook: LoopbackWebhook) -> None:
    # Other tests' failures still on their way would share this alert's batch, and a storm is posted as a summary.
    quiesce(system, timeout=30)
    accepted = post(sample_order(currency="XYZ"))
    assert accepted["statusCode"] == 202  # well-formed; the business rule is the workflow's to check
    order_id = accepted["json"]["orderId"]
    arn = system.execution_arn(order_id)
    execution = system.wait_for_execution(arn)
    assert execution["status"] == "FAILED"
    assert execution["error"] == "OrderFailed"

    events = events_of(system, arn)
    recorded = recorded_failure(events)
    assert recorded is not None
    assert recorded[0] == "ValidateOrder"
    assert recorded[1]["Error"] == "OrderValidationError"
    if system.express:
        assert entered(events) == ["OrderFailed"]  # ERROR logs the failure, not the states on the way
    else:
        assert entered(events) == [
            "ValidateOrder",
            "RecordFailure",  # straight from its Catch, which writes the failure document
            "PublishFailure",
            "OrderFailed",
        ]

    (alert,) = poll_until(lambda: webhook.for_order(order_id), what="the Slack alert")
    alerts_settled(system)
    assert len(webhook.for_order(order_id)) == 1
    assert alert["blocks"][0]["text"]["text"] == "Order failed at ValidateOrder"
    assert "XYZ is not an ISO 4217 currency code" in alert["blocks"][2]["text"]["text"]
    assert alert["blocks"][3]["elements"][0]["url"].endswith(arn)

    status, order = get_order(system, order_id)
    assert status == 200
    assert order["status"] == "FAILED"
    assert order["failure"] == {
        "state": "ValidateOrder",
        "error": "OrderValidationError",
        "cause": "currency: XYZ is not an ISO 4217 currency code",
    }
    assert [h["status"] for h in order["history"]] == ["PENDING", "FAILED"]
    # FAILED is stamped with the state's EnteredTime, in AWS's form like every other timestamp of the order.
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", h["at"]) for h in order["history"]), order
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", order["updatedAt"])


def test_same_key_twice_is_one_order(system: LocalRuntime, post: Submit) -> None:
    key = f"key-{uuid.uuid4()}"
    first = post(sample_order(), key=key)
    order_id = first["json"]["orderId"]
    system.wait_for_execution(system.execution_arn(order_id))
    second = post(sample_order(), key=key)
    assert second["statusCode"] == 202
    assert second["json"] == first["json"]
    assert second["headers"]["idempotent-replayed"] == "true"
    assert len(system.execution_arns(order_id)) == 1
    system.wait_for_order(order_id, ["FULFILLED"])

    different = post(sample_order(currency="USD"), key=key)
    assert different["statusCode"] == 422
    assert "different request body" in different["json"]["detail"]
