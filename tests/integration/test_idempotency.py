"""The Idempotency-Key contract of POST /orders, on the local runtime with the real handlers:
replay, 422 on another body, 409 while in flight, a new order after 24 hours (without trusting TTL deletion),
a request that died in flight neither blocks its key forever nor lets a duplicate through, and 50 concurrent
POSTs with one key make one order. One record per key holds it all (OrdersStore.reserve)."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from handlers.adapters.http import ANONYMOUS
from handlers.adapters.orders_store import OrdersStore
from handlers.domain.identifiers import new_order_id, request_hash, scoped_idempotency_key
from tests.support.apievents import api_event
from tests.support.fixtures import Submit
from workflow.local.api import LocalApi
from workflow.local.runtime import LocalRuntime
from workflow.local.samples import sample_order


@pytest.fixture(scope="module")
def api(runtime: LocalRuntime) -> Iterator[LocalApi]:
    served = runtime.serve_api(port=0)
    yield served
    served.stop()


def post(api: LocalApi, key: str, order: dict[str, Any]) -> requests.Response:
    return requests.post(f"{api.url}/orders", json=order, headers={"Idempotency-Key": key}, timeout=30)


def executions_named(runtime: LocalRuntime, order_id: str) -> int:
    listed = runtime.sfn.list_executions(stateMachineArn=runtime.state_machine_arn, maxResults=1000)["executions"]
    return sum(1 for e in listed if e["name"] == order_id)


def reservation(runtime: LocalRuntime, key: str) -> dict[str, Any] | None:
    """The key's one record: its reserved order id, and until when its first request is in flight."""
    found = runtime.dynamodb.get_item(
        TableName=runtime.table_name("idempotency"),
        Key={"idempotencyKey": {"S": scoped_idempotency_key(ANONYMOUS, key)}},
        ConsistentRead=True,
    )
    return found.get("Item")


def died_after_reserving(runtime: LocalRuntime, key: str, order: dict[str, Any], deadline: float) -> str:
    """A request that reserved the key (as StartWorkflow does, with the real store) and died before it started its
    execution, its invocation's deadline at `deadline` (epoch seconds). Returns the order id it reserved."""
    store = OrdersStore(
        runtime.dynamodb,
        orders_table=runtime.table_name("orders"),
        idempotency_table=runtime.table_name("idempotency"),
    )
    now = datetime.now(UTC)
    reserved = store.reserve(
        scoped_idempotency_key(ANONYMOUS, key),
        request_hash(order),
        new_order_id(),
        now,
        in_flight_until=datetime.fromtimestamp(deadline, UTC),
    )
    assert reserved.fresh
    return reserved.order_id


def test_same_key_same_body_replays_the_first_response(runtime: LocalRuntime, api: LocalApi) -> None:
    key, order = str(uuid.uuid4()), sample_order()
    first = post(api, key, order)
    again = post(api, key, order)
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    assert "idempotent-replayed" not in first.headers
    assert executions_named(runtime, first.json()["orderId"]) == 1


def test_same_key_other_body_is_422(api: LocalApi) -> None:
    key = str(uuid.uuid4())
    assert post(api, key, sample_order()).status_code == 202
    other = post(api, key, sample_order(customerId="someone-else"))
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert "different request body" in other.json()["detail"]


def test_same_key_while_the_first_is_in_flight_is_409_with_retry_after(runtime: LocalRuntime, api: LocalApi) -> None:
    key, order = str(uuid.uuid4()), sample_order()
    # The first request reserved the key and is still before its deadline; its order is not written yet.
    order_id = died_after_reserving(runtime, key, order, deadline=time.time() + 300)
    second = post(api, key, order)
    assert second.status_code == 409
    assert second.headers["retry-after"] == "1"
    assert second.json()["status"] == 409
    assert executions_named(runtime, order_id) == 0  # nothing was started behind the first request's back
    assert post(api, key, sample_order(customerId="someone-else")).status_code == 422


def test_a_key_older_than_24_hours_is_a_new_order_even_before_ttl_deletes_it(
    runtime: LocalRuntime, api: LocalApi
) -> None:
    key, order = str(uuid.uuid4()), sample_order()
    first = post(api, key, order).json()["orderId"]
    runtime.wait_for_order(first, ["FULFILLED"])
    # 24 hours pass: the key's record is past its expiry but still there (TTL deletes it days later, if ever).
    past = str(int(time.time()) - 60)
    runtime.dynamodb.update_item(
        TableName=runtime.table_name("idempotency"),
        Key={"idempotencyKey": {"S": scoped_idempotency_key(ANONYMOUS, key)}},
        UpdateExpression="SET expiresAt = :past",
        ExpressionAttributeValues={":past": {"N": past}},
    )
    again = post(api, key, order)
    assert again.status_code == 202
    assert "idempotent-replayed" not in again.headers
    second = again.json()["orderId"]
    assert second != first
    assert runtime.wait_for_order(second, ["FULFILLED"])["idempotencyKey"] == scoped_idempotency_key(ANONYMOUS, key)
    assert runtime.order(first) is not None  # the old order is untouched


def test_a_request_that_died_before_starting_its_execution_neither_blocks_the_key_nor_loses_the_order(
    runtime: LocalRuntime, api: LocalApi
) -> None:
    key, order = str(uuid.uuid4()), sample_order()
    # Its deadline (the function's timeout) has passed: the retry starts the order under the reserved id.
    order_id = died_after_reserving(runtime, key, order, deadline=time.time() - 1)
    retried = post(api, key, order)
    assert retried.status_code == 202
    assert retried.json()["orderId"] == order_id
    assert "idempotent-replayed" not in retried.headers  # this request started it
    assert executions_named(runtime, order_id) == 1
    runtime.wait_for_order(order_id, ["FULFILLED"])
    again = post(api, key, order)
    assert (again.status_code, again.headers.get("idempotent-replayed")) == (202, "true")
    assert executions_named(runtime, order_id) == 1


def test_a_request_that_died_after_starting_its_execution_is_replayed_not_doubled(
    runtime: LocalRuntime, api: LocalApi
) -> None:
    key, order = str(uuid.uuid4()), sample_order()
    order_id = died_after_reserving(runtime, key, order, deadline=time.time() - 1)
    # It had started the execution (named after the order id) before it died; the order is not written yet.
    runtime.dynamodb_faults.delay("PutItem", 1.0, times=1, table=runtime.table_name("orders"))
    first_input = {"orderId": order_id, "requestHash": request_hash(order), "order": order}
    runtime.sfn.start_execution(stateMachineArn=runtime.state_machine_arn, name=order_id, input=json.dumps(first_input))
    retried = post(api, key, order)
    assert retried.status_code == 202
    assert retried.json()["orderId"] == order_id
    assert retried.headers.get("idempotent-replayed") == "true"
    assert executions_named(runtime, order_id) == 1


def test_fifty_concurrent_posts_with_one_key_make_one_order_and_no_5xx(
    runtime: LocalRuntime, api: LocalApi, submit: Submit
) -> None:
    key, order = str(uuid.uuid4()), sample_order()
    barrier = threading.Barrier(50)

    def one(_: int) -> requests.Response:
        barrier.wait()
        return post(api, key, order)

    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(one, range(50)))
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {202, 409}, statuses
    accepted = [r.json()["orderId"] for r in responses if r.status_code == 202]
    assert accepted, "no request was accepted"
    assert len(set(accepted)) == 1
    assert all(r.headers.get("retry-after") == "1" for r in responses if r.status_code == 409)
    order_id = accepted[0]
    assert executions_named(runtime, order_id) == 1
    runtime.wait_for_order(order_id, ["FULFILLED"])
    orders = runtime.dynamodb.scan(
        TableName=runtime.table_name("orders"),
        FilterExpression="idempotencyKey = :k",
        ExpressionAttributeValues={":k": {"S": scoped_idempotency_key(ANONYMOUS, key)}},
        ConsistentRead=True,
    )["Items"]
    assert len(orders) == 1


def test_one_key_from_two_callers_is_two_orders(runtime: LocalRuntime) -> None:
    """Keys belong to their caller (IAM principal or JWT subject): nobody is replayed someone else's order."""
    key, order = str(uuid.uuid4()), sample_order()

    def as_caller(arn: str) -> dict[str, Any]:
        response = runtime.invoke_api(api_event("POST", "/orders", order, {"idempotency-key": key}, caller_arn=arn))
        assert response["statusCode"] == 202
        return dict(json.loads(response["body"]))

    alice = as_caller("arn:aws:iam::111122223333:user/alice")
    bob = as_caller("arn:aws:iam::111122223333:user/bob")
    assert alice["orderId"] != bob["orderId"]
    assert as_caller("arn:aws:iam::111122223333:user/alice") == alice
