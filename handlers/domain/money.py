"""Money: exact decimal amounts in a currency, with explicit bounds. Pure: no I/O.

Every calculation runs in MONEY_CONTEXT, which traps Inexact: an amount that cannot be held exactly raises instead
of being rounded silently (Python's default context keeps 28 digits and rounds the rest away). The
bounds keep every amount far inside that precision (and inside DynamoDB's 38 digits): a unit price, a line total
and an order total are each below MAX_AMOUNT, with at most MAX_DECIMALS places.

On the wire an amount is a decimal string in its currency's minor units: EUR "25.00", JPY "2400", BHD "2.010".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import (
    Clamped,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    Subnormal,
    Underflow,
    localcontext,
)

from handlers.domain.currencies import MINOR_UNITS

# The most decimal places any ISO 4217 currency has (CLF, UYW: 4).
MAX_DECIMALS = max(MINOR_UNITS.values())
# Every amount (a unit price, a line total, an order total) is below 10^15 of the currency's major unit.
MAX_INTEGER_DIGITS = 15
MAX_AMOUNT = Decimal(10) ** MAX_INTEGER_DIGITS

MONEY_CONTEXT = Context(
    prec=34,
    # Not Rounded: it also flags dropping trailing zeros (2400.00 -> 2400), which loses nothing.
    traps=[InvalidOperation, DivisionByZero, Overflow, Underflow, Subnormal, Inexact, Clamped],
)

# ASCII digits only: str.isdigit and \d accept Arabic-Indic and full-width digits, which Decimal() would parse.
AMOUNT_PATTERN = rf"[0-9]{{1,{MAX_INTEGER_DIGITS}}}(\.[0-9]{{1,{MAX_DECIMALS}}})?"
_AMOUNT = re.compile(AMOUNT_PATTERN, re.ASCII)


class AmountError(ValueError):
    """An amount is malformed or out of bounds; the message says which rule it breaks."""


def parse_amount(text: object) -> Decimal:
    """A non-negative amount from its wire form, a decimal string. Raises AmountError with the reason."""
    if isinstance(text, bool) or not isinstance(text, str):
        raise AmountError('must be a decimal string such as "12.50" (numbers are refused to avoid float rounding)')
    if not _AMOUNT.fullmatch(text):
        if re.fullmatch(r"[0-9]+(\.[0-9]+)?", text):
            if len(text.partition(".")[0]) > MAX_INTEGER_DIGITS:
                raise AmountError(f"must be below {MAX_AMOUNT:,} (at most {MAX_INTEGER_DIGITS} integer digits)")
            raise AmountError(f"must have at most {MAX_DECIMALS} decimal places")
        raise AmountError('must be a non-negative decimal string of ASCII digits such as "12.50"')
    # At most 15 + 4 digits (the pattern): held exactly as written, trailing zeros too.
    return Decimal(text)


def decimals(amount: Decimal) -> int:
    """How many decimal places the amount needs (trailing zeros do not count: 12.50 needs 1)."""
    exponent = amount.normalize(MONEY_CONTEXT).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def in_minor_units(amount: Decimal, currency: str) -> str:
    """The wire form: the amount quantized to the currency's minor units, never rounded.

    An amount with more places than its currency has (an order ValidateOrder refuses) or of an unknown currency is
    written exactly as it is rather than rounded, so what is shown is always what was asked for.
    """
    places = MINOR_UNITS.get(currency)
    if places is None or decimals(amount) > places:
        return format(amount.normalize(MONEY_CONTEXT), "f")
    with localcontext(MONEY_CONTEXT):
        return format(amount.quantize(Decimal(1).scaleb(-places)), "f")


@dataclass(frozen=True)
class Money:
    """An exact amount in one currency. Sums and products are exact or raise (MONEY_CONTEXT)."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not self.amount.is_finite() or self.amount < 0:
            raise AmountError(f"an amount must be finite and non-negative, not {self.amount}")

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise AmountError(f"cannot add {other.currency} to {self.currency}")
        with localcontext(MONEY_CONTEXT):
            return Money(self.amount + other.amount, self.currency)

    def times(self, quantity: int) -> Money:
        with localcontext(MONEY_CONTEXT):
            return Money(self.amount * quantity, self.currency)

    @property
    def within_bounds(self) -> bool:
        return self.amount < MAX_AMOUNT

    def wire(self) -> str:
        return in_minor_units(self.amount, self.currency)

    def __str__(self) -> str:
        return f"{self.wire()} {self.currency}"
