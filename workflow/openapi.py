"""The orders API's contract: an OpenAPI 3.1 document, built from the same constants the handler enforces.

This module writes the paths, their operations and responses; workflow.openapi_schemas writes the schemas, one per
resource.

`docs/openapi.json` is this document as committed (a test fails when they differ: `make openapi` rewrites it); the
local API serves it at /openapi.json, and `orderflow fuzz` (schemathesis) holds the running system to it.

JSON Schema says less than the handler checks in a few places, and the descriptions say the rest: identifiers may
hold no control or invisible characters, line and order totals have a bound, nesting depth and number length are
bounded. Everything the schema does say, the handler enforces exactly, so a request that breaks the schema is always
refused with a 4xx problem body.
"""

from __future__ import annotations

import json
from typing import Any

from handlers.adapters.http import MAX_BODY_BYTES
from handlers.domain import contract
from workflow.openapi_schemas import anchored, schemas

VERSION = "1.0.0"
PROBLEM = "application/problem+json"


def _problem_response(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        "headers": {"X-Correlation-Id": {"$ref": "#/components/headers/X-Correlation-Id"}, **(headers or {})},
    }
    return response


def _headers() -> dict[str, Any]:
    return {
        "X-Correlation-Id": {
            "description": (
                "The correlation id this request's logs and alerts carry: the caller's, when it matches the pattern, "
                "else a generated one."
            ),
            "schema": {"type": "string", "pattern": anchored(contract.CORRELATION_ID_PATTERN)},
        },
        "Retry-After": {
            "description": "Seconds to wait before retrying.",
            "required": True,
            "schema": {"type": "string", "pattern": "^[0-9]+$"},
        },
        "Allow": {"description": "The methods the resource supports.", "required": True, "schema": {"type": "string"}},
    }


def _method_not_allowed() -> dict[str, Any]:
    return _problem_response(
        "Another method than the resource's (the Allow header lists them)",
        {"Allow": {"$ref": "#/components/headers/Allow"}},
    )


def _retry_after() -> dict[str, Any]:
    return {"Retry-After": {"$ref": "#/components/headers/Retry-After"}}


def _correlation() -> dict[str, Any]:
    """The X-Correlation-Id request header, which every operation takes."""
    return {
        "name": "X-Correlation-Id",
        "in": "header",
        "required": False,
        "description": (
            f"Carried through logs, the workflow and alerts when it matches {contract.CORRELATION_ID_PATTERN}; "
            "any other value is replaced by a generated id (answered in the response header)."
        ),
        "schema": {"type": "string"},
    }


def _submit_order() -> dict[str, Any]:
    """POST /orders."""
    return {
        "operationId": "submitOrder",
        "summary": "Submit an order: starts its workflow execution",
        "parameters": [
            {
                "name": "Idempotency-Key",
                "in": "header",
                "required": True,
                "description": (
                    "The same key and body within 24 hours replays the first answer (one order); the same key with "
                    "another body is a 422; while the first request is in flight, a 409. Keys are the caller's own."
                ),
                "schema": {"type": "string", "pattern": anchored(contract.IDEMPOTENCY_KEY_PATTERN)},
            },
            _correlation(),
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/OrderRequest"}}},
        },
        "responses": {
            "202": {
                "description": "Accepted: the order's workflow started (or, replayed, had started)",
                "headers": {
                    "Location": {"schema": {"type": "string"}, "required": True},
                    "Idempotent-Replayed": {
                        "description": "Present on a replay of an earlier request with this key.",
                        "schema": {"const": "true"},
                    },
                    "X-Correlation-Id": {"$ref": "#/components/headers/X-Correlation-Id"},
                },
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Accepted"}}},
            },
            "400": _problem_response("Malformed: no or a bad Idempotency-Key, a body that is not strict UTF-8 JSON"),
            "405": _method_not_allowed(),
            "409": _problem_response("A request with this Idempotency-Key is still being processed", _retry_after()),
            "413": _problem_response(f"The body is larger than {MAX_BODY_BYTES} bytes"),
            "415": _problem_response("Not application/json in UTF-8"),
            "422": _problem_response("The order breaks the rules (errors lists them), or the key was used before"),
            "503": _problem_response("Briefly unavailable; retry with the same key", _retry_after()),
            "default": _problem_response("Any other error, e.g. framing errors answered by API Gateway itself"),
        },
    }


def _get_order() -> dict[str, Any]:
    """GET /orders/{orderId}."""
    return {
        "operationId": "getOrder",
        "summary": "Read an order: its status, history and any failure (the caller's own orders only)",
        "parameters": [
            {
                "name": "orderId",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "pattern": anchored(contract.ORDER_ID_PATTERN)},
            },
            _correlation(),
        ],
        "responses": {
            "200": {
                "description": "The order",
                "headers": {"X-Correlation-Id": {"$ref": "#/components/headers/X-Correlation-Id"}},
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}},
            },
            "404": _problem_response("No such order, or another caller's (answered the same way)"),
            "405": _method_not_allowed(),
            "503": _problem_response("Briefly unavailable; retry", _retry_after()),
            "default": _problem_response("Any other error"),
        },
    }


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the orders API."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "orderflow orders API",
            "version": VERSION,
            "description": (
                "Submit orders and follow them. Every error is an RFC 9457 problem body. On AWS the API uses IAM "
                "(SigV4) or JWT authorization; orders belong to the caller that created them."
            ),
        },
        "paths": {"/orders": {"post": _submit_order()}, "/orders/{orderId}": {"get": _get_order()}},
        "components": {"schemas": schemas(), "headers": _headers()},
    }


def to_json(value: dict[str, Any]) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"
