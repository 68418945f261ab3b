"""The order: its model (OrderStatus, Order, OrderItem, Address), its wire form and the business rules beyond its
shape. Pure: no I/O, no AWS. Reading untrusted input into it is handlers.domain.order_input's; identifiers are
handlers.domain.identifiers'.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Any

from handlers.domain.currencies import MINOR_UNITS
from handlers.domain.errors import Problems
from handlers.domain.money import Money, decimals, in_minor_units


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


def order_payload(order: Order) -> dict[str, Any]:
    """The order as an execution's input carries it: the wire form, and its total (what alerts show) in the
    currency's minor units. The API starts executions with it, and a rerun rebuilds it from the orders table."""
    return {"total": order.total.wire(), "order": order.to_dict()}


def check_business_rules(order: Order) -> None:
    """Rules beyond shape, checked by ValidateOrder. Raises OrderValidationError."""
    problems = Problems()
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
