"""A Step Functions Local test suite, as a team would have written it for `amazon/aws-stepfunctions-local` with a
mock configuration file (https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-test-sm-exec.html): it
creates the state machines on the endpoint, starts `<stateMachineArn>#<TestCase>` and reads the history back.

It runs unchanged against `orderflow up`:

    SFN_MOCK_CONFIG=examples/sfn-local-mocks/MockConfigFile.json orderflow up        # or --mock-config FILE
    SFN_ENDPOINT=http://127.0.0.1:4566 pytest examples/sfn-local-mocks

`SFN_ENDPOINT` defaults to Step Functions Local's own port (8083); `SQS_ENDPOINT`, where HybridPath's real SQS call
goes, defaults to the same endpoint (orderflow serves every AWS API on one).
"""

from __future__ import annotations

import datetime
import json
import os
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

HERE = Path(__file__).parent
ENDPOINT = os.environ.get("SFN_ENDPOINT", "http://localhost:8083")
SQS_ENDPOINT = os.environ.get("SQS_ENDPOINT", ENDPOINT)
REGION = "us-east-1"
ROLE = "arn:aws:iam::123456789012:role/service-role/StepFunctionsLocal"
SETTINGS: dict[str, Any] = {
    "region_name": REGION,
    "aws_access_key_id": "local",
    "aws_secret_access_key": "local",  # a local endpoint takes any credentials
}


@pytest.fixture(scope="module")
def sfn() -> Any:
    return boto3.client("stepfunctions", endpoint_url=ENDPOINT, **SETTINGS)


@pytest.fixture(scope="module")
def queue_url() -> str:
    sqs = boto3.client("sqs", endpoint_url=SQS_ENDPOINT, **SETTINGS)
    return str(sqs.create_queue(QueueName=f"greetings-{uuid.uuid4().hex[:8]}")["QueueUrl"])


def _machine(sfn: Any, name: str, substitutions: dict[str, str]) -> str:
    """The state machine of that name (the name the mock file lists it under), created from its .asl.json."""
    definition = (HERE / f"{name}.asl.json").read_text(encoding="utf-8")
    for key, value in substitutions.items():
        definition = definition.replace("${" + key + "}", value)
    for page in sfn.get_paginator("list_state_machines").paginate():
        for machine in page["stateMachines"]:
            if machine["name"] == name:
                sfn.update_state_machine(stateMachineArn=machine["stateMachineArn"], definition=definition)
                return str(machine["stateMachineArn"])
    return str(sfn.create_state_machine(name=name, definition=definition, roleArn=ROLE)["stateMachineArn"])


@pytest.fixture(scope="module")
def greeting_machine(sfn: Any, queue_url: str) -> str:
    return _machine(sfn, "LambdaSQSIntegration", {"QueueUrl": queue_url})


@pytest.fixture(scope="module")
def payment_machine(sfn: Any) -> str:
    return _machine(sfn, "PaymentReminder", {})


def run(sfn: Any, machine_arn: str, case: str, given: dict[str, Any] | None = None) -> tuple[dict[str, Any], list[Any]]:
    """Starts the test case and waits (at most 30 s) for the execution's end: its description and its history."""
    started = sfn.start_execution(
        stateMachineArn=f"{machine_arn}#{case}", name=f"{case}-{uuid.uuid4().hex[:8]}", input=json.dumps(given or {})
    )
    deadline = time.monotonic() + 30
    while (described := sfn.describe_execution(executionArn=started["executionArn"]))["status"] == "RUNNING":
        assert time.monotonic() < deadline, f"{case} still runs after 30 s"
        time.sleep(0.05)
    events: list[Any] = []
    for page in sfn.get_paginator("get_execution_history").paginate(executionArn=started["executionArn"]):
        events.extend(page["events"])
    return dict(described), events


def of_type(events: list[Any], kind: str) -> Iterator[Any]:
    return (event for event in events if event["type"] == kind)


def test_happy_path_uses_both_mocks(sfn: Any, greeting_machine: str) -> None:
    described, events = run(sfn, greeting_machine, "HappyPath")
    assert described["status"] == "SUCCEEDED"
    assert json.loads(described["output"])["MessageId"] == "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"
    scheduled = [e["taskScheduledEventDetails"]["resourceType"] for e in of_type(events, "TaskScheduled")]
    assert scheduled == ["lambda", "sqs"]
    sqs_input = next(
        e for e in of_type(events, "TaskStateEntered") if e["stateEnteredEventDetails"]["name"] == "SQSState"
    )
    assert json.loads(sqs_input["stateEnteredEventDetails"]["input"]) == {"greeting": "Hello from Lambda!"}


def test_retry_path_fails_three_times_then_succeeds(sfn: Any, greeting_machine: str) -> None:
    described, events = run(sfn, greeting_machine, "RetryPath")
    assert described["status"] == "SUCCEEDED"
    failures = [e["taskFailedEventDetails"]["error"] for e in of_type(events, "TaskFailed")]
    assert failures == ["Lambda.ResourceNotReadyException", "Lambda.TimeoutException", "Lambda.TimeoutException"]
    # The history shows the backoff AWS would wait (2, 4, 8 s) between a failure and the next attempt.
    times = [e["timestamp"] for e in events if e["type"] in ("TaskFailed", "TaskScheduled")]
    gaps = [round((times[i + 1] - times[i]).total_seconds()) for i in range(1, len(times) - 1, 2)]
    assert gaps == [2, 4, 8]


def test_hybrid_path_sends_a_real_message(sfn: Any, greeting_machine: str, queue_url: str) -> None:
    described, _ = run(sfn, greeting_machine, "HybridPath")
    assert described["status"] == "SUCCEEDED"
    sqs = boto3.client("sqs", endpoint_url=SQS_ENDPOINT, **SETTINGS)
    received = sqs.receive_message(QueueUrl=queue_url, WaitTimeSeconds=1)["Messages"]
    assert [m["Body"] for m in received] == ["Hello from Lambda!"]  # a string body is sent as it is


def test_a_day_and_six_retries_pass_in_the_history_only(sfn: Any, payment_machine: str) -> None:
    described, events = run(sfn, payment_machine, "PaidAfterRetries", {"invoice": "inv-7", "amount": "12.50"})
    assert described["status"] == "SUCCEEDED"
    output = json.loads(described["output"])
    assert (output["receipt"], output["reminder"]) == ("rcpt-0001", "5a6b1c2d-0000-4000-8000-000000000001")
    assert len(list(of_type(events, "TaskFailed"))) == 6
    waited = described["stopDate"] - described["startDate"]
    assert waited >= datetime.timedelta(days=1)


def test_a_declined_charge_is_caught(sfn: Any, payment_machine: str) -> None:
    described, events = run(sfn, payment_machine, "Declined", {"invoice": "inv-8", "amount": "99.00"})
    assert (described["status"], described["error"], described["cause"]) == (
        "FAILED",
        "PaymentDeclined",
        "insufficient funds",
    )
    assert not list(of_type(events, "WaitStateEntered"))
