"""Client mistakes get a clear 4xx problem body; never a 5xx, never a stack trace."""

from __future__ import annotations

import json
from typing import Any

import pytest

from handlers.adapters.http import ANONYMOUS
from handlers.domain.identifiers import scoped_idempotency_key
from tests.support.apievents import api_event
from workflow.local.runtime import LocalRuntime
from workflow.local.samples import sample_order


def call(runtime: LocalRuntime, event: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
    response = runtime.invoke_api(event)
    return response["statusCode"], json.loads(response["body"]), response["headers"]


@pytest.mark.parametrize(
    ("event", "status", "detail"),
    [
        (api_event("POST", "/orders", sample_order()), 400, "Idempotency-Key header is required"),
        (api_event("POST", "/orders", raw_body="{nope", headers={"idempotency-key": "k1"}), 400, "not valid JSON"),
        (
            api_event(
                "POST", "/orders", sample_order(), headers={"idempotency-key": "k2", "content-type": "text/plain"}
            ),
            415,
            "application/json",
        ),
        (
            api_event("POST", "/orders", raw_body='{"a":"' + "x" * 70_000 + '"}', headers={"idempotency-key": "k3"}),
            413,
            "limit is 65536",
        ),
        (api_event("GET", "/orders/ord_doesnotexist"), 404, "no such order"),
        (api_event("GET", "/orders/42"), 404, "no such order"),
    ],
)
def test_client_mistakes(runtime: LocalRuntime, event: dict[str, Any], status: int, detail: str) -> None:
    got_status, body, headers = call(runtime, event)
    assert got_status == status
    assert headers["content-type"] == "application/problem+json"
    assert body["status"] == status
    assert detail in body["detail"]
    assert "Traceback" not in json.dumps(body)


def test_wrong_shape_is_422_with_field_paths(runtime: LocalRuntime) -> None:
    payload = sample_order(items=[{"sku": "A", "quantity": "2", "unitPrice": 3.5}], currency=7)
    status, body, _ = call(runtime, api_event("POST", "/orders", payload, headers={"idempotency-key": "k4"}))
    assert status == 422
    assert [e["path"] for e in body["errors"]] == ["currency", "items[0].quantity", "items[0].unitPrice"]
    key = scoped_idempotency_key(ANONYMOUS, "k4")
    locks = runtime.dynamodb.get_item(TableName=runtime.table_name("idempotency"), Key={"idempotencyKey": {"S": key}})
    assert "Item" not in locks  # refused before the key reserved an order


def test_no_execution_is_started_for_a_refused_request(runtime: LocalRuntime) -> None:
    before = len(runtime.sfn.list_executions(stateMachineArn=runtime.state_machine_arn, maxResults=1000)["executions"])
    call(runtime, api_event("POST", "/orders", {"customerId": "c"}, headers={"idempotency-key": "k5"}))
    after = len(runtime.sfn.list_executions(stateMachineArn=runtime.state_machine_arn, maxResults=1000)["executions"])
    assert after == before
