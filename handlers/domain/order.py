"""The order domain: typed models, input rules and business rules. Pure: no I/O, no AWS.

Money is exact (handlers.domain.money): on the wire an amount is a decimal *string* ("12.50"); a JSON number is
refused so that no float ever touches a price. Text is checked as text: codes are full-string ASCII matches,
identifiers hold no control, format (zero-width) or separator characters, and every field has a length limit (the
MAX_* constants and *_PATTERNs below, which the OpenAPI document is built from and the README's input rules quote).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from handlers.domain.currencies import MINOR_UNITS
from handlers.domain.errors import OrderValidationError
from handlers.domain.money import MAX_AMOUNT, AmountError, Money, decimals, in_minor_units, parse_amount

MAX_ITEMS = 100
MAX_QUANTITY = 1000
MAX_CUSTOMER_ID_LENGTH = 128
MAX_SKU_LENGTH = 64
MAX_ADDRESS_TEXT_LENGTH = 128
MAX_POSTAL_CODE_LENGTH = 16
# RFC 5321: a forward path holds at most 256 octets, the address itself 254; the local part at most 64.
MAX_EMAIL_LENGTH = 254
MAX_IDEMPOTENCY_KEY_LENGTH = 255

# Patterns are matched against the whole string (fullmatch) with ASCII semantics: `$` would also match before a
# trailing newline, and `\d` would take Arabic-Indic or full-width digits.
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

_CURRENCY = re.compile(CURRENCY_PATTERN, re.ASCII)
_COUNTRY = re.compile(COUNTRY_PATTERN, re.ASCII)
_POSTAL_CODE = re.compile(POSTAL_CODE_PATTERN, re.ASCII)
_EMAIL = re.compile(EMAIL_PATTERN, re.ASCII)
_IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN, re.ASCII)
_ORDER_ID = re.compile(ORDER_ID_PATTERN, re.ASCII)
_CORRELATION_ID = re.compile(CORRELATION_ID_PATTERN, re.ASCII)
MAX_LOCAL_PART = 64

# Joiners some scripts need inside words (Persian, Indic, emoji sequences); free text may hold them, identifiers not.
_JOINERS = frozenset({"\u200c", "\u200d"})

ORDER_FIELDS = frozenset({"customerId", "items", "currency", "shippingAddress", "email"})
ITEM_FIELDS = frozenset({"sku", "quantity", "unitPrice"})
ADDRESS_FIELDS = frozenset({"line1", "line2", "city", "postalCode", "country"})
# A field name echoed in an error is cut to this many characters: a client's 60 KB key is not sent back whole.
MAX_PATH_ECHO = 64


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    CREATED = "CREATED"
    QUEUED = "QUEUED"
    PROCESSING = "PROCESSING"
    FULFILLED = "FULFILLED"
    FAILED = "FAILED"
    # An operator re-runs a FAILED order (`orderflow rerun`): the next execution's CreateOrder takes it over.
    REDRIVING = "REDRIVING"


@dataclass(frozen=True)
class Address:
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str | None = None

    def to_dict(self) -> dict[str, str]:
        out = {
            "line1": self.line1,
            "city": self.city,
            "postalCode": self.postal_code,
            "country": self.country,
        }
        if self.line2 is not None:
            out["line2"] = self.line2
        return out


@dataclass(frozen=True)
class OrderItem:
    sku: str
    quantity: int
    unit_price: Decimal

    def line_total(self, currency: str) -> Money:
        return Money(self.unit_price, currency).times(self.quantity)

    def to_dict(self, currency: str) -> dict[str, Any]:
        return {"sku": self.sku, "quantity": self.quantity, "unitPrice": in_minor_units(self.unit_price, currency)}


@dataclass(frozen=True)
class Order:
    customer_id: str
    items: tuple[OrderItem, ...]
    currency: str
    shipping_address: Address | None = None
    email: str | None = None

    @property
    def total(self) -> Money:
        total = Money.zero(self.currency)
        for item in self.items:
            total += item.line_total(self.currency)
        return total

    def to_dict(self) -> dict[str, Any]:
        """The wire form: JSON-safe, amounts as decimal strings in the currency's minor units."""
        out: dict[str, Any] = {
            "customerId": self.customer_id,
            "items": [item.to_dict(self.currency) for item in self.items],
            "currency": self.currency,
        }
        if self.shipping_address is not None:
            out["shippingAddress"] = self.shipping_address.to_dict()
        if self.email is not None:
            out["email"] = self.email
        return out


class _Problems:
    """Collects every problem with its field path, so a client learns all of them in one answer."""

    def __init__(self) -> None:
        self.errors: list[dict[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.errors.append({"path": path, "message": message})

    def raise_if_any(self) -> None:
        if self.errors:
            raise OrderValidationError(self.errors)


def _printable(value: str, *, joiners: bool) -> bool:
    """No control, format (zero-width, bidi overrides), surrogate, private-use, unassigned or separator characters
    other than the ASCII space (str.isprintable's definition); free text may keep the zero-width joiners."""
    if value.isprintable():
        return True
    return joiners and all(ch.isprintable() or ch in _JOINERS for ch in value)


def _text(
    problems: _Problems,
    data: Mapping[str, Any],
    key: str,
    path: str,
    *,
    required: bool,
    max_length: int,
    identifier: bool = False,
) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            problems.add(path, "is required")
        return None
    if not isinstance(value, str) or not value.strip():
        problems.add(path, "must be a non-empty string")
        return None
    if len(value) > max_length:
        problems.add(path, f"must be at most {max_length} characters")
        return None
    if value != value.strip():
        problems.add(path, "must not start or end with white space")
        return None
    if not _printable(value, joiners=not identifier):
        problems.add(path, "must not contain control, zero-width or other invisible characters")
        return None
    return value


def _shown(key: str) -> str:
    return key if len(key) <= MAX_PATH_ECHO else key[:MAX_PATH_ECHO] + "…"


def _unknown(problems: _Problems, data: Mapping[str, Any], allowed: frozenset[str], prefix: str) -> None:
    for key in sorted(set(data) - allowed):
        problems.add(f"{prefix}{_shown(key)}", "is not a known field")


def _object(problems: _Problems, raw: Any, path: str, fields: frozenset[str]) -> int | None:
    """None (and a problem) when `raw` is not an object; else the problem count before its own fields are read
    (its unknown fields are problems already)."""
    if not isinstance(raw, dict):
        problems.add(path, "must be an object")
        return None
    before = len(problems.errors)
    _unknown(problems, raw, fields, f"{path}.")
    return before


def _item(problems: _Problems, raw: Any, path: str) -> OrderItem | None:
    if (before := _object(problems, raw, path, ITEM_FIELDS)) is None:
        return None
    sku = _text(problems, raw, "sku", f"{path}.sku", required=True, max_length=MAX_SKU_LENGTH, identifier=True)
    quantity = raw.get("quantity")
    if quantity is None:
        problems.add(f"{path}.quantity", "is required")
    elif isinstance(quantity, bool) or not isinstance(quantity, int):
        problems.add(f"{path}.quantity", "must be an integer")
    elif not 1 <= quantity <= MAX_QUANTITY:
        problems.add(f"{path}.quantity", f"must be between 1 and {MAX_QUANTITY}")
    price: Decimal | None = None
    if "unitPrice" not in raw:
        problems.add(f"{path}.unitPrice", "is required")
    else:
        try:
            price = parse_amount(raw["unitPrice"])
        except AmountError as e:
            problems.add(f"{path}.unitPrice", str(e))
    if len(problems.errors) > before or sku is None or price is None or not isinstance(quantity, int):
        return None
    return OrderItem(sku=sku, quantity=quantity, unit_price=price)


def _address(problems: _Problems, raw: Any, path: str) -> Address | None:
    if (before := _object(problems, raw, path, ADDRESS_FIELDS)) is None:
        return None
    line1 = _text(problems, raw, "line1", f"{path}.line1", required=True, max_length=MAX_ADDRESS_TEXT_LENGTH)
    line2 = _text(problems, raw, "line2", f"{path}.line2", required=False, max_length=MAX_ADDRESS_TEXT_LENGTH)
    city = _text(problems, raw, "city", f"{path}.city", required=True, max_length=MAX_ADDRESS_TEXT_LENGTH)
    postal_code = _code(problems, raw, "postalCode", f"{path}.postalCode", _POSTAL_CODE, "a postal code such as 10115")
    country = _code(problems, raw, "country", f"{path}.country", _COUNTRY, 'an ISO 3166-1 alpha-2 code such as "DE"')
    if len(problems.errors) > before or None in (line1, city, postal_code, country):
        return None
    return Address(line1=str(line1), city=str(city), postal_code=str(postal_code), country=str(country), line2=line2)


def _code(
    problems: _Problems, data: Mapping[str, Any], key: str, path: str, pattern: re.Pattern[str], what: str
) -> str | None:
    value = data.get(key)
    if value is None:
        problems.add(path, "is required")
        return None
    if not isinstance(value, str) or not pattern.fullmatch(value):
        problems.add(path, f"must be {what}")
        return None
    return value


def _email(problems: _Problems, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_EMAIL_LENGTH:
        problems.add("email", f"must be an email address of at most {MAX_EMAIL_LENGTH} characters")
        return None
    if not _EMAIL.fullmatch(value) or len(value.partition("@")[0]) > MAX_LOCAL_PART:
        problems.add("email", "must be an email address such as ada@example.com")
        return None
    return value


def _check_totals(problems: _Problems, items: list[OrderItem], currency: str) -> None:
    """Every line total and the order total are below MAX_AMOUNT (a price alone already is)."""
    total = Money.zero(currency)
    for index, item in enumerate(items):
        line = item.line_total(currency)
        if not line.within_bounds:
            problems.add(f"items[{index}]", f"the line total (unitPrice x quantity) must be below {MAX_AMOUNT:,}")
        total += line
    if items and not total.within_bounds:
        problems.add("items", f"the order total must be below {MAX_AMOUNT:,}")


def parse_order(payload: Any) -> Order:
    """Shape and type rules. Raises OrderValidationError listing every problem with its field path."""
    problems = _Problems()
    if not isinstance(payload, dict):
        problems.add("$", "the order must be a JSON object")
        problems.raise_if_any()
    _unknown(problems, payload, ORDER_FIELDS, "")
    customer_id = _text(
        problems, payload, "customerId", "customerId", required=True, max_length=MAX_CUSTOMER_ID_LENGTH, identifier=True
    )
    currency = _code(problems, payload, "currency", "currency", _CURRENCY, 'a three-letter ISO 4217 code such as "EUR"')

    items: list[OrderItem] = []
    raw_items = payload.get("items")
    if raw_items is None:
        problems.add("items", "is required")
    elif not isinstance(raw_items, list):
        problems.add("items", "must be an array")
    elif not 1 <= len(raw_items) <= MAX_ITEMS:
        problems.add("items", f"must hold between 1 and {MAX_ITEMS} items")
    else:
        for index, raw in enumerate(raw_items):
            item = _item(problems, raw, f"items[{index}]")
            if item is not None:
                items.append(item)
        if len(items) == len(raw_items):
            _check_totals(problems, items, currency or "")

    address = None
    if payload.get("shippingAddress") is not None:
        address = _address(problems, payload["shippingAddress"], "shippingAddress")
    email = _email(problems, payload.get("email"))

    problems.raise_if_any()
    return Order(
        customer_id=str(customer_id),
        items=tuple(items),
        currency=str(currency),
        shipping_address=address,
        email=email,
    )


def order_payload(order: Order) -> dict[str, Any]:
    """The order as an execution's input carries it: the wire form, and its total (what alerts show) in the
    currency's minor units. The API starts executions with it, and a rerun rebuilds it from the orders table."""
    return {"total": order.total.wire(), "order": order.to_dict()}


def order_of_record(record: Mapping[str, Any]) -> Order | None:
    """The order an orders-table record holds (CreateOrder wrote it), read by the input rules again; None when the
    record holds only a failure (the order failed before CreateOrder wrote it)."""
    if not record.get("items"):
        return None
    stored = {
        "customerId": record.get("customerId"),
        "currency": record.get("currency"),
        # DynamoDB keeps amounts normalized (12.50 as 12.5): the rules read them back as the decimal text they are.
        "items": [{**item, "unitPrice": str(item.get("unitPrice"))} for item in record["items"]],
    }
    for field in ("shippingAddress", "email"):
        if record.get(field) is not None:
            stored[field] = record[field]
    return parse_order(stored)


def check_business_rules(order: Order) -> None:
    """Rules beyond shape, checked by ValidateOrder. Raises OrderValidationError."""
    problems = _Problems()
    places = MINOR_UNITS.get(order.currency)
    if places is None:
        problems.add("currency", f"{order.currency} is not an ISO 4217 currency code")
    else:
        for index, item in enumerate(order.items):
            if decimals(item.unit_price) > places:
                problems.add(
                    f"items[{index}].unitPrice",
                    f"{order.currency} amounts have {places} decimal places, got {item.unit_price}",
                )
    seen: dict[str, int] = {}
    for index, item in enumerate(order.items):
        if item.sku in seen:
            problems.add(f"items[{index}].sku", f"duplicates items[{seen[item.sku]}]; merge the quantities")
        seen.setdefault(item.sku, index)
    problems.raise_if_any()


def validate_idempotency_key(key: str | None) -> str:
    """Raises ValueError with the reason when the key is missing or malformed."""
    if key is None or not key.strip():
        raise ValueError("the Idempotency-Key header is required")
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise ValueError(
            f"the Idempotency-Key header must be 1..{MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters"
        )
    return key


def is_order_id(value: str) -> bool:
    return bool(_ORDER_ID.fullmatch(value))


def valid_correlation_id(value: str | None) -> str | None:
    """The caller's X-Correlation-Id if it is one we may log and show, else None (the API then makes one)."""
    return value if value is not None and _CORRELATION_ID.fullmatch(value) else None


def scoped_idempotency_key(caller: str, key: str) -> str:
    """The key as the caller's own: a hash of both, so that no (caller, key) pair spells another's (a `|` in a key
    could, if they were joined as text), and of one fixed length whatever the caller's ARN."""
    return "key_" + hashlib.sha256(json.dumps([caller, key]).encode("utf-8")).hexdigest()


def new_order_id() -> str:
    """A fresh order id: 130 random bits in 26 base32 characters. The API reserves one per Idempotency-Key window
    (workflow: the execution is named after it), so a key reused after its 24 hours names a new order."""
    return "ord_" + base64.b32encode(secrets.token_bytes(20)).decode("ascii").lower()[:26]


def request_hash(payload: Any) -> str:
    """A fingerprint of a request body, insensitive to key order and white space."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def is_express_arn(execution_arn: str) -> bool:
    """An Express execution's ARN (`arn:...:states:<region>:<account>:express:<machine>:<name>:<id>`)."""
    parts = execution_arn.split(":")
    return len(parts) > 8 and parts[5] == "express"


def execution_name(execution_arn: str) -> str:
    """The name an execution was started with, from its ARN of either type (`...:<machine>:<name>[:<id>]`)."""
    parts = execution_arn.split(":")
    return parts[7] if len(parts) > 7 else parts[-1]


def execution_arn(state_machine_arn: str, execution_name: str) -> str:
    """`...:stateMachine:<sm>[:<alias or version>]` -> `...:execution:<sm>:<name>`: executions started through an
    alias or a version belong to the state machine itself. Raises ValueError for any other ARN."""
    prefix, found, qualified = state_machine_arn.rpartition(":stateMachine:")
    if not found or not prefix:
        raise ValueError(f"not a state machine ARN: {state_machine_arn}")
    return f"{prefix}:execution:{qualified.split(':', 1)[0]}:{execution_name}"
