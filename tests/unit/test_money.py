"""Money is exact in every currency: bounded, never rounded, written in the currency's minor units."""

from __future__ import annotations

from decimal import Decimal, Inexact
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.domain.currencies import MINOR_UNITS
from handlers.domain.errors import OrderValidationError
from handlers.domain.money import MAX_AMOUNT, AmountError, Money, decimals, in_minor_units, parse_amount
from handlers.domain.order import check_business_rules
from handlers.domain.order_input import parse_order

CURRENCIES = sorted(MINOR_UNITS)

EQUIVALENT_MUTANTS: dict[str, str] = {
    "handlers.domain.money.x_in_minor_units__mutmut_6": (
        "an amount with exactly its currency's places writes the same normalized as quantized"
    ),
    "handlers.domain.money.x_in_minor_units__mutmut_13": "Decimal's 'F' and 'f' formats agree, special values too",
    "handlers.domain.money.x_in_minor_units__mutmut_25": "Decimal's 'F' and 'f' formats agree, special values too",
    "handlers.domain.money.x_in_minor_units__mutmut_18": (
        "a quantized amount's exponent is -places >= -4, which str() writes without an exponent, as 'f' does"
    ),
    "handlers.domain.money.x_in_minor_units__mutmut_22": "quantize takes only the exponent of 2E-n, the same as 1E-n",
}


def order(currency: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"customerId": "c-1", "currency": currency, "items": items}


@pytest.mark.parametrize(
    ("amount", "currency", "wire"),
    [
        ("25", "EUR", "25.00"),
        ("25.0", "EUR", "25.00"),
        ("12", "EUR", "12.00"),
        ("2400.00", "JPY", "2400"),
        ("2400", "JPY", "2400"),
        ("2.01", "BHD", "2.010"),
        ("1.005", "BHD", "1.005"),
        ("0.1", "CLF", "0.1000"),
        ("0", "KWD", "0.000"),
        # More places than the currency has (ValidateOrder refuses the order): shown exactly, never rounded.
        ("100.50", "JPY", "100.5"),
        ("1.5", "XYZ", "1.5"),
    ],
)
def test_amounts_leave_in_minor_units(amount: str, currency: str, wire: str) -> None:
    assert in_minor_units(Decimal(amount), currency) == wire


def test_the_silent_rounding_of_the_default_context_is_gone() -> None:
    # 26 integer digits x 3 came back as 300000000000000000000000024.0 under Python's 28-digit default context.
    with pytest.raises(OrderValidationError) as caught:
        parse_order(order("EUR", [{"sku": "A", "quantity": 3, "unitPrice": "99999999999999999999999999.99"}]))
    assert caught.value.errors == [
        {"path": "items[0].unitPrice", "message": "must be below 1,000,000,000,000,000 (at most 15 integer digits)"}
    ]
    with pytest.raises(OrderValidationError):
        parse_order(order("EUR", [{"sku": "A", "quantity": 1, "unitPrice": "1" * 40}]))


def test_line_and_order_totals_have_a_bound() -> None:
    price = "999999999999999.99"  # below the bound alone
    with pytest.raises(OrderValidationError) as caught:
        parse_order(order("EUR", [{"sku": "A", "quantity": 2, "unitPrice": price}]))
    assert [e["path"] for e in caught.value.errors] == ["items[0]", "items"]
    half = "600000000000000"
    with pytest.raises(OrderValidationError) as caught:
        parse_order(
            order(
                "EUR", [{"sku": "A", "quantity": 1, "unitPrice": half}, {"sku": "B", "quantity": 1, "unitPrice": half}]
            )
        )
    assert [e["path"] for e in caught.value.errors] == ["items"]


def test_prices_may_have_their_currency_s_decimals() -> None:
    bhd = parse_order(order("BHD", [{"sku": "A", "quantity": 3, "unitPrice": "1.005"}]))
    check_business_rules(bhd)
    assert bhd.total.wire() == "3.015"
    clf = parse_order(order("CLF", [{"sku": "A", "quantity": 1, "unitPrice": "0.1234"}]))
    check_business_rules(clf)
    eur = parse_order(order("EUR", [{"sku": "A", "quantity": 1, "unitPrice": "1.005"}]))
    with pytest.raises(OrderValidationError, match="EUR amounts have 2 decimal places"):
        check_business_rules(eur)
    with pytest.raises(AmountError, match="at most 4 decimal places"):
        parse_amount("1.00001")


def test_money_never_mixes_currencies_or_goes_negative() -> None:
    with pytest.raises(AmountError):
        Money(Decimal(1), "EUR") + Money(Decimal(1), "USD")
    with pytest.raises(AmountError):
        Money(Decimal(-1), "EUR")
    with pytest.raises(AmountError):
        Money(Decimal("NaN"), "EUR")


@st.composite
def priced_order(draw: st.DrawFn) -> dict[str, Any]:
    currency = draw(st.sampled_from(CURRENCIES))
    places = MINOR_UNITS[currency]
    prices = st.decimals(min_value=0, max_value=Decimal(10) ** 9, places=places, allow_nan=False, allow_infinity=False)
    items = draw(
        st.lists(
            st.fixed_dictionaries(
                {"quantity": st.integers(1, 1000), "unitPrice": prices.map(lambda d: format(d, "f"))}
            ),
            min_size=1,
            max_size=100,
        )
    )
    return order(currency, [{"sku": f"SKU-{i}", **item} for i, item in enumerate(items)])


@given(priced_order())
def test_over_the_whole_currency_table_line_totals_sum_to_the_total(payload: dict[str, Any]) -> None:
    parsed = parse_order(payload)
    check_business_rules(parsed)
    lines = [item.line_total(parsed.currency) for item in parsed.items]
    total = Money.zero(parsed.currency)
    for line in lines:
        total += line
    assert total == parsed.total
    exact = sum((Decimal(i["unitPrice"]) * i["quantity"] for i in payload["items"]), Decimal(0))
    assert parsed.total.amount == exact
    assert parsed.total.amount < MAX_AMOUNT
    wire = parsed.total.wire()
    places = MINOR_UNITS[parsed.currency]
    assert len(wire.partition(".")[2]) == places
    assert Decimal(wire) == exact
    # The wire form parses back to the same order.
    assert parse_order(parsed.to_dict()) == parsed


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (12, 'must be a decimal string such as "12.50" (numbers are refused to avoid float rounding)'),
        (True, 'must be a decimal string such as "12.50" (numbers are refused to avoid float rounding)'),
        (None, 'must be a decimal string such as "12.50" (numbers are refused to avoid float rounding)'),
        ("1" * 16, "must be below 1,000,000,000,000,000 (at most 15 integer digits)"),
        ("1" * 16 + ".5", "must be below 1,000,000,000,000,000 (at most 15 integer digits)"),
        ("1.12345", "must have at most 4 decimal places"),
        ("1" * 15 + ".12345", "must have at most 4 decimal places"),
        ("", 'must be a non-negative decimal string of ASCII digits such as "12.50"'),
        ("1.", 'must be a non-negative decimal string of ASCII digits such as "12.50"'),
        (".5", 'must be a non-negative decimal string of ASCII digits such as "12.50"'),
        ("-1", 'must be a non-negative decimal string of ASCII digits such as "12.50"'),
        ("1e3", 'must be a non-negative decimal string of ASCII digits such as "12.50"'),
        ("1 ", 'must be a non-negative decimal string of ASCII digits such as "12.50"'),
        ("\u0661", 'must be a non-negative decimal string of ASCII digits such as "12.50"'),
        ("NaN", 'must be a non-negative decimal string of ASCII digits such as "12.50"'),
    ],
)
def test_malformed_amounts_are_refused_with_the_rule_they_break(text: object, message: str) -> None:
    with pytest.raises(AmountError) as caught:
        parse_amount(text)
    assert str(caught.value) == message


@pytest.mark.parametrize("text", ["0", "0.0000", "1" * 15, "9" * 15 + ".9999", "12.50"])
def test_amounts_within_the_rules_are_read_digit_for_digit(text: str) -> None:
    amount = parse_amount(text)
    assert amount == Decimal(text)
    assert str(amount) == text


@pytest.mark.parametrize(
    ("amount", "places"),
    [("12.50", 1), ("12.5", 1), ("100", 0), ("1E+3", 0), ("0.0001", 4), ("0." + "1" * 30, 30), ("NaN", 0)],
)
def test_decimals_counts_the_places_an_amount_needs(amount: str, places: int) -> None:
    assert decimals(Decimal(amount)) == places


def test_decimals_of_infinity_is_zero() -> None:
    assert decimals(Decimal("Infinity")) == 0


@pytest.mark.parametrize(
    ("amount", "currency", "wire"),
    [
        ("100", "XYZ", "100"),
        ("1E+3", "JPY", "1000"),
        ("1E+3", "XYZ", "1000"),
        ("1234567890123456789012345678.91", "XYZ", "1234567890123456789012345678.91"),
        ("1234567890123456789012345678.915", "EUR", "1234567890123456789012345678.915"),
        ("1" * 30, "EUR", "1" * 30 + ".00"),
    ],
)
def test_long_and_large_amounts_are_written_exactly(amount: str, currency: str, wire: str) -> None:
    assert in_minor_units(Decimal(amount), currency) == wire


def test_sums_and_products_are_exact_to_34_digits_or_raise() -> None:
    big = Money(Decimal("1" * 33), "EUR")
    assert (big + Money(Decimal(1), "EUR")).amount == Decimal("1" * 32 + "2")
    assert big.times(9).amount == Decimal("9" * 33)
    with pytest.raises(Inexact):
        Money(Decimal("1" * 34), "EUR").times(11)
    with pytest.raises(Inexact):
        Money(Decimal("9" * 34), "EUR") + Money(Decimal("0.1"), "EUR")


def test_money_s_refusals_say_why() -> None:
    with pytest.raises(AmountError) as caught:
        Money(Decimal(1), "EUR") + Money(Decimal(1), "USD")
    assert str(caught.value) == "cannot add USD to EUR"
    with pytest.raises(AmountError) as caught:
        Money(Decimal("-0.01"), "EUR")
    assert str(caught.value) == "an amount must be finite and non-negative, not -0.01"
    with pytest.raises(AmountError) as caught:
        Money(Decimal("Infinity"), "EUR")
    assert str(caught.value) == "an amount must be finite and non-negative, not Infinity"


def test_money_is_written_with_its_currency() -> None:
    assert Money.zero("JPY") == Money(Decimal(0), "JPY")
    assert str(Money(Decimal("2.5"), "EUR")) == "2.50 EUR"
    assert str(Money.zero("BHD")) == "0.000 BHD"
    assert Money(Decimal("12.5"), "EUR").wire() == "12.50"


@pytest.mark.parametrize(
    ("amount", "within"), [("999999999999999.9999", True), ("1000000000000000", False), ("0", True)]
)
def test_the_bound_is_exclusive(amount: str, within: bool) -> None:
    assert Money(Decimal(amount), "EUR").within_bounds is within
