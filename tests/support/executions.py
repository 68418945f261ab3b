"""Running a state machine on the local AWS endpoint as a user would, with plain boto3: create it, start one
execution, poll DescribeExecution until it ends (shared by tests/integration/test_recorded_behaviour.py and
tests/integration/test_recorded_corpus.py)."""

from __future__ import annotations

import json
import time
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

ROLE = "arn:aws:iam::123456789012:role/recorded"


def execute(
    sfn: SFNClient, machines: list[str], definition: dict[str, Any], given: Any = None, role: str = ROLE
) -> tuple[str, dict[str, Any]]:
    """(execution ARN, DescribeExecution's answer once it ended): every call must answer, never a 5xx. The state
    machine's ARN is appended to `machines` (the caller deletes them)."""
    arn = sfn.create_state_machine(
        name=f"recorded-{uuid.uuid4().hex[:12]}", definition=json.dumps(definition), roleArn=role
    )["stateMachineArn"]
    machines.append(arn)
    execution = sfn.start_execution(stateMachineArn=arn, name=f"run-{uuid.uuid4().hex[:8]}", input=json.dumps(given))[
        "executionArn"
    ]
    deadline, delay = time.monotonic() + 20, 0.005
    while time.monotonic() < deadline:
        described = dict(sfn.describe_execution(executionArn=execution))
        if described["status"] != "RUNNING":
            return execution, described
        time.sleep(delay)
        delay = min(delay * 1.5, 0.1)
    raise AssertionError(f"{execution} still running after 20 s")


def history(sfn: SFNClient, execution: str, **arguments: Any) -> list[dict[str, Any]]:
    """Every event of an execution's history, page after page, as GetExecutionHistory gives them."""
    events: list[dict[str, Any]] = []
    token = None
    for _ in range(1000):
        more: dict[str, Any] = {"nextToken": token} if token else {}
        page = sfn.get_execution_history(executionArn=execution, **arguments, **more)
        events.extend(dict(event) for event in page["events"])
        token = page.get("nextToken")
        if not token:
            return events
    raise AssertionError("GetExecutionHistory never stopped giving a nextToken")
