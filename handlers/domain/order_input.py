"""Input rules: untrusted JSON (a request body, a task's input, an orders-table record) read into the order model.

Money is exact (handlers.domain.money): on the wire an amount is a decimal *string* ("12.50"); a JSON number is
refused so that no float ever touches a price. Text is checked as text: codes are full-string ASCII matches,
identifiers hold no control, format (zero-width) or separator characters, and every field has a length limit (the
contract's MAX_* constants and *_PATTERNs, which the OpenAPI document is built from and docs/api.md quotes).
Every problem is reported at once, each with its field path (OrderValidationError).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from handlers.domain.contract import (
    COUNTRY_PATTERN,
    CURRENCY_PATTERN,
    EMAIL_PATTERN,
    MAX_ADDRESS_TEXT_LENGTH,
    MAX_CUSTOMER_ID_LENGTH,
    MAX_EMAIL_LENGTH,
    MAX_ITEMS,
    MAX_LOCAL_PART,
    MAX_QUANTITY,
    MAX_SKU_LENGTH,
    POSTAL_CODE_PATTERN,
)
from handlers.domain.errors import Problems
from handlers.domain.money import MAX_AMOUNT, AmountError, Money, parse_amount
from handlers.domain.order import Address, Order, OrderItem

_CURRENCY = re.compile(CURRENCY_PATTERN, re.ASCII)
_COUNTRY = re.compile(COUNTRY_PATTERN, re.ASCII)
_POSTAL_CODE = re.compile(POSTAL_CODE_PATTERN, re.ASCII)
_EMAIL = re.compile(EMAIL_PATTERN, re.ASCII)

# Joiners some scripts need inside words (Persian, Indic, emoji sequences); free text may hold them, identifiers not.
_JOINERS = frozenset({"\u200c", "\u200d"})

ORDER_FIELDS = frozenset({"customerId", "items", "currency", "shippingAddress", "email"})
ITEM_FIELDS = frozenset({"sku", "quantity", "unitPrice"})
ADDRESS_FIELDS = frozenset({"line1", "line2", "city", "postalCode", "country"})
# A field name echoed in an error is cut to this many characters: a client's 60 KB key is not sent back whole.
MAX_PATH_ECHO = 64


def _printable(value: str, *, joiners: bool) -> bool:
    """No control, format (zero-width, bidi overrides), surrogate, private-use, unassigned or separator characters
    other than the ASCII space (str.isprintable's definition); free text may keep the zero-width joiners."""
    if value.isprintable():
        return True
    return joiners and all(ch.isprintable() or ch in _JOINERS for ch in value)


def _text(
    problems: Problems,
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


def _unknown(problems: Problems, data: Mapping[str, Any], allowed: frozenset[str], prefix: str) -> None:
    for key in sorted(set(data) - allowed):
        problems.add(f"{prefix}{_shown(key)}", "is not a known field")


def _object(problems: Problems, raw: Any, path: str, fields: frozenset[str]) -> int | None:
    """None (and a problem) when `raw` is not an object; else the problem count before its own fields are read
    (its unknown fields are problems already)."""
    if not isinstance(raw, dict):
        problems.add(path, "must be an object")
        return None
    before = len(problems.errors)
    _unknown(problems, raw, fields, f"{path}.")
    return before


def _item(problems: Problems, raw: Any, path: str) -> OrderItem | None:
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


def _address(problems: Problems, raw: Any, path: str) -> Address | None:
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
    problems: Problems, data: Mapping[str, Any], key: str, path: str, pattern: re.Pattern[str], what: str
) -> str | None:
    value = data.get(key)
    if value is None:
        problems.add(path, "is required")
        return None
    if not isinstance(value, str) or not pattern.fullmatch(value):
        problems.add(path, f"must be {what}")
        return None
    return value


def _email(problems: Problems, value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_EMAIL_LENGTH:
        problems.add("email", f"must be an email address of at most {MAX_EMAIL_LENGTH} characters")
        return None
    if not _EMAIL.fullmatch(value) or len(value.partition("@")[0]) > MAX_LOCAL_PART:
        problems.add("email", "must be an email address such as ada@example.com")
        return None
    return value


def _check_totals(problems: Problems, items: list[OrderItem], currency: str) -> None:
    """Every line total and the order total are below MAX_AMOUNT (a price alone already is)."""
    total = Money.zero(currency)
    for index, item in enumerate(items):
        line = item.line_total(currency)
        if not line.within_bounds:
            problems.add(f"items[{index}]", f"the line total (unitPrice x quantity) must be below {MAX_AMOUNT:,}")
        total += line
    if items and not total.within_bounds:
        problems.add("items", f"the order total must be below {MAX_AMOUNT:,}")


def _items(problems: Problems, raw_items: Any, currency: str | None) -> list[OrderItem]:
    items: list[OrderItem] = []
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
    return items


def parse_order(payload: Any) -> Order:
    """Shape and type rules. Raises OrderValidationError listing every problem with its field path."""
    problems = Problems()
    if not isinstance(payload, dict):
        problems.add("$", "the order must be a JSON object")
        problems.raise_if_any()
    _unknown(problems, payload, ORDER_FIELDS, "")
    customer_id = _text(
        problems, payload, "customerId", "customerId", required=True, max_length=MAX_CUSTOMER_ID_LENGTH, identifier=True
    )
    currency = _code(problems, payload, "currency", "currency", _CURRENCY, 'a three-letter ISO 4217 code such as "EUR"')
    items = _items(problems, payload.get("items"), currency)
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
