"""What a hostile or careless client found (issue 9), through the real handlers on the local runtime: no input gets
a 5xx, money is exact in every currency, orders are their owner's alone, and nothing a client sends forges an alert.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import pytest

from handlers.domain.contract import CORRELATION_ID_PATTERN
from tests.support.apievents import api_event
from tests.support.fixtures import Submit, alerts_settled
from workflow.local.receiver import LoopbackWebhook
from workflow.local.runtime import LocalRuntime
from workflow.local.samples import sample_order
from workflow.local.waiting import poll_until
from workflow.ops.history import execution_history
from workflow.ops.local_names import ACCOUNT


def call(runtime: LocalRuntime, event: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]]:
    response = runtime.invoke_api(event)
    assert response["headers"]["content-type"] in ("application/json", "application/problem+json")
    return response["statusCode"], json.loads(response["body"]), response["headers"]


def post_raw(runtime: LocalRuntime, text: str, **kwargs: Any) -> tuple[int, dict[str, Any], dict[str, str]]:
    headers = {"idempotency-key": str(uuid.uuid4()), **kwargs.pop("headers", {})}
    return call(runtime, api_event("POST", "/orders", raw_body=text, headers=headers, **kwargs))


def get(runtime: LocalRuntime, order_id: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
    status, body, _ = call(runtime, api_event("GET", f"/orders/{order_id}", **kwargs))
    return status, body


def executions(runtime: LocalRuntime) -> int:
    listed = runtime.sfn.list_executions(stateMachineArn=runtime.state_machine_arn, maxResults=1000)
    return len(listed["executions"])


SURROGATE = "\\ud800"  # as a JSON escape: the text stays valid UTF-8, the parsed string does not


@pytest.mark.parametrize(
    "text",
    [
        '{"customerId": "c%s", "currency": "EUR", "items": [{"sku": "A", "quantity": 1, "unitPrice": "1"}]}',
        '{"customerId": "c", "currency": "EUR", "items": [{"sku": "A%s", "quantity": 1, "unitPrice": "1"}]}',
        '{"customerId": "c", "currency": "EUR", "email": "a%s@example.com", '
        '"items": [{"sku": "A", "quantity": 1, "unitPrice": "1"}]}',
        '{"customerId": "c", "currency": "EUR", "items": [{"sku": "A", "quantity": 1, "unitPrice": "1"}], '
        '"shippingAddress": {"line1": "x%s", "city": "y", "postalCode": "1", "country": "DE"}}',
    ],
)
def test_a_lone_surrogate_anywhere_is_a_400(runtime: LocalRuntime, text: str) -> None:
    before = executions(runtime)
    status, body, headers = post_raw(runtime, text % SURROGATE)
    assert (status, headers["content-type"]) == (400, "application/problem+json")
    assert "lone surrogate" in body["detail"]
    assert executions(runtime) == before


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("[" * 10_000 + "]" * 10_000, "levels deep"),
        ('{"customerId": "c", "unknown": ' + "7" * 5000 + "}", "characters; at most"),
        ('{"customerId": "c", "n": NaN}', "NaN"),
        ('{"customerId": "c", "customerId": "d"}', "appears twice"),
    ],
)
def test_hostile_json_is_a_400_not_a_500(runtime: LocalRuntime, text: str, reason: str) -> None:
    status, body, _ = post_raw(runtime, text)
    assert status == 400
    assert reason in body["detail"]


def test_a_charset_other_than_utf8_is_a_415(runtime: LocalRuntime) -> None:
    status, body, _ = post_raw(
        runtime, json.dumps(sample_order()), headers={"content-type": "application/json; charset=iso-8859-1"}
    )
    assert status == 415
    assert "UTF-8" in body["detail"]


def test_seven_thousand_unknown_keys_get_a_short_answer(runtime: LocalRuntime) -> None:
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    keys = [a + b + c for a in alphabet for b in alphabet for c in alphabet][:7_700]
    payload = sample_order(**dict.fromkeys(keys, 0))
    text = json.dumps(payload, separators=(",", ":"))
    assert len(text) < 64 * 1024
    response = runtime.invoke_api(
        api_event("POST", "/orders", raw_body=text, headers={"idempotency-key": str(uuid.uuid4())})
    )
    assert response["statusCode"] == 422
    assert len(response["body"]) < 4_000  # was 373 KB
    body = json.loads(response["body"])
    assert (len(body["errors"]), body["errorCount"]) == (20, 7_700)


# Money


def test_amounts_beyond_the_bound_are_refused_up_front(runtime: LocalRuntime, submit: Submit) -> None:
    for price, quantity in (("99999999999999999999999999.99", 3), ("1" * 40, 1), ("999999999999999", 2)):
        refused = submit(sample_order(items=[{"sku": "A", "quantity": quantity, "unitPrice": price}]))
        assert refused["statusCode"] == 422, price
        assert refused["json"]["errors"][0]["path"].startswith("items[0]")


@pytest.mark.parametrize(
    ("currency", "prices", "wire_prices", "total"),
    [
        ("EUR", ["12", "0.5"], ["12.00", "0.50"], "24.50"),
        ("JPY", ["2400", "100"], ["2400", "100"], "4900"),
        ("BHD", ["1.005", "2.01"], ["1.005", "2.010"], "4.020"),
        ("CLF", ["0.1234", "1"], ["0.1234", "1.0000"], "1.2468"),
    ],
)
def test_every_amount_is_answered_in_the_currency_s_minor_units(
    runtime: LocalRuntime, submit: Submit, currency: str, prices: list[str], wire_prices: list[str], total: str
) -> None:
    items = [{"sku": "A", "quantity": 2, "unitPrice": prices[0]}, {"sku": "B", "quantity": 1, "unitPrice": prices[1]}]
    accepted = submit(sample_order(currency=currency, items=items))
    assert accepted["statusCode"] == 202
    order_id = accepted["json"]["orderId"]
    runtime.wait_for_order(order_id, ["FULFILLED"])
    status, order = get(runtime, order_id)
    assert status == 200
    assert [i["unitPrice"] for i in order["items"]] == wire_prices
    assert all(isinstance(i["unitPrice"], str) and isinstance(i["lineTotal"], str) for i in order["items"])
    assert order["total"] == total


def test_the_alert_carries_the_exact_total(runtime: LocalRuntime, submit: Submit, webhook: LoopbackWebhook) -> None:
    # Two lines with one SKU: a business rule, so the order fails in ValidateOrder and is alerted.
    items = [{"sku": "A", "quantity": 2, "unitPrice": "1.005"}, {"sku": "A", "quantity": 1, "unitPrice": "0.5"}]
    order_id = submit(sample_order(currency="BHD", items=items))["json"]["orderId"]
    (alert,) = poll_until(lambda: webhook.for_order(order_id), what="the Slack alert")
    fields = [f["text"] for f in alert["blocks"][1]["fields"]]
    assert "*Total*\n`2.510 BHD`" in fields


# Text and correlation ids


def test_a_correlation_id_is_taken_only_in_its_plain_form(runtime: LocalRuntime, submit: Submit) -> None:
    kept = submit(sample_order(), headers={"x-correlation-id": "trace-42.a_b"})
    assert kept["headers"]["x-correlation-id"] == "trace-42.a_b"
    for hostile in ("x" * 60_000, "*URGENT* <https://evil.example/login|Re-authenticate>"):
        replaced = submit(sample_order(), headers={"x-correlation-id": hostile})
        assert replaced["statusCode"] == 202
        used = replaced["headers"]["x-correlation-id"]
        assert used != hostile
        assert re.fullmatch(CORRELATION_ID_PATTERN, used)
        stored = runtime.wait_for_order(replaced["json"]["orderId"], ["FULFILLED"])
        assert stored["correlationId"] == used


def test_slack_markup_in_a_correlation_id_never_reaches_the_alert(
    runtime: LocalRuntime, submit: Submit, webhook: LoopbackWebhook
) -> None:
    forged = "*URGENT* <https://evil.example/login|Re-authenticate>"
    order_id = submit(sample_order(currency="XYZ"), headers={"x-correlation-id": forged})["json"]["orderId"]
    (alert,) = poll_until(lambda: webhook.for_order(order_id), what="the Slack alert")
    alerts_settled(runtime)
    text = json.dumps(alert)
    assert "evil.example" not in text
    assert "URGENT" not in text


# Ownership


def jwt(sub: str, iss: str = "https://idp.example") -> dict[str, str]:
    return {"iss": iss, "sub": sub}


def test_another_caller_cannot_read_an_order(runtime: LocalRuntime) -> None:
    created = runtime.invoke_api(
        api_event("POST", "/orders", sample_order(), {"idempotency-key": str(uuid.uuid4())}, claims=jwt("alice"))
    )
    order_id = json.loads(created["body"])["orderId"]
    runtime.wait_for_order(order_id, ["FULFILLED"])
    status, order = get(runtime, order_id, claims=jwt("alice"))
    assert (status, order["email"]) == (200, "ada@example.com")
    missing_status, missing = get(runtime, "ord_" + "a" * 26, claims=jwt("bob"))
    for claims in (jwt("bob"), jwt("alice", iss="https://other-idp.example"), None):
        status, body = get(runtime, order_id, claims=claims)
        assert (status, body["detail"]) == (missing_status, missing["detail"]) == (404, "no such order")


def test_an_assumed_role_retrying_under_a_new_session_is_replayed(runtime: LocalRuntime) -> None:
    key, order = str(uuid.uuid4()), sample_order()

    def session(name: str) -> dict[str, Any]:
        arn = f"arn:aws:sts::111122223333:assumed-role/ci-deployer/{name}"
        response = runtime.invoke_api(api_event("POST", "/orders", order, {"idempotency-key": key}, caller_arn=arn))
        assert response["statusCode"] == 202
        return response

    first, retried = session("job-1"), session("job-2")
    assert json.loads(retried["body"])["orderId"] == json.loads(first["body"])["orderId"]
    assert retried["headers"]["idempotent-replayed"] == "true"


def test_keys_that_join_alike_are_still_two_orders(runtime: LocalRuntime) -> None:
    """Scoped as "caller|key", (sub "x|y", key "z") and (sub "x", key "y|z") were one key."""

    def as_(sub: str, key: str) -> str:
        response = runtime.invoke_api(
            api_event("POST", "/orders", sample_order(), {"idempotency-key": key}, claims=jwt(sub))
        )
        assert response["statusCode"] == 202
        return str(json.loads(response["body"])["orderId"])

    marker = uuid.uuid4().hex
    assert as_(f"{marker}|y", "z") != as_(marker, "y|z")


def test_public_answers_carry_no_account_id(runtime: LocalRuntime, submit: Submit) -> None:
    accepted = submit(sample_order())
    assert ACCOUNT not in accepted["body"]
    assert "executionArn" not in accepted["json"]
    order_id = accepted["json"]["orderId"]
    runtime.wait_for_order(order_id, ["FULFILLED"])
    response = runtime.invoke_api(api_event("GET", f"/orders/{order_id}"))
    assert ACCOUNT not in response["body"]
    failed = submit(sample_order(currency="XYZ"))["json"]["orderId"]
    runtime.wait_for_order(failed, ["FAILED"])
    response = runtime.invoke_api(api_event("GET", f"/orders/{failed}"))
    assert ACCOUNT not in response["body"]


# Routing: whatever matches no route still gets a problem body


@pytest.mark.parametrize(
    ("method", "path", "status", "allow"),
    [
        ("GET", "/orders", 405, "POST"),
        ("PATCH", "/orders", 405, "POST"),
        ("DELETE", "/orders/ord_x", 405, "GET"),
        ("HEAD", "/orders/ord_x", 405, "GET"),
        ("OPTIONS", "/orders", 405, "POST"),
        ("GET", "/orders/", 405, "POST"),
        ("GET", "/nowhere", 404, None),
        ("GET", "/orders/a/b", 404, None),
    ],
)
def test_unrouted_requests_are_problem_bodies(
    runtime: LocalRuntime, method: str, path: str, status: int, allow: str | None
) -> None:
    got, body, headers = call(runtime, api_event(method, path))
    assert (got, headers["content-type"], body["status"]) == (status, "application/problem+json", status)
    assert headers.get("allow") == allow


def test_a_trailing_slash_names_the_same_resource(runtime: LocalRuntime) -> None:
    event = api_event("POST", "/orders/", sample_order(), {"idempotency-key": str(uuid.uuid4())})
    assert runtime.invoke_api(event)["statusCode"] == 202


# Execution data


def test_no_failure_path_state_sees_the_customer_s_data(runtime: LocalRuntime, submit: Submit) -> None:
    """Express logs ERROR with execution data: FailStateEntered and every failure-route state must carry no PII."""
    order = sample_order(
        currency="XYZ",
        email="pii-canary@example.com",
        shippingAddress={"line1": "PII Canary Street 1", "city": "Berlin", "postalCode": "10115", "country": "DE"},
    )
    order_id = submit(order)["json"]["orderId"]
    arn = runtime.execution_arn(order_id)
    assert runtime.wait_for_execution(arn)["status"] == "FAILED"
    events = execution_history(runtime.sfn, arn)
    entered = [e for e in events if "stateEnteredEventDetails" in e]
    after_catch = entered[[e["stateEnteredEventDetails"]["name"] for e in entered].index("RecordFailure") :]
    assert [e["stateEnteredEventDetails"]["name"] for e in after_catch] == [
        "RecordFailure",
        "PublishFailure",
        "OrderFailed",
    ]
    for event in after_catch:
        text = event["stateEnteredEventDetails"]["input"]
        assert "pii-canary" not in text, event["stateEnteredEventDetails"]["name"]
        assert "PII Canary" not in text, event["stateEnteredEventDetails"]["name"]
