"""The Idempotency-Key contract of POST /orders, on the local runtime with the real handlers:
replay, 422 on another body, 409 while in flight, a new order after 24 hours (without trusting TTL deletion),
a request that died IN_PROGRESS neither blocks its key forever nor lets a duplicate through, and 50 concurrent
POSTs with one key make one order."""

from __future__ import annotations

import hashlib
import json
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests

from handlers.adapters.http import ANONYMOUS
from handlers.domain.order import scoped_idempotency_key
from tests.support.apievents import api_event
from tests.support.fixtures import Submit
from workflow.local.api import LocalApi
from workflow.local.runtime import LocalRuntime
from workflow.local.samples import sample_order
from workflow.local.waiting import poll_until


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


def request_records(runtime: LocalRuntime) -> list[dict[str, Any]]:
    return list(runtime.dynamodb.scan(TableName=runtime.table_name("requests"), ConsistentRead=True)["Items"])


def record_for(runtime: LocalRuntime, key: str, status: str | None = None) -> dict[str, Any] | None:
    """Powertools' record of a key, by its id: `<function>#<md5 of the JSON of the idempotency key>` (Powertools'
    default hash; the key it hashes is the caller-scoped one). An in-flight record stores no response, so the id is
    the only thing that names its key."""
    scoped = scoped_idempotency_key(ANONYMOUS, key)
    digest = hashlib.md5(json.dumps(scoped, sort_keys=True).encode(), usedforsecurity=False).hexdigest()
    for item in request_records(runtime):
        if item["id"]["S"].endswith(f"#{digest}") and (status is None or item["status"]["S"] == status):
            return item
    return None


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
    # Hold the first request inside its idempotent section: its key reservation takes 1.5 s.
    runtime.dynamodb_faults.delay("PutItem", 1.5, times=1, table=runtime.table_name("idempotency"))
    first: dict[str, requests.Response] = {}
    thread = threading.Thread(target=lambda: first.setdefault("r", post(api, key, order)))
    thread.start()
    poll_until(lambda: record_for(runtime, key, status="INPROGRESS"), timeout=5, what="the first request in flight")
    second = post(api, key, order)
    thread.join(timeout=30)
    assert second.status_code == 409
    assert second.headers["retry-after"] == "1"
    assert second.json()["status"] == 409
    assert first["r"].status_code == 202
    after = post(api, key, order)
    assert after.status_code == 202
    assert after.headers.get("idempotent-replayed") == "true"
    assert after.json()["orderId"] == first["r"].json()["orderId"]


def test_a_key_older_than_24_hours_is_a_new_order_even_before_ttl_deletes_it(
    runtime: LocalRuntime, api: LocalApi
) -> None:
    key, order = str(uuid.uuid4()), sample_order()
    first = post(api, key, order).json()["orderId"]
    runtime.wait_for_order(first, ["FULFILLED"])
    # 24 hours pass: both records are past their expiry but still there (TTL deletes them days later, if ever).
    past = str(int(time.time()) - 60)
    for item in request_records(runtime):
        if first in json.dumps(item):
            runtime.dynamodb.update_item(
                TableName=runtime.table_name("requests"),
                Key={"id": item["id"]},
                UpdateExpression="SET expiration = :past",
                ExpressionAttributeValues={":past": {"N": past}},
            )
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


def test_a_request_that_died_in_progress_neither_blocks_the_key_nor_doubles_the_order(
    runtime: LocalRuntime, api: LocalApi
) -> None:
    key, order = str(uuid.uuid4()), sample_order()
    # The invocation dies after StartExecution, before Powertools records the response: the record stays
    # IN_PROGRESS (here: saving the response is throttled, so the client sees a 503).
    runtime.dynamodb_faults.throttle("UpdateItem", times=1, table=runtime.table_name("requests"))
    died = post(api, key, order)
    assert died.status_code == 503
    stuck = record_for(runtime, key, status="INPROGRESS")
    assert stuck is not None
    # Within the dead invocation's own deadline, the key is still taken: a retry is told to wait.
    assert post(api, key, order).status_code == 409
    # Its deadline passes (the function's timeout): the next retry takes over ...
    runtime.dynamodb.update_item(
        TableName=runtime.table_name("requests"),
        Key={"id": stuck["id"]},
        UpdateExpression="SET in_progress_expiration = :past",
        ExpressionAttributeValues={":past": {"N": str(int(time.time() * 1000) - 1)}},
    )
    retried = post(api, key, order)
    assert retried.status_code == 202
    # ... and answers with the execution the dead request started: one order, one execution.
    order_id = retried.json()["orderId"]
    assert retried.headers.get("idempotent-replayed") == "true"
    assert executions_named(runtime, order_id) == 1
    runtime.wait_for_order(order_id, ["FULFILLED"])


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
