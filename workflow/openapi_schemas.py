"""The orders API's JSON Schemas, one per resource (workflow.openapi puts them in its document's components): an order
as submitted (`order_request`), as read back (`order`), the answer to a submission (`accepted`) and the problem body
of every error (`problem`). Each is built from the same constants the handler enforces.

JSON Schema says less than the handler checks in a few places, and the descriptions say the rest: identifiers may
hold no control or invisible characters, line and order totals have a bound, nesting depth and number length are
bounded.
"""

from __future__ import annotations

from typing import Any

from handlers.adapters.http import MAX_BODY_BYTES, MAX_ERRORS
from handlers.domain import contract
from handlers.domain.json_input import MAX_DEPTH, MAX_NUMBER_LENGTH
from handlers.domain.money import AMOUNT_PATTERN, MAX_AMOUNT, MAX_DECIMALS

_IDENTIFIER = (
    "Visible characters only: no control, format (zero-width, bidi), separator (other than the ASCII space) or "
    "unassigned code points, no leading or trailing white space."
)
_FREE_TEXT = (
    "Visible characters only (the zero-width joiners U+200C/U+200D are allowed inside words); no control "
    "characters, no leading or trailing white space."
)


def anchored(pattern: str) -> str:
    # JSON Schema patterns are ECMA-262 and unanchored; the handler matches whole strings.
    return f"^(?:{pattern})$"


def _text(max_length: int, description: str) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": max_length, "description": description}


def _optional(schema: dict[str, Any]) -> dict[str, Any]:
    """An optional field may also be null, which the handler reads as absent (serializers write absent fields so)."""
    return {"anyOf": [schema, {"type": "null"}]}


def _amount(description: str) -> dict[str, Any]:
    return {"type": "string", "pattern": anchored(AMOUNT_PATTERN), "description": description}


def _address() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["line1", "city", "postalCode", "country"],
        "properties": {
            "line1": _text(contract.MAX_ADDRESS_TEXT_LENGTH, _FREE_TEXT),
            "line2": _optional(_text(contract.MAX_ADDRESS_TEXT_LENGTH, _FREE_TEXT)),
            "city": _text(contract.MAX_ADDRESS_TEXT_LENGTH, _FREE_TEXT),
            "postalCode": {
                "type": "string",
                "maxLength": contract.MAX_POSTAL_CODE_LENGTH,
                "pattern": anchored(contract.POSTAL_CODE_PATTERN),
            },
            "country": {
                "type": "string",
                "pattern": anchored(contract.COUNTRY_PATTERN),
                "description": "ISO 3166-1 alpha-2",
            },
        },
    }


def _item() -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["sku", "quantity", "unitPrice"],
        "properties": {
            "sku": _text(contract.MAX_SKU_LENGTH, _IDENTIFIER + " Unique within the order (ValidateOrder checks it)."),
            "quantity": {"type": "integer", "minimum": 1, "maximum": contract.MAX_QUANTITY},
            "unitPrice": _amount(
                f"A non-negative decimal string of ASCII digits, below {MAX_AMOUNT:,}, with at most {MAX_DECIMALS} "
                "places; ValidateOrder fails an order whose prices have more places than its currency (EUR 2, JPY 0, "
                f"BHD 3, CLF 4). unitPrice x quantity must be below {MAX_AMOUNT:,} too. JSON numbers are refused."
            ),
        },
    }


def order_request() -> dict[str, Any]:
    """An order as POST /orders takes it."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["customerId", "currency", "items"],
        "description": (
            f"At most {MAX_BODY_BYTES} bytes of UTF-8 JSON, nested at most {MAX_DEPTH} levels, numbers of at most "
            f"{MAX_NUMBER_LENGTH} characters, no duplicate keys, no NaN/Infinity, no lone surrogates. The order "
            f"total must be below {MAX_AMOUNT:,}."
        ),
        "properties": {
            "customerId": _text(contract.MAX_CUSTOMER_ID_LENGTH, _IDENTIFIER),
            "currency": {
                "type": "string",
                "pattern": anchored(contract.CURRENCY_PATTERN),
                "description": "ISO 4217; an unknown code passes this check and fails the order in ValidateOrder.",
            },
            "items": {"type": "array", "minItems": 1, "maxItems": contract.MAX_ITEMS, "items": _item()},
            "email": _optional(
                {
                    "type": "string",
                    "maxLength": contract.MAX_EMAIL_LENGTH,
                    "pattern": anchored(contract.EMAIL_PATTERN),
                    "description": f"At most {contract.MAX_LOCAL_PART} characters before the @.",
                }
            ),
            "shippingAddress": _optional(_address()),
        },
    }


def order() -> dict[str, Any]:
    """An order as GET /orders/{orderId} answers it: its status, history and any failure."""
    status = {"type": "string", "enum": [s.value for s in contract.OrderStatus]}
    return {
        "type": "object",
        "required": ["orderId", "status", "history"],
        "properties": {
            "orderId": {"type": "string", "pattern": anchored(contract.ORDER_ID_PATTERN)},
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
            "correlationId": {"type": "string", "pattern": anchored(contract.CORRELATION_ID_PATTERN)},
            "createdAt": {"type": "string"},
            "updatedAt": {"type": "string"},
        },
    }


def accepted() -> dict[str, Any]:
    """The 202 answer to a submitted order: its id, PENDING, and where to read it."""
    return {
        "type": "object",
        "required": ["orderId", "status", "links"],
        "additionalProperties": False,
        "properties": {
            "orderId": {"type": "string", "pattern": anchored(contract.ORDER_ID_PATTERN)},
            "status": {"const": contract.OrderStatus.PENDING.value},
            "links": {
                "type": "object",
                "required": ["self"],
                "properties": {"self": {"type": "string"}},
            },
        },
    }


def problem() -> dict[str, Any]:
    """Every error's body (RFC 9457), with the order's problems when it breaks the rules."""
    return {
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


def schemas() -> dict[str, Any]:
    """The document's components/schemas, by the names its references use."""
    return {
        "OrderRequest": order_request(),
        "Order": order(),
        "Accepted": accepted(),
        "Problem": problem(),
    }
