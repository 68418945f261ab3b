"""The order model of handlers.domain.order: its statuses, wire form, execution payload and business rules."""

from __future__ import annotations

from decimal import Decimal

import pytest

from handlers.domain.errors import OrderValidationError
from handlers.domain.money import Money
from handlers.domain.order import Address, Order, OrderItem, OrderStatus, check_business_rules, order_payload

EQUIVALENT_MUTANTS: dict[str, str] = {}

ADDRESS = Address(line1="Main St 1", city="Berlin", postal_code="10115", country="DE")


def rule_errors(order: Order) -> list[dict[str, str]]:
    with pytest.raises(OrderValidationError) as caught:
        check_business_rules(order)
    return caught.value.errors


def test_statuses_are_stored_by_their_names() -> None:
    # The orders table, the workflow's conditions and GET /orders carry these strings.
    assert [status.value for status in OrderStatus] == [
        "PENDING",
        "CREATED",
        "QUEUED",
        "PROCESSING",
        "FULFILLED",
        "FAILED",
        "REDRIVING",
    ]
    assert OrderStatus("FAILED") is OrderStatus.FAILED
    assert f"{OrderStatus.QUEUED}" == "QUEUED"


def test_an_address_wire_form_names_its_fields() -> None:
    assert ADDRESS.to_dict() == {"line1": "Main St 1", "city": "Berlin", "postalCode": "10115", "country": "DE"}
    with_line2 = Address(line1="Main St 1", city="Berlin", postal_code="10115", country="DE", line2="Hinterhaus")
    assert with_line2.to_dict() == {
        "line1": "Main St 1",
        "line2": "Hinterhaus",
        "city": "Berlin",
        "postalCode": "10115",
        "country": "DE",
    }


def test_an_item_s_line_total_and_wire_form() -> None:
    item = OrderItem(sku="A", quantity=3, unit_price=Decimal("0.1"))
    assert item.line_total("EUR") == Money(Decimal("0.3"), "EUR")
    assert item.to_dict("EUR") == {"sku": "A", "quantity": 3, "unitPrice": "0.10"}
    assert item.to_dict("JPY") == {"sku": "A", "quantity": 3, "unitPrice": "0.1"}
    assert item.to_dict("KWD") == {"sku": "A", "quantity": 3, "unitPrice": "0.100"}


def test_the_total_sums_every_line_in_the_order_s_currency() -> None:
    order = Order(
        customer_id="c-1",
        items=(OrderItem("A", 2, Decimal("12.50")), OrderItem("B", 1, Decimal("0.99"))),
        currency="USD",
    )
    assert order.total == Money(Decimal("25.99"), "USD")
    assert Order(customer_id="c-1", items=(), currency="EUR").total == Money(Decimal(0), "EUR")


def test_the_wire_form_and_the_execution_payload() -> None:
    order = Order(
        customer_id="c-1",
        items=(OrderItem("A", 2, Decimal("12.5")), OrderItem("B", 1, Decimal("1"))),
        currency="EUR",
        shipping_address=ADDRESS,
        email="ada@example.com",
    )
    wire = {
        "customerId": "c-1",
        "items": [{"sku": "A", "quantity": 2, "unitPrice": "12.50"}, {"sku": "B", "quantity": 1, "unitPrice": "1.00"}],
        "currency": "EUR",
        "shippingAddress": {"line1": "Main St 1", "city": "Berlin", "postalCode": "10115", "country": "DE"},
        "email": "ada@example.com",
    }
    assert order.to_dict() == wire
    assert order_payload(order) == {"total": "26.00", "order": wire}


def test_the_wire_form_leaves_out_what_the_order_lacks() -> None:
    order = Order(customer_id="c-9", items=(OrderItem("A", 1, Decimal("2400")),), currency="JPY")
    assert order_payload(order) == {
        "total": "2400",
        "order": {"customerId": "c-9", "items": [{"sku": "A", "quantity": 1, "unitPrice": "2400"}], "currency": "JPY"},
    }


def test_a_valid_order_passes_the_business_rules() -> None:
    check_business_rules(Order("c-1", (OrderItem("A", 1, Decimal("1.005")), OrderItem("B", 1, Decimal(2))), "BHD"))
    check_business_rules(Order("c-1", (OrderItem("A", 1, Decimal("100.00")),), "JPY"))


def test_prices_with_more_places_than_the_currency_has_are_refused_each() -> None:
    order = Order(
        "c-1",
        (OrderItem("A", 1, Decimal("1.00")), OrderItem("B", 1, Decimal("1.005")), OrderItem("C", 1, Decimal("0.1"))),
        "JPY",
    )
    assert rule_errors(order) == [
        {"path": "items[1].unitPrice", "message": "JPY amounts have 0 decimal places, got 1.005"},
        {"path": "items[2].unitPrice", "message": "JPY amounts have 0 decimal places, got 0.1"},
    ]
    eur = Order("c-1", (OrderItem("A", 1, Decimal("9.999")),), "EUR")
    assert rule_errors(eur) == [
        {"path": "items[0].unitPrice", "message": "EUR amounts have 2 decimal places, got 9.999"}
    ]


def test_an_unknown_currency_is_refused_once_whatever_its_prices() -> None:
    order = Order("c-1", (OrderItem("A", 1, Decimal("1.00001")),), "XYZ")
    assert rule_errors(order) == [{"path": "currency", "message": "XYZ is not an ISO 4217 currency code"}]


def test_every_duplicate_sku_names_its_first_line() -> None:
    order = Order(
        "c-1",
        (
            OrderItem("A", 1, Decimal(1)),
            OrderItem("B", 1, Decimal(1)),
            OrderItem("A", 2, Decimal(1)),
            OrderItem("B", 1, Decimal(1)),
            OrderItem("A", 1, Decimal(1)),
        ),
        "EUR",
    )
    assert rule_errors(order) == [
        {"path": "items[2].sku", "message": "duplicates items[0]; merge the quantities"},
        {"path": "items[3].sku", "message": "duplicates items[1]; merge the quantities"},
        {"path": "items[4].sku", "message": "duplicates items[0]; merge the quantities"},
    ]


def test_both_rules_are_reported_together() -> None:
    order = Order("c-1", (OrderItem("A", 1, Decimal("0.5")), OrderItem("A", 1, Decimal(1))), "ISK")
    assert rule_errors(order) == [
        {"path": "items[0].unitPrice", "message": "ISK amounts have 0 decimal places, got 0.5"},
        {"path": "items[1].sku", "message": "duplicates items[0]; merge the quantities"},
    ]
