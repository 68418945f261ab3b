"""The strict JSON reader (handlers.domain.json_input): what it reads, and each refusal's exact reason."""

from __future__ import annotations

import json
from typing import Any

import pytest

from handlers.domain import json_input
from handlers.domain.json_input import JsonInputError, loads

EQUIVALENT_MUTANTS: dict[str, str] = {
    "handlers.domain.json_input.x__depth__mutmut_8": "strings are blanked to any text without brackets alike",
    "handlers.domain.json_input.x__depth__mutmut_10": 'a bracket is one character: in "XX[{XX" just when in "[{"',
}


def nested(levels: int) -> Any:
    value: Any = 1
    for level in range(levels):
        value = [value] if level % 2 else {"k": value}
    return value


def refusal(data: bytes) -> str:
    with pytest.raises(JsonInputError) as caught:
        loads(data)
    return str(caught.value)


@pytest.mark.parametrize(
    "value",
    [
        {"customerId": "c-1", "items": [{"sku": "A", "quantity": 2, "unitPrice": "12.50"}]},
        {"text": "S\u00e3o Paulo \u0645\u06cc\u200c \U0001f600", "\u00e9": ["\u00fc"]},
        {"n": -12, "f": 1.5, "e": 2e-3, "t": True, "z": None},
        [],
        "plain",
        0,
    ],
)
def test_plain_json_is_read_as_it_is(value: Any) -> None:
    assert loads(json.dumps(value).encode()) == value
    assert loads(json.dumps(value, ensure_ascii=False).encode()) == value


def test_numbers_keep_their_types() -> None:
    read = loads(b'{"i": 3, "f": 3.0}')
    assert type(read["i"]) is int
    assert type(read["f"]) is float


@pytest.mark.parametrize("levels", [1, 15, 16])
def test_nesting_up_to_the_limit_is_read(levels: int) -> None:
    assert loads(json.dumps(nested(levels)).encode()) == nested(levels)


@pytest.mark.parametrize(("levels", "deepest"), [(17, 17), (40, 40)])
def test_deeper_nesting_is_refused_with_its_depth(levels: int, deepest: int) -> None:
    assert refusal(json.dumps(nested(levels)).encode()) == (
        f"the document nests {deepest} levels deep; at most 16 are read"
    )


def test_sibling_containers_do_not_add_up_to_depth() -> None:
    wide = [nested(15)] * 40
    assert loads(json.dumps(wide).encode()) == wide
    after_a_sibling = {"a": [[[1]], nested(16)]}
    assert refusal(json.dumps(after_a_sibling).encode()) == "the document nests 18 levels deep; at most 16 are read"


def test_brackets_in_strings_and_escaped_quotes_do_not_count_as_nesting() -> None:
    value = {"a": '"[[[[' * 10, "b\\": "{" * 20, "c": ["\\", "]]" * 20]}
    text = json.dumps(value).encode()
    assert loads(text) == value
    multiline = {"a": "x\n" + "[" * 20}
    assert loads(json.dumps(multiline).encode()) == multiline


def test_the_parser_s_own_recursion_limit_is_still_a_client_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(json_input, "MAX_DEPTH", 10**9)
    assert refusal(b"[" * 100_000 + b"]" * 100_000) == "the document nests more than 1000000000 levels deep"


@pytest.mark.parametrize(
    ("literal", "value"),
    [("9" * 32, int("9" * 32)), ("-" + "9" * 31, -int("9" * 31)), ("0." + "5" * 30, float("0." + "5" * 30))],
)
def test_numbers_up_to_32_characters_are_read(literal: str, value: Any) -> None:
    assert loads(b'{"n": ' + literal.encode() + b"}") == {"n": value}


@pytest.mark.parametrize(
    ("literal", "message"),
    [
        ("9" * 33, "a number has 33 characters; at most 32 are read"),
        ("-" + "9" * 32, "a number has 33 characters; at most 32 are read"),
        ("0." + "5" * 31, "a number has 33 characters; at most 32 are read"),
        ("9" * 5000, "a number has 5000 characters; at most 32 are read"),
        ("1e400", "the number 1e400 is out of range"),
        ("-1e400", "the number -1e400 is out of range"),
        ("NaN", "NaN is not a JSON value"),
        ("Infinity", "Infinity is not a JSON value"),
        ("-Infinity", "-Infinity is not a JSON value"),
    ],
)
def test_numbers_beyond_what_is_read_are_refused(literal: str, message: str) -> None:
    assert refusal(b'{"n": ' + literal.encode() + b"}") == message


def test_a_repeated_key_is_refused_and_a_long_one_cut() -> None:
    assert loads(b'{"a": 1, "b": {"a": 2}, "c": [{"a": 3}, {"a": 4}]}') == {
        "a": 1,
        "b": {"a": 2},
        "c": [{"a": 3}, {"a": 4}],
    }
    assert refusal(b'{"a": 1, "a": 1}') == 'the key "a" appears twice in one object'
    assert refusal(b'[{"x": {"\\u00e9": 1, "\\u00e9": 2}}]') == 'the key "\\u00e9" appears twice in one object'
    k64 = "k" * 64
    assert refusal(f'{{"{k64}": 1, "{k64}": 2}}'.encode()) == f'the key "{k64}" appears twice in one object'
    k65 = "k" * 65
    assert refusal(f'{{"{k65}": 1, "{k65}": 2}}'.encode()) == (f'the key "{k64}\\u2026" appears twice in one object')


@pytest.mark.parametrize(
    "data",
    [
        b'"\\ud800"',
        b'{"a": "x\\udfff"}',
        b'{"\\udbff": 1}',
        b'{"a": {"b": ["ok", "\\ud800"]}}',
        b'[["\\udc00x"]]',
    ],
)
def test_lone_surrogates_are_refused_wherever_they_are(data: bytes) -> None:
    assert refusal(data) == "a string holds a lone surrogate (\\ud800-\\udfff), which is not text"


def test_an_escaped_surrogate_pair_is_text() -> None:
    assert loads(b'{"e": "\\ud83d\\ude00"}') == {"e": "\U0001f600"}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b'{"a": "\xff"}', "the body is not UTF-8 (byte 7 cannot be decoded)"),
        (b"\xc3", "the body is not UTF-8 (byte 0 cannot be decoded)"),
        (b"", "the body is empty"),
        (b" \n\t ", "the body is empty"),
        (b'\xef\xbb\xbf{"a": 1}', "the body starts with a byte order mark; send JSON without one"),
        (b'{"a": ', "the body is not valid JSON: Expecting value at line 1 column 7"),
        (b"[1 2]", "the body is not valid JSON: Expecting ',' delimiter at line 1 column 4"),
        (b'\n\n  {"a" 1}', "the body is not valid JSON: Expecting ':' delimiter at line 3 column 8"),
        (b"{} {}", "the body is not valid JSON: Extra data at line 1 column 4"),
    ],
)
def test_what_is_no_json_document_is_refused_with_the_reason(data: bytes, message: str) -> None:
    assert refusal(data) == message


def test_the_reason_is_a_value_error() -> None:
    assert issubclass(JsonInputError, ValueError)
