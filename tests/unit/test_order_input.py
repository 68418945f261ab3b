"""The input rules of handlers.domain.order_input: each field's exact limits and messages, and records read back."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from handlers.domain.errors import OrderValidationError
from handlers.domain.order import Address, Order, OrderItem
from handlers.domain.order_input import order_of_record, parse_order

EQUIVALENT_MUTANTS: dict[str, str] = {
    "handlers.domain.order_input.x__address__mutmut_31": "required=None is falsy, the same as required=False",
    "handlers.domain.order_input.x__address__mutmut_94": (
        "an address is built anyway only when a problem exists, and parse_order then raises before using it"
    ),
    "handlers.domain.order_input.x__item__mutmut_56": 'price stays "" only when unitPrice is missing: a problem',
    "handlers.domain.order_input.x__item__mutmut_77": "a None sku or price, a non-int quantity: each added a problem",
    "handlers.domain.order_input.x__item__mutmut_78": "a None sku or price, a non-int quantity: each added a problem",
    "handlers.domain.order_input.x__items__mutmut_43": "the totals check never shows the currency it is given",
    "handlers.domain.order_input.x__items__mutmut_47": "the totals check never shows the currency it is given",
    "handlers.domain.order_input.x__items__mutmut_48": "the totals check never shows the currency it is given",
    "handlers.domain.order_input.x_parse_order__mutmut_66": "the totals check never shows the currency it is given",
}

ITEM = {"sku": "A", "quantity": 1, "unitPrice": "1"}
ADDRESS = {"line1": "Main St 1", "city": "Berlin", "postalCode": "10115", "country": "DE"}


def order(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {"customerId": "c-1", "currency": "EUR", "items": [dict(ITEM)]}
    base.update(overrides)
    return {key: value for key, value in base.items() if value is not ...}


def errors(payload: Any) -> list[dict[str, str]]:
    with pytest.raises(OrderValidationError) as caught:
        parse_order(payload)
    return caught.value.errors


def error(path: str, message: str) -> list[dict[str, str]]:
    return [{"path": path, "message": message}]


def test_a_full_order_is_read_field_by_field() -> None:
    parsed = parse_order(
        order(
            items=[
                {"sku": "A-1", "quantity": 2, "unitPrice": "12.50"},
                {"sku": "B", "quantity": 1000, "unitPrice": "0"},
            ],
            shippingAddress={**ADDRESS, "line2": "Hinterhaus"},
            email="ada@example.com",
        )
    )
    assert parsed == Order(
        customer_id="c-1",
        items=(
            OrderItem(sku="A-1", quantity=2, unit_price=Decimal("12.50")),
            OrderItem(sku="B", quantity=1000, unit_price=Decimal("0")),
        ),
        currency="EUR",
        shipping_address=Address(
            line1="Main St 1", city="Berlin", postal_code="10115", country="DE", line2="Hinterhaus"
        ),
        email="ada@example.com",
    )
    assert str(parsed.items[0].unit_price) == "12.50"


def test_optional_fields_may_be_missing_or_null() -> None:
    expected = Order(customer_id="c-1", items=(OrderItem("A", 1, Decimal(1)),), currency="EUR")
    assert parse_order(order()) == expected
    assert parse_order(order(shippingAddress=None, email=None)) == expected
    parsed = parse_order(order(shippingAddress=ADDRESS))
    assert parsed.shipping_address == Address(line1="Main St 1", city="Berlin", postal_code="10115", country="DE")
    assert parsed.shipping_address.line2 is None


@pytest.mark.parametrize("payload", [[1, 2], "abc", None, 12])
def test_a_payload_that_is_no_object_is_one_problem(payload: Any) -> None:
    assert errors(payload) == error("$", "the order must be a JSON object")


def test_an_empty_object_lists_every_required_field() -> None:
    assert errors({}) == [
        {"path": "customerId", "message": "is required"},
        {"path": "currency", "message": "is required"},
        {"path": "items", "message": "is required"},
    ]


@pytest.mark.parametrize(
    ("customer_id", "message"),
    [
        (..., "is required"),
        (None, "is required"),
        ("", "must be a non-empty string"),
        ("   ", "must be a non-empty string"),
        (12, "must be a non-empty string"),
        (["c-1"], "must be a non-empty string"),
        ("c" * 129, "must be at most 128 characters"),
        (" c-1", "must not start or end with white space"),
        ("c-1 ", "must not start or end with white space"),
        ("c-1\n", "must not start or end with white space"),
        ("c\u200d1", "must not contain control, zero-width or other invisible characters"),
        ("c\u200c1", "must not contain control, zero-width or other invisible characters"),
        ("c\x001", "must not contain control, zero-width or other invisible characters"),
    ],
)
def test_customer_id_rules(customer_id: Any, message: str) -> None:
    assert errors(order(customerId=customer_id)) == error("customerId", message)


def test_customer_id_at_its_limit_is_kept() -> None:
    assert parse_order(order(customerId="c" * 128)).customer_id == "c" * 128


@pytest.mark.parametrize(
    ("item", "path", "message"),
    [
        ({"quantity": 1, "unitPrice": "1"}, "items[0].sku", "is required"),
        ({"sku": None, "quantity": 1, "unitPrice": "1"}, "items[0].sku", "is required"),
        ({**ITEM, "sku": ""}, "items[0].sku", "must be a non-empty string"),
        ({**ITEM, "sku": "S" * 65}, "items[0].sku", "must be at most 64 characters"),
        ({**ITEM, "sku": "A "}, "items[0].sku", "must not start or end with white space"),
        (
            {**ITEM, "sku": "A\u200dB"},
            "items[0].sku",
            "must not contain control, zero-width or other invisible characters",
        ),
        ({"sku": "A", "unitPrice": "1"}, "items[0].quantity", "is required"),
        ({**ITEM, "quantity": None}, "items[0].quantity", "is required"),
        ({**ITEM, "quantity": True}, "items[0].quantity", "must be an integer"),
        ({**ITEM, "quantity": 1.0}, "items[0].quantity", "must be an integer"),
        ({**ITEM, "quantity": "1"}, "items[0].quantity", "must be an integer"),
        ({**ITEM, "quantity": 0}, "items[0].quantity", "must be between 1 and 1000"),
        ({**ITEM, "quantity": -1}, "items[0].quantity", "must be between 1 and 1000"),
        ({**ITEM, "quantity": 1001}, "items[0].quantity", "must be between 1 and 1000"),
        ({"sku": "A", "quantity": 1}, "items[0].unitPrice", "is required"),
        (
            {**ITEM, "unitPrice": None},
            "items[0].unitPrice",
            'must be a decimal string such as "12.50" (numbers are refused to avoid float rounding)',
        ),
        (
            {**ITEM, "unitPrice": 1},
            "items[0].unitPrice",
            'must be a decimal string such as "12.50" (numbers are refused to avoid float rounding)',
        ),
        ({**ITEM, "unitPrice": "1.00001"}, "items[0].unitPrice", "must have at most 4 decimal places"),
        ({**ITEM, "note": 1}, "items[0].note", "is not a known field"),
    ],
)
def test_item_rules_name_the_field_and_the_rule(item: dict[str, Any], path: str, message: str) -> None:
    assert errors(order(items=[item])) == error(path, message)


@pytest.mark.parametrize(("sku", "quantity"), [("S" * 64, 1), ("S", 1000), ("A\u00e9", 1)])
def test_items_at_their_limits_are_kept(sku: str, quantity: int) -> None:
    (item,) = parse_order(order(items=[{"sku": sku, "quantity": quantity, "unitPrice": "1"}])).items
    assert item == OrderItem(sku=sku, quantity=quantity, unit_price=Decimal(1))


def test_every_problem_of_one_item_is_reported() -> None:
    assert errors(order(items=[{"sku": "", "quantity": 0, "unitPrice": 1, "x": 1}])) == [
        {"path": "items[0].x", "message": "is not a known field"},
        {"path": "items[0].sku", "message": "must be a non-empty string"},
        {"path": "items[0].quantity", "message": "must be between 1 and 1000"},
        {
            "path": "items[0].unitPrice",
            "message": 'must be a decimal string such as "12.50" (numbers are refused to avoid float rounding)',
        },
    ]


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ("A", "must be an array"),
        ({"sku": "A"}, "must be an array"),
        ([], "must hold between 1 and 100 items"),
        ([ITEM] * 101, "must hold between 1 and 100 items"),
    ],
)
def test_items_rules(items: Any, message: str) -> None:
    assert errors(order(items=items)) == error("items", message)


def test_a_hundred_items_are_kept() -> None:
    items = [{"sku": f"S{i}", "quantity": 1, "unitPrice": "1"} for i in range(100)]
    assert len(parse_order(order(items=items)).items) == 100


def test_an_item_that_is_no_object_is_named_by_its_index() -> None:
    assert errors(order(items=[ITEM, "x", None])) == [
        {"path": "items[1]", "message": "must be an object"},
        {"path": "items[2]", "message": "must be an object"},
    ]


def test_an_item_with_an_unknown_field_is_not_kept_even_when_its_fields_are_valid() -> None:
    assert errors(order(items=[ITEM, {**ITEM, "sku": "B", "extra": 1}])) == error(
        "items[1].extra", "is not a known field"
    )


def test_a_line_total_of_exactly_the_bound_is_refused() -> None:
    bound = "1,000,000,000,000,000"
    message = f"the line total (unitPrice x quantity) must be below {bound}"
    assert errors(order(items=[{"sku": "A", "quantity": 2, "unitPrice": "500000000000000"}])) == [
        {"path": "items[0]", "message": message},
        {"path": "items", "message": f"the order total must be below {bound}"},
    ]
    under = parse_order(order(items=[{"sku": "A", "quantity": 2, "unitPrice": "499999999999999.995"}]))
    assert under.total.amount == Decimal("999999999999999.990")


def test_an_order_total_of_exactly_the_bound_is_refused() -> None:
    half = {"quantity": 1, "unitPrice": "500000000000000"}
    assert errors(order(items=[{"sku": "A", **half}, {"sku": "B", **half}])) == error(
        "items", "the order total must be below 1,000,000,000,000,000"
    )
    just_under = [{"sku": "A", **half}, {"sku": "B", "quantity": 1, "unitPrice": "499999999999999.99"}]
    assert parse_order(order(items=just_under)).total.amount == Decimal("999999999999999.99")


def test_the_second_line_over_the_bound_is_named_by_its_index() -> None:
    assert errors(
        order(items=[ITEM, {"sku": "B", "quantity": 1000, "unitPrice": "1000000000000"}], currency="JPY")
    ) == [
        {"path": "items[1]", "message": "the line total (unitPrice x quantity) must be below 1,000,000,000,000,000"},
        {"path": "items", "message": "the order total must be below 1,000,000,000,000,000"},
    ]


def test_totals_are_not_checked_while_an_item_is_invalid() -> None:
    big = {"sku": "A", "quantity": 1000, "unitPrice": "999999999999999"}
    assert errors(order(items=[big, {**ITEM, "quantity": 0}])) == error(
        "items[1].quantity", "must be between 1 and 1000"
    )


def test_totals_are_checked_when_the_currency_is_invalid() -> None:
    big = {"sku": "A", "quantity": 2, "unitPrice": "999999999999999"}
    assert [e["path"] for e in errors(order(items=[big], currency=None))] == ["currency", "items[0]", "items"]


@pytest.mark.parametrize(
    ("currency", "message"),
    [
        (..., "is required"),
        (None, "is required"),
        ("", 'must be a three-letter ISO 4217 code such as "EUR"'),
        (978, 'must be a three-letter ISO 4217 code such as "EUR"'),
        ("EURO", 'must be a three-letter ISO 4217 code such as "EUR"'),
        ("eur", 'must be a three-letter ISO 4217 code such as "EUR"'),
    ],
)
def test_currency_rules(currency: Any, message: str) -> None:
    assert errors(order(currency=currency)) == error("currency", message)


@pytest.mark.parametrize(
    ("address", "path", "message"),
    [
        ("Main St 1", "shippingAddress", "must be an object"),
        ([ADDRESS], "shippingAddress", "must be an object"),
        ({**ADDRESS, "line1": None}, "shippingAddress.line1", "is required"),
        ({**ADDRESS, "line1": ""}, "shippingAddress.line1", "must be a non-empty string"),
        ({**ADDRESS, "line1": "x" * 129}, "shippingAddress.line1", "must be at most 128 characters"),
        (
            {**ADDRESS, "line1": "x\ty"},
            "shippingAddress.line1",
            "must not contain control, zero-width or other invisible characters",
        ),
        ({**ADDRESS, "line2": ""}, "shippingAddress.line2", "must be a non-empty string"),
        ({**ADDRESS, "line2": "x" * 129}, "shippingAddress.line2", "must be at most 128 characters"),
        ({**ADDRESS, "line2": " x"}, "shippingAddress.line2", "must not start or end with white space"),
        ({**ADDRESS, "city": None}, "shippingAddress.city", "is required"),
        ({**ADDRESS, "city": "x" * 129}, "shippingAddress.city", "must be at most 128 characters"),
        ({**ADDRESS, "postalCode": None}, "shippingAddress.postalCode", "is required"),
        ({**ADDRESS, "postalCode": 10115}, "shippingAddress.postalCode", "must be a postal code such as 10115"),
        ({**ADDRESS, "postalCode": "1" * 17}, "shippingAddress.postalCode", "must be a postal code such as 10115"),
        ({**ADDRESS, "postalCode": "-1"}, "shippingAddress.postalCode", "must be a postal code such as 10115"),
        ({**ADDRESS, "country": None}, "shippingAddress.country", "is required"),
        ({**ADDRESS, "country": "de"}, "shippingAddress.country", 'must be an ISO 3166-1 alpha-2 code such as "DE"'),
        ({**ADDRESS, "zip": "1"}, "shippingAddress.zip", "is not a known field"),
    ],
)
def test_address_rules(address: Any, path: str, message: str) -> None:
    assert errors(order(shippingAddress=address)) == error(path, message)


def test_an_empty_address_lists_its_required_fields() -> None:
    assert errors(order(shippingAddress={})) == [
        {"path": f"shippingAddress.{field}", "message": "is required"}
        for field in ("line1", "city", "postalCode", "country")
    ]


def test_address_text_at_its_limits_round_trips() -> None:
    address = {
        "line1": "x" * 128,
        "line2": "Apt. 4 \u0645\u06cc\u200c\u062e",
        "city": "y" * 128,
        "postalCode": "A" + "-" * 14 + "9",
        "country": "GB",
    }
    parsed = parse_order(order(shippingAddress=address))
    assert parsed.shipping_address == Address(
        line1="x" * 128, city="y" * 128, postal_code=address["postalCode"], country="GB", line2=address["line2"]
    )
    assert parsed.to_dict()["shippingAddress"] == address
    assert parse_order(parsed.to_dict()) == parsed


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("ab@" + ".".join(["b" * 62] * 3) + "." + "c" * 63, "must be an email address of at most 254 characters"),
        (42, "must be an email address of at most 254 characters"),
        ("", "must be an email address such as ada@example.com"),
        ("ada", "must be an email address such as ada@example.com"),
        ("ada@example.com ", "must be an email address such as ada@example.com"),
        ("a" * 65 + "@example.com", "must be an email address such as ada@example.com"),
    ],
)
def test_email_rules(email: Any, message: str) -> None:
    assert errors(order(email=email)) == error("email", message)


@pytest.mark.parametrize(
    "email", ["a" * 64 + "@example.com", "a" * 64 + "@" + "b" * 63 + "." + "c" * 63 + "." + "d" * 49 + ".de"]
)
def test_emails_at_their_limits_are_kept(email: str) -> None:
    assert len(email) <= 254
    assert parse_order(order(email=email)).email == email


def test_the_longest_email_is_kept() -> None:
    email = "a@" + ".".join(["b" * 62] * 3) + "." + "c" * 63
    assert len(email) == 254
    assert parse_order(order(email=email)).email == email


def test_unknown_fields_are_listed_in_order_and_cut_when_long() -> None:
    assert errors(order(zeta=1, alpha=2, **{"k" * 64: 3, "m" * 65: 4})) == [
        {"path": "alpha", "message": "is not a known field"},
        {"path": "k" * 64, "message": "is not a known field"},
        {"path": "m" * 64 + "…", "message": "is not a known field"},
        {"path": "zeta", "message": "is not a known field"},
    ]


RECORD: dict[str, Any] = {
    "orderId": "ord_" + "a" * 26,
    "status": "CREATED",
    "customerId": "c-1",
    "currency": "EUR",
    "items": [{"sku": "A", "quantity": 2, "unitPrice": Decimal("12.5")}],
}


def test_a_record_is_read_back_as_its_order() -> None:
    assert order_of_record(RECORD) == Order(
        customer_id="c-1", items=(OrderItem("A", 2, Decimal("12.5")),), currency="EUR"
    )
    full = order_of_record({**RECORD, "shippingAddress": ADDRESS, "email": "ada@example.com"})
    assert full is not None
    assert full.shipping_address == Address(line1="Main St 1", city="Berlin", postal_code="10115", country="DE")
    assert full.email == "ada@example.com"
    assert full.to_dict()["items"] == [{"sku": "A", "quantity": 2, "unitPrice": "12.50"}]


def test_a_record_with_null_optional_fields_has_none() -> None:
    read = order_of_record({**RECORD, "shippingAddress": None, "email": None})
    assert read is not None
    assert (read.shipping_address, read.email) == (None, None)


@pytest.mark.parametrize("items", [..., None, []])
def test_a_record_without_items_holds_no_order(items: Any) -> None:
    record = {"orderId": "ord_1", "status": "FAILED", "failure": {"error": "OrderValidationError"}}
    if items is not ...:
        record["items"] = items
    assert order_of_record(record) is None


def test_a_record_is_read_by_the_input_rules_again() -> None:
    with pytest.raises(OrderValidationError) as caught:
        order_of_record({**RECORD, "customerId": None, "items": [{"sku": "A", "quantity": 1}]})
    assert caught.value.errors == [
        {"path": "customerId", "message": "is required"},
        {
            "path": "items[0].unitPrice",
            "message": 'must be a non-negative decimal string of ASCII digits such as "12.50"',
        },
    ]
