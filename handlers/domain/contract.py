"""The orders API's contract, as data: its routes, the statuses it answers with, and the limits and patterns of every
field it reads. The input rules (order_input, identifiers) enforce them; workflow.openapi builds docs/openapi.json
from them; workflow.manifest, the local API and infra route API Gateway by ROUTES and DEFAULT_ROUTE.

Patterns are matched against the whole string (fullmatch) with ASCII semantics: `$` would also match before a
trailing newline, and `\\d` would take Arabic-Indic or full-width digits.
"""

from __future__ import annotations

from handlers.domain.order import OrderStatus

__all__ = [
    "CORRELATION_ID_PATTERN",
    "COUNTRY_PATTERN",
    "CURRENCY_PATTERN",
    "DEFAULT_ROUTE",
    "EMAIL_PATTERN",
    "IDEMPOTENCY_KEY_PATTERN",
    "MAX_ADDRESS_TEXT_LENGTH",
    "MAX_CUSTOMER_ID_LENGTH",
    "MAX_EMAIL_LENGTH",
    "MAX_IDEMPOTENCY_KEY_LENGTH",
    "MAX_ITEMS",
    "MAX_LOCAL_PART",
    "MAX_POSTAL_CODE_LENGTH",
    "MAX_QUANTITY",
    "MAX_SKU_LENGTH",
    "ORDER_ID_PATTERN",
    "POSTAL_CODE_PATTERN",
    "ROUTES",
    "OrderStatus",
]

# The orders API's routes. API Gateway also sends `$default` - any request that matches none of them - to the same
# function, which answers it with a 404 or 405 problem body.
ROUTES = ("POST /orders", "GET /orders/{orderId}")
DEFAULT_ROUTE = "$default"

MAX_ITEMS = 100
MAX_QUANTITY = 1000
MAX_CUSTOMER_ID_LENGTH = 128
MAX_SKU_LENGTH = 64
MAX_ADDRESS_TEXT_LENGTH = 128
MAX_POSTAL_CODE_LENGTH = 16
# RFC 5321: a forward path holds at most 256 octets, the address itself 254; the local part at most 64.
MAX_EMAIL_LENGTH = 254
MAX_LOCAL_PART = 64
MAX_IDEMPOTENCY_KEY_LENGTH = 255

CURRENCY_PATTERN = r"[A-Z]{3}"
COUNTRY_PATTERN = r"[A-Z]{2}"
POSTAL_CODE_PATTERN = rf"[A-Za-z0-9](?:[A-Za-z0-9 -]{{0,{MAX_POSTAL_CODE_LENGTH - 2}}}[A-Za-z0-9])?"
EMAIL_PATTERN = (
    r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}"
)
IDEMPOTENCY_KEY_PATTERN = rf"[\x21-\x7e]{{1,{MAX_IDEMPOTENCY_KEY_LENGTH}}}"
ORDER_ID_PATTERN = r"ord_[a-z2-7]{26}"
# What may travel as X-Correlation-Id: it is logged on every line and shown in alerts, so nothing else is taken.
CORRELATION_ID_PATTERN = r"[A-Za-z0-9._-]{1,64}"
