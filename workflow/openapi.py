"""The orders API's contract: an OpenAPI 3.1 document, built from the same constants the handler enforces.

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

from handlers.adapters.http import MAX_BODY_BYTES, MAX_ERRORS
from handlers.domain import order as domain
from handlers.domain.json_input import MAX_DEPTH, MAX_NUMBER_LENGTH
from handlers.domain.money import AMOUNT_PATTERN, MAX_AMOUNT, MAX_DECIMALS

VERSION = "1.0.0"
PROBLEM = "application/problem+json"


def _anchored(pattern: str) -> str:
    # JSON Schema patterns are ECMA-262 and unanchored; the handler matches whole strings.
    return f"^(?:{pattern})$"


def _text(max_length: int, description: str) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": max_length, "description": description}


_IDENTIFIER = (
    "Visible characters only: no control, format (zero-width, bidi), separator (other than the ASCII space) or "
    "unassigned code points, no leading or trailing white space."
)
_FREE_TEXT = (
    "Visible characters only (the zero-width joiners U+200C/U+200D are allowed inside words); no control "
    "characters, no leading or trailing white space."
)


def _optional(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional field may also be null, which the handler reads as absent (serializers write absent fields so)."""
    return {"anyOf": [schema, {"type": "null"}]}


def _amount(description: str) -> dict[str, Any]:
    return {"type": "string", "pattern": _anchored(AMOUNT_PATTERN), "description": description}


def _problem_response(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        "headers": {"X-Correlation-Id": {"$ref": "#/components/headers/X-Correlation-Id"}, **(headers or {})},
    }
    return response


def _schemas() -> dict[str, Any]:
    address = {
        "type": "object",
        "additionalProperties": False,
        "required": ["line1", "city", "postalCode", "country"],
        "properties": {
            "line1": _text(domain.MAX_ADDRESS_TEXT_LENGTH, _FREE_TEXT),
            "line2": _optional(_text(domain.MAX_ADDRESS_TEXT_LENGTH, _FREE_TEXT)),
            "city": _text(domain.MAX_ADDRESS_TEXT_LENGTH, _FREE_TEXT),
            "postalCode": {
                "type": "string",
                "maxLength": domain.MAX_POSTAL_CODE_LENGTH,
                "pattern": _anchored(domain.POSTAL_CODE_PATTERN),
            },
            "country": {
                "type": "string",
                "pattern": _anchored(domain.COUNTRY_PATTERN),
                "description": "ISO 3166-1 alpha-2",
            },
        },
    }
    item = {
        "type": "object",
        "additionalProperties": False,
        "required": ["sku", "quantity", "unitPrice"],
        "properties": {
            "sku": _text(domain.MAX_SKU_LENGTH, _IDENTIFIER + " Unique within the order (ValidateOrder checks it)."),
            "quantity": {"type": "integer", "minimum": 1, "maximum": domain.MAX_QUANTITY},
            "unitPrice": _amount(
                f"A non-negative decimal string of ASCII digits, below {MAX_AMOUNT:,}, with at most {MAX_DECIMALS} "
                "places; ValidateOrder fails an order whose prices have more places than its currency (EUR 2, JPY 0, "
                f"BHD 3, CLF 4). unitPrice x quantity must be below {MAX_AMOUNT:,} too. JSON numbers are refused."
            ),
        },
    }
    order_request = {
        "type": "object",
        "additionalProperties": False,
        "required": ["customerId", "currency", "items"],
        "description": (
            f"At most {MAX_BODY_BYTES} bytes of UTF-8 JSON, nested at most {MAX_DEPTH} levels, numbers of at most "
            f"{MAX_NUMBER_LENGTH} characters, no duplicate keys, no NaN/Infinity, no lone surrogates. The order "
            f"total must be below {MAX_AMOUNT:,}."
        ),
        "properties": {
            "customerId": _text(domain.MAX_CUSTOMER_ID_LENGTH, _IDENTIFIER),
            "currency": {
                "type": "string",
                "pattern": _anchored(domain.CURRENCY_PATTERN),
                "description": "ISO 4217; an unknown code passes this check and fails the order in ValidateOrder.",
            },
            "items": {"type": "array", "minItems": 1, "maxItems": domain.MAX_ITEMS, "items": item},
            "email": _optional(
                {
                    "type": "string",
                    "maxLength": domain.MAX_EMAIL_LENGTH,
                    "pattern": _anchored(domain.EMAIL_PATTERN),
                    "description": f"At most {domain.MAX_LOCAL_PART} characters before the @.",
                }
            ),
            "shippingAddress": _optional(address),
        },
    }
    status = {"type": "string", "enum": [s.value for s in domain.OrderStatus]}
    order_response = {
        "type": "object",
        "required": ["orderId", "status", "history"],
        "properties": {
            "orderId": {"type": "string", "pattern": _anchored(domain.ORDER_ID_PATTERN)},
            "status": status,
            "customerId": {"type": "string"},
            "currency": {"type": "string"},
            "items": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["sku", "quantity", "unitPrice", "lineTotal"],
                    "properties": {
                        "sku": {"type": "string"},
                        "quantity": {"type": "integer"},
                        "unitPrice": _amount("In the currency's minor units: EUR 12.50, JPY 2400, BHD 2.010."),
                        "lineTotal": _amount("unitPrice x quantity, in the currency's minor units."),
                    },
                },
            },
            "total": _amount("The sum of the line totals, in the currency's minor units."),
            "email": {"type": "string"},
            "shippingAddress": {"type": "object"},
            "history": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["status", "at"],
                    "properties": {"status": status, "at": {"type": "string"}},
                },
            },
            "failure": {
                "type": "object",
                "required": ["error", "cause"],
                "properties": {
                    "state": {"type": "string", "description": "The workflow step that failed."},
                    "error": {"type": "string"},
                    "cause": {
                        "type": "string",
                        "description": "The rule the order broke; for any other failure only that it failed.",
                    },
                },
            },
            "correlationId": {"type": "string", "pattern": _anchored(domain.CORRELATION_ID_PATTERN)},
            "createdAt": {"type": "string"},
            "updatedAt": {"type": "string"},
        },
    }
    accepted = {
        "type": "object",
        "required": ["orderId", "status", "links"],
        "additionalProperties": False,
        "properties": {
            "orderId": {"type": "string", "pattern": _anchored(domain.ORDER_ID_PATTERN)},
            "status": {"const": domain.OrderStatus.PENDING.value},
            "links": {
                "type": "object",
                "required": ["self"],
                "properties": {"self": {"type": "string"}},
            },
        },
    }
    problem = {
        "type": "object",
        "description": "RFC 9457 problem details.",
        "required": ["type", "title", "status", "detail"],
        "properties": {
            "type": {"type": "string"},
            "title": {"type": "string"},
            "status": {"type": "integer", "minimum": 400, "maximum": 599},
            "detail": {"type": "string"},
            "errors": {
                "type": "array",
                "maxItems": MAX_ERRORS,
                "description": f"The first {MAX_ERRORS} problems with the order, each with its field path.",
                "items": {
                    "type": "object",
                    "required": ["path", "message"],
                    "properties": {"path": {"type": "string"}, "message": {"type": "string"}},
                },
            },
            "errorCount": {"type": "integer", "minimum": 1, "description": "How many problems there were in all."},
        },
    }
    return {
        "OrderRequest": order_request,
        "Order": order_response,
        "Accepted": accepted,
        "Problem": problem,
    }


def _headers() -> dict[str, Any]:
    return {
        "X-Correlation-Id": {
            "description": (
                "The correlation id this request's logs and alerts carry: the caller's, when it matches the pattern, "
                "else a generated one."
            ),
            "schema": {"type": "string", "pattern": _anchored(domain.CORRELATION_ID_PATTERN)},
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


def document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the orders API."""
    correlation = {
        "name": "X-Correlation-Id",
        "in": "header",
        "required": False,
        "description": (
            f"Carried through logs, the workflow and alerts when it matches {domain.CORRELATION_ID_PATTERN}; "
            "any other value is replaced by a generated id (answered in the response header)."
        ),
        "schema": {"type": "string"},
    }
    retry_after = {"Retry-After": {"$ref": "#/components/headers/Retry-After"}}
    post = {
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
                "schema": {"type": "string", "pattern": _anchored(domain.IDEMPOTENCY_KEY_PATTERN)},
            },
            correlation,
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
            "409": _problem_response("A request with this Idempotency-Key is still being processed", retry_after),
            "413": _problem_response(f"The body is larger than {MAX_BODY_BYTES} bytes"),
            "415": _problem_response("Not application/json in UTF-8"),
            "422": _problem_response("The order breaks the rules (errors lists them), or the key was used before"),
            "503": _problem_response("Briefly unavailable; retry with the same key", retry_after),
            "default": _problem_response("Any other error, e.g. framing errors answered by API Gateway itself"),
        },
    }
    get = {
        "operationId": "getOrder",
        "summary": "Read an order: its status, history and any failure (the caller's own orders only)",
        "parameters": [
            {
                "name": "orderId",
                "in": "path",
                "required": True,
                "schema": {"type": "string", "pattern": _anchored(domain.ORDER_ID_PATTERN)},
            },
            correlation,
        ],
        "responses": {
            "200": {
                "description": "The order",
                "headers": {"X-Correlation-Id": {"$ref": "#/components/headers/X-Correlation-Id"}},
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Order"}}},
            },
            "404": _problem_response("No such order, or another caller's (answered the same way)"),
            "405": _method_not_allowed(),
            "503": _problem_response("Briefly unavailable; retry", retry_after),
            "default": _problem_response("Any other error"),
        },
    }
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
        "paths": {"/orders": {"post": post}, "/orders/{orderId}": {"get": get}},
        "components": {"schemas": _schemas(), "headers": _headers()},
    }


def to_json(value: dict[str, Any]) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"
