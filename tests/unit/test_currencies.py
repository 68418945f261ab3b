"""The ISO 4217 table (handlers.domain.currencies): which codes exist and how many decimals each one's amounts carry."""

from __future__ import annotations

from collections import Counter

import pytest

from handlers.domain.currencies import MINOR_UNITS, _table

EQUIVALENT_MUTANTS: dict[str, str] = {}


@pytest.mark.parametrize(
    ("currency", "decimals"),
    [
        ("JPY", 0),
        ("KRW", 0),
        ("XPF", 0),
        ("EUR", 2),
        ("USD", 2),
        ("AED", 2),
        ("ZWG", 2),
        ("BHD", 3),
        ("KWD", 3),
        ("TND", 3),
        ("CLF", 4),
        ("UYW", 4),
    ],
)
def test_a_currency_s_minor_units(currency: str, decimals: int) -> None:
    # _table() is what MINOR_UNITS is built from at import; called here so a changed table is seen by this test.
    assert _table()[currency] == decimals
    assert MINOR_UNITS[currency] == decimals


def test_the_table_holds_every_active_code_once_and_nothing_else() -> None:
    table = _table()
    assert table == dict(MINOR_UNITS)
    assert Counter(table.values()) == {0: 17, 2: 140, 3: 7, 4: 2}
    assert all(len(code) == 3 and code.isupper() and code.isalpha() for code in table)
    for unknown in ("XYZ", "QQQ", "", "eur", "EUR "):
        assert unknown not in table


def test_the_table_cannot_be_changed() -> None:
    with pytest.raises(TypeError):
        MINOR_UNITS["EUR"] = 3  # type: ignore[index]
    assert MINOR_UNITS["EUR"] == 2
