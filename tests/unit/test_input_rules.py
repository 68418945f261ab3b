"""The API's edge as a hostile client meets it: the strict JSON reader, text rules, callers and problem bodies."""

from __future__ import annotations

import json
from typing import Any

import pytest

from handlers.adapters.http import ANONYMOUS, MAX_ERRORS, BadRequest, Request, caller_of, problem
from handlers.domain.contract import MAX_EMAIL_LENGTH
from handlers.domain.errors import OrderValidationError
from handlers.domain.identifiers import scoped_idempotency_key, valid_correlation_id, validate_idempotency_key
from handlers.domain.json_input import MAX_DEPTH, JsonInputError, loads
from handlers.domain.order_input import parse_order


def order(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "customerId": "c-1",
        "currency": "EUR",
        "items": [{"sku": "A", "quantity": 1, "unitPrice": "1"}],
    }
    base.update(overrides)
    return base


def problems(payload: Any) -> dict[str, str]:
    with pytest.raises(OrderValidationError) as caught:
        parse_order(payload)
    return {e["path"]: e["message"] for e in caught.value.errors}


# The strict JSON reader


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (b'{"customerId": "\\ud800"}', "lone surrogate"),
        (b'{"items": [{"sku": "\\udfff"}]}', "lone surrogate"),
        (b'{"\\ud800": 1}', "lone surrogate"),
        (b"[" * 10_000 + b"]" * 10_000, f"at most {MAX_DEPTH}"),
        (b'{"unknown": ' + b"9" * 5000 + b"}", "at most 32 are read"),
        (b'{"a": NaN}', "NaN is not a JSON value"),
        (b'{"a": -Infinity}', "-Infinity is not a JSON value"),
        (b'{"a": 1e400}', "out of range"),
        (b'{"a": 1, "a": 2}', 'the key "a" appears twice'),
        (b'{"a": "\xff"}', "not UTF-8"),
        (b'\xef\xbb\xbf{"a": 1}', "byte order mark"),
        (b"   ", "empty"),
        (b'{"a": ', "not valid JSON"),
    ],
)
def test_the_reader_refuses_what_is_not_plain_json(text: bytes, reason: str) -> None:
    with pytest.raises(JsonInputError, match=reason):
        loads(text)


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    assert loads(json.dumps({"sku": "[" * 1000}).encode()) == {"sku": "[" * 1000}
    nested: Any = "x"
    for _ in range(MAX_DEPTH):
        nested = [nested]
    assert loads(json.dumps(nested).encode()) == nested


def request(body: bytes, content_type: str | None = "application/json") -> Request:
    headers = {"content-type": content_type} if content_type else {}
    return Request.from_event({"headers": headers, "body": body.decode("latin-1"), "isBase64Encoded": False})


@pytest.mark.parametrize(
    ("content_type", "status"),
    [
        ("application/json", None),
        ("application/json; charset=utf-8", None),
        ('Application/JSON; Charset="UTF-8"', None),
        ("application/json; charset=utf-16", 415),
        ("application/json; charset=latin-1", 415),
        ("text/plain", 415),
        (None, 415),
    ],
)
def test_only_utf8_json_is_read(content_type: str | None, status: int | None) -> None:
    incoming = Request.from_event({"headers": {"content-type": content_type} if content_type else {}, "body": "{}"})
    if status is None:
        assert incoming.json_body() == {}
    else:
        with pytest.raises(BadRequest) as caught:
            incoming.json_body()
        assert caught.value.status == status


# Text rules


@pytest.mark.parametrize(
    ("overrides", "path"),
    [
        ({"currency": "EUR\n"}, "currency"),
        ({"currency": "eur"}, "currency"),
        ({"currency": "\uff25\uff35\uff32"}, "currency"),
        ({"items": [{"sku": "A", "quantity": 1, "unitPrice": "12.50\n"}]}, "items[0].unitPrice"),
        # Arabic-Indic digits
        ({"items": [{"sku": "A", "quantity": 1, "unitPrice": "\u0661\u0662.\u0665\u0660"}]}, "items[0].unitPrice"),
        ({"items": [{"sku": "A", "quantity": 1, "unitPrice": "\uff11\uff12"}]}, "items[0].unitPrice"),  # full-width
        ({"items": [{"sku": "A\u200b", "quantity": 1, "unitPrice": "1"}]}, "items[0].sku"),  # zero-width space
        ({"items": [{"sku": "A\x00B", "quantity": 1, "unitPrice": "1"}]}, "items[0].sku"),
        ({"customerId": "c\u200d1"}, "customerId"),  # zero-width joiner: not in an identifier
        ({"customerId": "c\u202e1"}, "customerId"),  # right-to-left override
        ({"customerId": "c-1\n"}, "customerId"),
        ({"customerId": " c-1"}, "customerId"),
        ({"email": "a" * 60_000 + "@example.com"}, "email"),
        ({"email": "a" * (MAX_EMAIL_LENGTH - 11) + "@example.com"}, "email"),
        ({"email": "ada@example.com\n"}, "email"),
        ({"email": "a" * 65 + "@example.com"}, "email"),
        ({"email": "ada@exa mple.com"}, "email"),
        (
            {"shippingAddress": {"line1": "x", "city": "y", "postalCode": "1", "country": "DE\n"}},
            "shippingAddress.country",
        ),
        (
            {"shippingAddress": {"line1": "x\ty", "city": "y", "postalCode": "1", "country": "DE"}},
            "shippingAddress.line1",
        ),
        (
            {"shippingAddress": {"line1": "x", "city": "y", "postalCode": "1\n", "country": "DE"}},
            "shippingAddress.postalCode",
        ),
    ],
)
def test_text_rules_are_whole_string_and_visible(overrides: dict[str, Any], path: str) -> None:
    assert path in problems(order(**overrides))


def test_free_text_keeps_what_real_addresses_hold() -> None:
    address = {
        "line1": "Mehrgan St. \u06f1\u06f2",
        "line2": "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
        "city": "São Paulo",
        "postalCode": "SW1A 1AA",
        "country": "BR",
    }
    parsed = parse_order(order(shippingAddress=address, email="o'brien+orders@example.co.uk"))
    assert parsed.shipping_address is not None
    assert parsed.shipping_address.line2 == "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645"


def test_a_huge_unknown_key_is_not_echoed_whole() -> None:
    found = problems(order(**{"k" * 60_000: 1}))
    (path,) = found
    assert len(path) <= 65


def test_problem_bodies_list_at_most_twenty_errors_and_count_them() -> None:
    payload = order(**{f"unknown{i}": 1 for i in range(7_700)})
    with pytest.raises(OrderValidationError) as caught:
        parse_order(payload)
    body = problem(422, "Unprocessable Content", "the order is not valid", errors=caught.value.errors).body
    assert len(body["errors"]) == MAX_ERRORS
    assert body["errorCount"] == 7_700
    assert len(json.dumps(body)) < 4_000


@pytest.mark.parametrize(
    ("supplied", "used"),
    [
        ("corr-1.A_b", "corr-1.A_b"),
        ("x" * 64, "x" * 64),
        ("x" * 65, None),
        ("x" * 60_000, None),
        ("*URGENT* <https://evil.example/login|Re-authenticate>", None),
        ("abc\n", None),
        ("", None),
        (None, None),
    ],
)
def test_correlation_ids_are_taken_only_in_their_plain_form(supplied: str | None, used: str | None) -> None:
    assert valid_correlation_id(supplied) == used


def test_idempotency_keys_are_whole_string_printable_ascii() -> None:
    with pytest.raises(ValueError, match="printable ASCII"):
        validate_idempotency_key("key\n")
    assert validate_idempotency_key("k|1") == "k|1"


# Callers


def test_an_assumed_role_is_one_caller_whatever_its_session() -> None:
    def iam(arn: str) -> str:
        return caller_of({"iam": {"userArn": arn, "accountId": "111122223333"}})

    first = iam("arn:aws:sts::111122223333:assumed-role/ci-deployer/job-1")
    assert first == iam("arn:aws:sts::111122223333:assumed-role/ci-deployer/job-2")
    assert first != iam("arn:aws:sts::444455556666:assumed-role/ci-deployer/job-1")
    assert first != iam("arn:aws:sts::111122223333:assumed-role/other-role/job-1")
    assert iam("arn:aws:iam::111122223333:user/ada") != iam("arn:aws:iam::111122223333:user/bob")
    by_id = caller_of({"iam": {"userId": "AROAEXAMPLE:job-1", "accountId": "111122223333"}})
    assert by_id == caller_of({"iam": {"userId": "AROAEXAMPLE:job-2", "accountId": "111122223333"}})


def test_jwt_callers_are_issuer_and_subject_unambiguously() -> None:
    def jwt(iss: str, sub: str) -> str:
        return caller_of({"jwt": {"claims": {"iss": iss, "sub": sub}}})

    assert jwt("https://a", "b:c") != jwt("https://a:b", "c")
    assert jwt("https://idp-1", "ada") != jwt("https://idp-2", "ada")
    assert caller_of({}) == ANONYMOUS


def test_scoped_keys_do_not_collide_across_callers() -> None:
    # Joined as "caller|key", these two pairs were one string.
    assert scoped_idempotency_key("a|b", "c") != scoped_idempotency_key("a", "b|c")
    assert scoped_idempotency_key("a", "k") == scoped_idempotency_key("a", "k")
    assert len(scoped_idempotency_key("x" * 2000, "k")) == len(scoped_idempotency_key("a", "k"))
