"""The handler answers as docs/openapi.json says: every status it gives is documented for the operation, with the
documented media type, body schema and required headers."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry
from referencing.jsonschema import DRAFT202012

from tests.support.apievents import api_event
from workflow.local.runtime import LocalRuntime
from workflow.local.samples import sample_order
from workflow.openapi import document

DOCUMENT = document()
BASE = "urn:orderflow:openapi"
REGISTRY = Registry().with_resource(BASE, DRAFT202012.create_resource(DOCUMENT))


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = DOCUMENT
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def conforms(operation: dict[str, Any], response: dict[str, Any]) -> None:
    status = str(response["statusCode"])
    documented = operation["responses"].get(status) or operation["responses"]["default"]
    headers = {k.lower(): v for k, v in response["headers"].items()}
    (media_type,) = documented["content"]
    assert headers["content-type"] == media_type
    schema = documented["content"][media_type]["schema"]
    ref = BASE + schema["$ref"]
    Draft202012Validator({"$ref": ref}, registry=REGISTRY).validate(json.loads(response["body"]))
    for name, declared in documented.get("headers", {}).items():
        header = _resolve(declared)
        if header.get("required"):
            assert name.lower() in headers, f"{status} lacks the {name} header"
        if name.lower() in headers and "schema" in header:
            Draft202012Validator(header["schema"]).validate(headers[name.lower()])


POST = DOCUMENT["paths"]["/orders"]["post"]
GET = DOCUMENT["paths"]["/orders/{orderId}"]["get"]


def post(runtime: LocalRuntime, body: Any = None, raw: str | None = None, **headers: str) -> dict[str, Any]:
    all_headers = {"idempotency-key": str(uuid.uuid4()), **headers}
    return runtime.invoke_api(api_event("POST", "/orders", body, all_headers, raw_body=raw))


@pytest.mark.parametrize(
    ("body", "raw", "headers", "status"),
    [
        (sample_order(), None, {}, 202),
        (sample_order(), None, {"idempotency-key": ""}, 400),
        (None, "{nope", {}, 400),
        (None, "[" * 100 + "]" * 100, {}, 400),
        (None, '{"a": "' + "x" * 70_000 + '"}', {}, 413),
        (sample_order(), None, {"content-type": "text/plain"}, 415),
        (sample_order(currency="eur", items=[]), None, {}, 422),
    ],
)
def test_post_answers_as_documented(
    runtime: LocalRuntime, body: Any, raw: str | None, headers: dict[str, str], status: int
) -> None:
    response = post(runtime, body, raw, **headers)
    assert response["statusCode"] == status
    conforms(POST, response)


def test_get_answers_as_documented(runtime: LocalRuntime) -> None:
    fulfilled = json.loads(post(runtime, sample_order())["body"])["orderId"]
    failed = json.loads(post(runtime, sample_order(currency="XYZ"))["body"])["orderId"]
    runtime.wait_for_order(fulfilled, ["FULFILLED"])
    runtime.wait_for_order(failed, ["FAILED"])
    for order_id, status in ((fulfilled, 200), (failed, 200), ("ord_" + "a" * 26, 404), ("nope", 404)):
        response = runtime.invoke_api(api_event("GET", f"/orders/{order_id}"))
        assert response["statusCode"] == status
        conforms(GET, response)


def test_other_methods_answer_as_documented(runtime: LocalRuntime) -> None:
    for method, path, operation in (("DELETE", "/orders", POST), ("PUT", "/orders/ord_x", GET)):
        response = runtime.invoke_api(api_event(method, path))
        assert response["statusCode"] == 405
        conforms(operation, response)
