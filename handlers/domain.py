"""The order domain: typed models, input rules and business rules. Pure: no I/O, no AWS.

Money is `Decimal` end to end. On the wire an amount is a decimal *string* ("12.50"); a JSON number is refused so
that no float ever touches a price.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from handlers.currencies import MINOR_UNITS
from handlers.errors import OrderValidationError

MAX_ITEMS = 100
MAX_QUANTITY = 1000
MAX_PRICE_DECIMALS = 2
MAX_ID_LENGTH = 128
MAX_IDEMPOTENCY_KEY_LENGTH = 255

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_CURRENCY_FORMAT = re.compile(r"^[A-Z]{3}$")
_COUNTRY_FORMAT = re.compile(r"^[A-Z]{2}$")
_IDEMPOTENCY_KEY = re.compile(r"^[\x21-\x7e]+$")
_DECIMAL_STRING = re.compile(r"^\d+(\.\d+)?$")

ORDER_FIELDS = frozenset({"customerId", "items", "currency", "shippingAddress", "email"})
ITEM_FIELDS = frozenset({"sku", "quantity", "unitPrice"})
ADDRESS_FIELDS = frozenset({"line1", "line2", "city", "postalCode", "country"})
ADDRESS_REQUIRED = ("line1", "city", "postalCode", "country")


class OrderStatus(StrEnum):
    PENDING = "PENDING"
    CREATED = "CREATED"
    QUEUED = "QUEUED"
    PROCESSING = "PROCESSING"
    FULFILLED = "FULFILLED"
    FAILED = "FAILED"
    # An operator re-runs a FAILED order (`orderflow redrive`): the next execution's CreateOrder takes it over.
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

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity

    def to_dict(self) -> dict[str, Any]:
        return {"sku": self.sku, "quantity": self.quantity, "unitPrice": str(self.unit_price)}


@dataclass(frozen=True)
class Order:
    customer_id: str
    items: tuple[OrderItem, ...]
    currency: str
    shipping_address: Address | None = None
    email: str | None = None

    @property
    def total(self) -> Decimal:
        return sum((item.line_total for item in self.items), Decimal("0"))

    def to_dict(self) -> dict[str, Any]:
        """The wire form: JSON-safe, amounts as decimal strings."""
        out: dict[str, Any] = {
            "customerId": self.customer_id,
            "items": [item.to_dict() for item in self.items],
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


def _text(problems: _Problems, data: Mapping[str, Any], key: str, path: str, *, required: bool) -> str | None:
    value = data.get(key)
    if value is None:
        if required:
            problems.add(path, "is required")
        return None
    if not isinstance(value, str) or not value.strip():
        problems.add(path, "must be a non-empty string")
        return None
    if len(value) > MAX_ID_LENGTH:
        problems.add(path, f"must be at most {MAX_ID_LENGTH} characters")
        return None
    return value


def _unknown(problems: _Problems, data: Mapping[str, Any], allowed: frozenset[str], prefix: str) -> None:
    for key in sorted(set(data) - allowed):
        problems.add(f"{prefix}{key}", "is not a known field")


def parse_price(value: Any) -> Decimal:
    """A price from its wire form. Raises ValueError with the reason."""
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError('must be a decimal string such as "12.50" (numbers are refused to avoid float rounding)')
    if not _DECIMAL_STRING.match(value):
        raise ValueError('must be a non-negative decimal string such as "12.50"')
    try:
        price = Decimal(value)
    except InvalidOperation as e:  # pragma: no cover - the pattern above already rules this out
        raise ValueError("is not a decimal number") from e
    exponent = price.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > MAX_PRICE_DECIMALS:
        raise ValueError(f"must have at most {MAX_PRICE_DECIMALS} decimal places")
    return price


def _item(problems: _Problems, raw: Any, path: str) -> OrderItem | None:
    if not isinstance(raw, dict):
        problems.add(path, "must be an object")
        return None
    before = len(problems.errors)
    _unknown(problems, raw, ITEM_FIELDS, f"{path}.")
    sku = _text(problems, raw, "sku", f"{path}.sku", required=True)
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
            price = parse_price(raw["unitPrice"])
        except ValueError as e:
            problems.add(f"{path}.unitPrice", str(e))
    if len(problems.errors) > before or sku is None or price is None:
        return None
    return OrderItem(sku=sku, quantity=int(quantity), unit_price=price)  # type: ignore[arg-type]


def _address(problems: _Problems, raw: Any, path: str) -> Address | None:
    if not isinstance(raw, dict):
        problems.add(path, "must be an object")
        return None
    before = len(problems.errors)
    _unknown(problems, raw, ADDRESS_FIELDS, f"{path}.")
    values = {key: _text(problems, raw, key, f"{path}.{key}", required=True) for key in ADDRESS_REQUIRED}
    line2 = _text(problems, raw, "line2", f"{path}.line2", required=False)
    country = values["country"]
    if country is not None and not _COUNTRY_FORMAT.match(country):
        problems.add(f"{path}.country", 'must be an ISO 3166-1 alpha-2 code such as "DE"')
    if len(problems.errors) > before:
        return None
    return Address(
        line1=str(values["line1"]),
        city=str(values["city"]),
        postal_code=str(values["postalCode"]),
        country=str(country),
        line2=line2,
    )


def parse_order(payload: Any) -> Order:
    """Shape and type rules. Raises OrderValidationError listing every problem with its field path."""
    problems = _Problems()
    if not isinstance(payload, dict):
        problems.add("$", "the order must be a JSON object")
        problems.raise_if_any()
    _unknown(problems, payload, ORDER_FIELDS, "")
    customer_id = _text(problems, payload, "customerId", "customerId", required=True)

    currency = payload.get("currency")
    if currency is None:
        problems.add("currency", "is required")
    elif not isinstance(currency, str) or not _CURRENCY_FORMAT.match(currency):
        problems.add("currency", 'must be a three-letter ISO 4217 code such as "EUR"')

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

    address = None
    if payload.get("shippingAddress") is not None:
        address = _address(problems, payload["shippingAddress"], "shippingAddress")

    email = payload.get("email")
    if email is not None and (not isinstance(email, str) or not _EMAIL.match(email)):
        problems.add("email", "must be an email address")

    problems.raise_if_any()
    return Order(
        customer_id=str(customer_id),
        items=tuple(items),
        currency=str(currency),
        shipping_address=address,
        email=email,
    )


def check_business_rules(order: Order) -> None:
    """Rules beyond shape, checked by ValidateOrder. Raises OrderValidationError."""
    problems = _Problems()
    decimals = MINOR_UNITS.get(order.currency)
    if decimals is None:
        problems.add("currency", f"{order.currency} is not an ISO 4217 currency code")
    else:
        for index, item in enumerate(order.items):
            exponent = item.unit_price.normalize().as_tuple().exponent
            if isinstance(exponent, int) and -exponent > decimals:
                problems.add(
                    f"items[{index}].unitPrice",
                    f"{order.currency} amounts have {decimals} decimal places, got {item.unit_price}",
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
    if len(key) > MAX_IDEMPOTENCY_KEY_LENGTH or not _IDEMPOTENCY_KEY.match(key):
        raise ValueError(
            f"the Idempotency-Key header must be 1..{MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters"
        )
    return key


def new_order_id() -> str:
    """A fresh order id: 130 random bits in 26 base32 characters. The API reserves one per Idempotency-Key window
    (workflow: the execution is named after it), so a key reused after its 24 hours names a new order."""
    return "ord_" + base64.b32encode(secrets.token_bytes(20)).decode("ascii").lower()[:26]


def request_hash(payload: Any) -> str:
    """A fingerprint of a request body, insensitive to key order and white space."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()
