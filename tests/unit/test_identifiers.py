"""Identifiers (handlers.domain.identifiers): Idempotency-Keys, order ids, correlation ids and stored fingerprints."""

from __future__ import annotations

import hashlib
import re

import pytest

from handlers.domain.identifiers import (
    is_order_id,
    new_order_id,
    request_hash,
    scoped_idempotency_key,
    valid_correlation_id,
    validate_idempotency_key,
)

EQUIVALENT_MUTANTS: dict[str, str] = {
    "handlers.domain.identifiers.x_new_order_id__mutmut_6": "token_bytes(None): 32 random bytes, still 26 random chars",
    "handlers.domain.identifiers.x_new_order_id__mutmut_7": "21 random bytes, not 20: still 26 random characters",
    "handlers.domain.identifiers.x_request_hash__mutmut_5": "ensure_ascii=None is falsy, the same as False",
}

MALFORMED = "the Idempotency-Key header must be 1..255 printable ASCII characters"


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (None, "the Idempotency-Key header is required"),
        ("", "the Idempotency-Key header is required"),
        (" \t ", "the Idempotency-Key header is required"),
        ("k 1", MALFORMED),
        ("k1\n", MALFORMED),
        ("k\u00e91", MALFORMED),
        ("k" * 256, MALFORMED),
    ],
)
def test_malformed_idempotency_keys_are_refused_with_the_reason(key: str | None, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        validate_idempotency_key(key)
    assert str(caught.value) == message


@pytest.mark.parametrize("key", ["k", "!", "~", "k" * 255, "7c0b1c1e-8b4f-4a4e-9d3c-2f0e8d9b6a11"])
def test_idempotency_keys_are_returned_as_given(key: str) -> None:
    assert validate_idempotency_key(key) == key


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("ord_" + "a" * 26, True),
        ("ord_abcdefghijklmnopqrstuvwxyz", True),
        ("ord_" + "234567" * 4 + "ab", True),
        ("ord_" + "a" * 25, False),
        ("ord_" + "a" * 27, False),
        ("ord_" + "a" * 25 + "1", False),
        ("ord_" + "A" * 26, False),
        ("order_" + "a" * 26, False),
        ("ord_" + "a" * 26 + "\n", False),
        ("", False),
    ],
)
def test_order_ids_have_one_form(value: str, expected: bool) -> None:
    assert is_order_id(value) is expected


def test_fresh_order_ids_have_that_form_and_differ() -> None:
    ids = [new_order_id() for _ in range(200)]
    assert len(set(ids)) == 200
    for order_id in ids:
        assert is_order_id(order_id), order_id
    # 26 base32 characters of random bits: every one of the 32 letters and digits shows up, at every position.
    assert set("".join(order_id[4:] for order_id in ids)) == set("abcdefghijklmnopqrstuvwxyz234567")


@pytest.mark.parametrize(
    ("supplied", "used"),
    [
        ("a", "a"),
        ("A-z_0.9", "A-z_0.9"),
        ("x" * 64, "x" * 64),
        ("x" * 65, None),
        ("", None),
        ("abc def", None),
        ("abc\n", None),
        ("ab/c", None),
        (None, None),
    ],
)
def test_correlation_ids_are_taken_only_in_their_plain_form(supplied: str | None, used: str | None) -> None:
    assert valid_correlation_id(supplied) == used


def test_a_scoped_key_is_a_fixed_hash_of_caller_and_key() -> None:
    # Stored in the idempotency table: the same (caller, key) must give the same name release after release.
    expected = "key_" + hashlib.sha256(b'["arn:aws:iam::111122223333:user/ada", "k-1"]').hexdigest()
    assert scoped_idempotency_key("arn:aws:iam::111122223333:user/ada", "k-1") == expected
    assert expected == "key_626ca9e806fdbff07e2e5e4faf951bc2ac2ab896bbdc57dbe9e4f29d2c54a825"
    assert scoped_idempotency_key("ada", "\u00e9") == "key_" + hashlib.sha256(b'["ada", "\\u00e9"]').hexdigest()
    assert scoped_idempotency_key("a", "b") != scoped_idempotency_key("b", "a")


def test_a_request_hash_is_the_hash_of_the_body_s_canonical_text() -> None:
    body = {"b": [1, "\u00e9"], "a": {"y": None, "x": 1.5}}
    canonical = '{"a":{"x":1.5,"y":null},"b":[1,"\u00e9"]}'.encode()
    assert request_hash(body) == hashlib.sha256(canonical).hexdigest()
    assert request_hash(body) == "466c17888b440e2bfd8f86ef58624745b505172a9713ebc50ad5d4a5b0e52885"
    assert re.fullmatch(r"[0-9a-f]{64}", request_hash([]))
