"""StartWorkflow when DynamoDB or Step Functions stalls past its clients' timeouts: 503 with Retry-After and a problem
body (never API Gateway's bare 5xx), and the Idempotency-Key stays retryable - one order in the end.

The real handler runs against the local runtime's served AWS endpoint, so its SDK timeouts are real socket timeouts
(in-process mock calls never time out), with short timeouts injected so that a stall takes a fraction of a second.
The stalled call still takes effect when the stall ends, as a call the client gave up on may on AWS."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import pytest

from handlers import env, wiring
from handlers.adapters.http import ANONYMOUS
from handlers.domain.identifiers import new_order_id, scoped_idempotency_key
from tests.integration.test_openapi_contract import GET, POST, conforms
from tests.support.apievents import api_event
from tests.support.fixtures import Submit
from workflow.local.runtime import LocalRuntime
from workflow.local.samples import sample_order
from workflow.local.waiting import poll_until

# Short enough to provoke a timeout quickly, long enough that an unstalled call on a loaded 2-core machine (the whole
# suite on two workers) answers within it: at 0.2 s a retry's DescribeExecution timed out under load.
SHORT = wiring.ApiTimeouts(connect=0.6, read=0.6)
STALL = 1.2  # longer than SHORT's read timeout


@dataclass
class Invocation:
    """A Lambda context whose deadline is `deadline` (time.monotonic()): shorter than StartWorkflow's timeout."""

    deadline: float

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


@pytest.fixture
def start_workflow(runtime: LocalRuntime, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """StartWorkflow's module, its API's clients on the served endpoint with SHORT timeouts, on a Standard system."""
    endpoint = runtime.aws_endpoint or runtime.serve_aws(port=0)
    from handlers import start_workflow

    monkeypatch.setenv(env.STATE_MACHINE_TYPE, "STANDARD")
    with monkeypatch.context() as building:
        building.setenv("AWS_ENDPOINT_URL", endpoint)  # only the API's clients, made now
        monkeypatch.setattr(start_workflow, "api", wiring.orders_api(SHORT))
    return start_workflow


def reservation(runtime: LocalRuntime, key: str) -> dict[str, Any] | None:
    found = runtime.dynamodb.get_item(
        TableName=runtime.table_name("idempotency"),
        Key={"idempotencyKey": {"S": scoped_idempotency_key(ANONYMOUS, key)}},
        ConsistentRead=True,
    )
    return found.get("Item")


def executions_named(runtime: LocalRuntime, name: str) -> int:
    listed = runtime.sfn.list_executions(stateMachineArn=runtime.state_machine_arn, maxResults=1000)["executions"]
    return sum(1 for e in listed if e["name"] == name)


def unavailable(response: dict[str, Any], operation: dict[str, Any]) -> None:
    assert response["statusCode"] == 503
    assert response["headers"]["retry-after"] == "1"
    assert json.loads(response["body"])["status"] == 503
    conforms(operation, response)


def test_a_start_execution_that_stalls_is_503_and_the_retry_is_replayed(
    runtime: LocalRuntime, start_workflow: ModuleType, submit: Submit
) -> None:
    key, order = str(uuid.uuid4()), sample_order()
    runtime.sfn_faults.delay("StartExecution", STALL, times=1)
    unavailable(runtime.invoke_api(api_event("POST", "/orders", order, {"idempotency-key": key})), POST)
    reserved = reservation(runtime, key)
    assert reserved is not None
    order_id = reserved["orderId"]["S"]
    assert "inFlightUntil" not in reserved  # released: Standard starts one execution per name, whatever a retry does
    # The start the client gave up on took effect when the stall ended.
    poll_until(lambda: executions_named(runtime, order_id) == 1, timeout=5, what=f"execution {order_id}")
    retried = submit(order, key)
    assert retried["statusCode"] == 202
    assert retried["headers"].get("idempotent-replayed") == "true"
    assert retried["json"]["orderId"] == order_id
    assert executions_named(runtime, order_id) == 1


def test_a_reservation_that_stalls_is_503_and_holds_the_key_only_until_the_deadline(
    runtime: LocalRuntime, start_workflow: ModuleType, submit: Submit
) -> None:
    key, order = str(uuid.uuid4()), sample_order()
    runtime.dynamodb_faults.delay("PutItem", STALL, times=1, table=runtime.table_name("idempotency"))
    deadline = time.monotonic() + 3 * STALL
    event = api_event("POST", "/orders", order, {"idempotency-key": key})
    unavailable(start_workflow.handler(event, Invocation(deadline)), POST)
    # The reservation the client gave up on landed when the stall ended: in flight until that invocation's deadline.
    reserved = poll_until(lambda: reservation(runtime, key), timeout=5, what="the stalled reservation")
    assert submit(order, key)["statusCode"] == 409
    time.sleep(max(0.0, deadline - time.monotonic()))
    retried = submit(order, key)
    assert retried["statusCode"] == 202
    assert "idempotent-replayed" not in retried["headers"]  # this request started the order
    assert retried["json"]["orderId"] == reserved["orderId"]["S"]
    assert executions_named(runtime, reserved["orderId"]["S"]) == 1


def test_a_describe_execution_that_stalls_is_503_on_get(runtime: LocalRuntime, start_workflow: ModuleType) -> None:
    order_id = new_order_id()
    runtime.sfn_faults.delay("DescribeExecution", STALL, times=1, name=order_id)
    unavailable(runtime.invoke_api(api_event("GET", f"/orders/{order_id}")), GET)


def test_no_call_starts_without_the_time_to_end_and_answer(runtime: LocalRuntime, start_workflow: ModuleType) -> None:
    key = str(uuid.uuid4())
    event = api_event("POST", "/orders", sample_order(), {"idempotency-key": key})
    unavailable(start_workflow.handler(event, Invocation(time.monotonic() + 0.5)), POST)
    assert reservation(runtime, key) is None
