"""StartWorkflow on DescribeExecution as AWS serves it, on the local runtime with the real handler: eventually
consistent (a miss right after ExecutionAlreadyExists is normal there, never in moto), and refusing some ARNs
(InvalidArn). Neither is a 500: a POST answers 409 with Retry-After and is replayed once the execution is visible;
a GET answers 404 until then."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest

from handlers.adapters.http import ANONYMOUS
from handlers.domain.identifiers import scoped_idempotency_key
from tests.integration.test_openapi_contract import GET, POST, conforms
from tests.support.apievents import api_event
from tests.support.fixtures import Submit
from workflow.local.runtime import LocalRuntime
from workflow.local.samples import sample_order

# CreateOrder's put waits this long, so the order is not written while the test asks about it: only its execution
# can tell that the order has started. (At 0.5 s, a loaded machine, the whole suite on two workers, wrote it first.)
ORDER_WRITE_DELAY = 2.0


def executions_named(runtime: LocalRuntime, name: str) -> int:
    listed = runtime.sfn.list_executions(stateMachineArn=runtime.state_machine_arn, maxResults=1000)["executions"]
    return sum(1 for e in listed if e["name"] == name)


def first_request_died(runtime: LocalRuntime, key: str) -> None:
    """The key's first request is past its deadline (it died after StartExecution): a retry starts the order again
    under its name, which Standard answers with ExecutionAlreadyExists."""
    runtime.dynamodb.update_item(
        TableName=runtime.table_name("idempotency"),
        Key={"idempotencyKey": {"S": scoped_idempotency_key(ANONYMOUS, key)}},
        UpdateExpression="SET inFlightUntil = :past",
        ExpressionAttributeValues={":past": {"N": str(int(time.time() * 1000) - 1000)}},
    )


def started_unwritten(runtime: LocalRuntime, submit: Submit, key: str, order: dict[str, Any]) -> str:
    runtime.dynamodb_faults.delay("PutItem", ORDER_WRITE_DELAY, times=1, table=runtime.table_name("orders"))
    first = submit(order, key)
    assert first["statusCode"] == 202
    order_id: str = first["json"]["orderId"]
    return order_id


@pytest.mark.parametrize("miss", ["ExecutionDoesNotExist", "InvalidArn"])
def test_a_describe_miss_after_execution_already_exists_is_409_then_the_retry_is_replayed(
    runtime: LocalRuntime, submit: Submit, miss: str
) -> None:
    key, order = str(uuid.uuid4()), sample_order()
    order_id = started_unwritten(runtime, submit, key, order)
    first_request_died(runtime, key)
    # Not seen before the retry's StartExecution, nor after its ExecutionAlreadyExists.
    runtime.sfn_faults.fail("DescribeExecution", miss, times=2, name=order_id)
    retried = submit(order, key)
    assert retried["statusCode"] == 409
    assert retried["headers"]["retry-after"] == "1"
    assert retried["json"]["status"] == 409
    assert "not visible yet" in retried["json"]["detail"]
    conforms(POST, retried)
    assert runtime.order(order_id) is None  # the replay below comes from the execution, now visible
    again = submit(order, key)
    assert again["statusCode"] == 202
    assert again["headers"].get("idempotent-replayed") == "true"
    assert again["json"]["orderId"] == order_id
    assert executions_named(runtime, order_id) == 1
    assert runtime.wait_for_order(order_id, ["FULFILLED"])["orderId"] == order_id


def test_get_answers_404_while_invalid_arn_then_the_pending_order(runtime: LocalRuntime, submit: Submit) -> None:
    order_id = started_unwritten(runtime, submit, str(uuid.uuid4()), sample_order())
    runtime.sfn_faults.fail("DescribeExecution", "InvalidArn", times=1, name=order_id)
    refused = runtime.invoke_api(api_event("GET", f"/orders/{order_id}"))
    assert refused["statusCode"] == 404
    conforms(GET, refused)
    pending = runtime.invoke_api(api_event("GET", f"/orders/{order_id}"))
    assert pending["statusCode"] == 200
    conforms(GET, pending)
