from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.domain.currencies import MINOR_UNITS
from handlers.domain.errors import InvalidTransitionError, OrderValidationError
from handlers.domain.identifiers import new_order_id, request_hash, validate_idempotency_key
from handlers.domain.money import parse_amount
from handlers.domain.order import check_business_rules
from handlers.domain.order_input import parse_order


def order(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "customerId": "c-1",
        "currency": "EUR",
        "items": [{"sku": "A", "quantity": 2, "unitPrice": "9.99"}],
    }
    base.update(overrides)
    return base


def paths(payload: Any) -> list[str]:
    with pytest.raises(OrderValidationError) as caught:
        parse_order(payload)
    return [e["path"] for e in caught.value.errors]


def test_valid_order_parses_with_decimal_money() -> None:
    parsed = parse_order(order(items=[{"sku": "A", "quantity": 3, "unitPrice": "0.10"}]))
    assert parsed.total.amount == Decimal("0.30")
    assert parsed.total.wire() == "0.30"
    assert isinstance(parsed.items[0].unit_price, Decimal)


def test_every_problem_is_reported_with_its_path() -> None:
    payload = {
        "customerId": "",
        "currency": "eur",
        "items": [{"sku": "A", "quantity": 0, "unitPrice": 9.99}, "x"],
        "extra": 1,
    }
    assert paths(payload) == [
        "extra",
        "customerId",
        "currency",
        "items[0].quantity",
        "items[0].unitPrice",
        "items[1]",
    ]


@pytest.mark.parametrize(
    ("items", "path"),
    [
        ([], "items"),
        ([{"sku": "A", "quantity": 1, "unitPrice": "1"}] * 101, "items"),
        ([{"sku": "A", "quantity": 1001, "unitPrice": "1"}], "items[0].quantity"),
        ([{"sku": "A", "quantity": True, "unitPrice": "1"}], "items[0].quantity"),
        ([{"sku": "A", "quantity": 1.0, "unitPrice": "1"}], "items[0].quantity"),
        ([{"sku": "A", "quantity": 1, "unitPrice": "1.99999"}], "items[0].unitPrice"),
        ([{"sku": "A", "quantity": 1, "unitPrice": "-1"}], "items[0].unitPrice"),
        ([{"sku": "A", "quantity": 1, "unitPrice": "1e3"}], "items[0].unitPrice"),
        ([{"sku": "A", "quantity": 1}], "items[0].unitPrice"),
    ],
)
def test_item_rules(items: list[Any], path: str) -> None:
    assert paths(order(items=items)) == [path]


def test_not_an_object() -> None:
    assert paths([1, 2]) == ["$"]


def test_address_and_email_rules() -> None:
    assert paths(order(email="nope", shippingAddress={"line1": "x", "city": "y", "country": "gbr"})) == [
        "shippingAddress.postalCode",
        "shippingAddress.country",
        "email",
    ]


def test_unknown_currency_is_a_business_rule() -> None:
    parsed = parse_order(order(currency="XYZ"))
    with pytest.raises(OrderValidationError) as caught:
        check_business_rules(parsed)
    assert caught.value.errors == [{"path": "currency", "message": "XYZ is not an ISO 4217 currency code"}]


def test_currency_minor_units_and_duplicate_skus() -> None:
    parsed = parse_order(
        order(
            currency="JPY",
            items=[{"sku": "A", "quantity": 1, "unitPrice": "100.50"}, {"sku": "A", "quantity": 1, "unitPrice": "5"}],
        )
    )
    with pytest.raises(OrderValidationError) as caught:
        check_business_rules(parsed)
    assert [e["path"] for e in caught.value.errors] == ["items[0].unitPrice", "items[1].sku"]
    check_business_rules(parse_order(order(currency="JPY", items=[{"sku": "A", "quantity": 1, "unitPrice": "100.00"}])))


prices = st.decimals(min_value=0, max_value=10**6, places=2, allow_nan=False, allow_infinity=False)
items = st.lists(
    st.fixed_dictionaries(
        {
            "sku": st.text(alphabet="ABCDEFGH0123456789-", min_size=1, max_size=12),
            "quantity": st.integers(min_value=1, max_value=1000),
            "unitPrice": prices.map(str),
        }
    ),
    min_size=1,
    max_size=100,
)


@given(items=items, currency=st.sampled_from(sorted(c for c, d in MINOR_UNITS.items() if d >= 2)))
def test_valid_orders_round_trip_and_total_is_exact(items: list[dict[str, Any]], currency: str) -> None:
    parsed = parse_order(order(items=items, currency=currency))
    assert parse_order(parsed.to_dict()) == parsed
    assert parsed.total.amount == sum((Decimal(i["unitPrice"]) * i["quantity"] for i in items), Decimal(0))


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_json_numbers_are_never_prices(value: float) -> None:
    with pytest.raises(ValueError, match="decimal string"):
        parse_amount(value)


@given(st.text(min_size=1, max_size=255, alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E)))
def test_printable_keys_are_accepted(key: str) -> None:
    assert validate_idempotency_key(key) == key


def test_order_ids_are_fresh_and_execution_name_safe() -> None:
    ids = {new_order_id() for _ in range(1000)}
    assert len(ids) == 1000
    for order_id in ids:
        assert len(order_id) == 30
        assert order_id.startswith("ord_")
        assert order_id[4:].isalnum()  # Step Functions execution names: 1..80 of [A-Za-z0-9_-]


def test_bad_keys_refused() -> None:
    for bad in (None, "", "  ", "has space", "x" * 256):
        with pytest.raises(ValueError, match="Idempotency-Key"):
            validate_idempotency_key(bad)


def test_request_hash_ignores_key_order_not_values() -> None:
    assert request_hash({"a": 1, "b": [1, 2]}) == request_hash({"b": [1, 2], "a": 1})
    assert request_hash({"a": "1.0"}) != request_hash({"a": "1.00"})


def test_a_validation_error_summarizes_its_problems() -> None:
    two = OrderValidationError(
        [{"path": "customerId", "message": "is required"}, {"path": "items", "message": "is required"}]
    )
    assert str(two) == "customerId: is required; items: is required"
    assert str(OrderValidationError([])) == "invalid order"


def test_an_invalid_transition_keeps_its_message_status_and_record() -> None:
    error = InvalidTransitionError("order ord_1 is FULFILLED", current="FULFILLED", record={"status": "FULFILLED"})
    assert str(error) == "order ord_1 is FULFILLED"
    assert (error.current, error.record) == ("FULFILLED", {"status": "FULFILLED"})
    assert InvalidTransitionError("gone").record == {}
