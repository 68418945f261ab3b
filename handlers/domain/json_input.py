"""Reading untrusted JSON: one strict reader for what arrives at the API's edge.

Python's `json.loads` accepts more than a JSON text should carry into an order system, and fails on some inputs in
ways that are not client errors: 10,000 nested arrays raise RecursionError, a 5,000-digit integer raises ValueError
(the interpreter's int-size limit), `NaN`/`Infinity` are read as floats, a repeated key silently keeps its last
value, and an escaped lone surrogate ("\\ud800") becomes a str that cannot be encoded back to UTF-8. Each of those
is refused here with a JsonInputError naming the reason, before anything else looks at the document.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DEPTH = 16
# Characters in one number literal. Quantities have at most 4 digits; amounts travel as strings.
MAX_NUMBER_LENGTH = 32

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")


class JsonInputError(ValueError):
    """The text is not a JSON document this API reads; the message is the reason, fit for a problem body."""


def _depth(text: str) -> int:
    """The deepest nesting of arrays and objects, counted without recursion (strings are blanked first, so their
    brackets do not count)."""
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_STRING.sub('""', text)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _number(literal: str) -> None:
    if len(literal) > MAX_NUMBER_LENGTH:
        raise JsonInputError(f"a number has {len(literal)} characters; at most {MAX_NUMBER_LENGTH} are read")


def _int(literal: str) -> int:
    _number(literal)
    return int(literal)


def _float(literal: str) -> float:
    _number(literal)
    value = float(literal)
    if not math.isfinite(value):
        raise JsonInputError(f"the number {literal} is out of range")
    return value


def _constant(name: str) -> Any:
    raise JsonInputError(f"{name} is not a JSON value")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            shown = key if len(key) <= 64 else key[:64] + "…"
            raise JsonInputError(f"the key {json.dumps(shown)} appears twice in one object")
        result[key] = value
    return result


def _check_text(value: Any) -> None:
    """Every string (keys too) must be encodable as UTF-8: JSON escapes can spell lone surrogates."""
    if isinstance(value, str):
        if not value.isascii():
            try:
                value.encode()
            except UnicodeEncodeError:
                raise JsonInputError("a string holds a lone surrogate (\\ud800-\\udfff), which is not text") from None
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    elif isinstance(value, list):
        for item in value:
            _check_text(item)


def loads(data: bytes) -> Any:
    """Parse a UTF-8 JSON document strictly. Raises JsonInputError with the reason."""
    try:
        text = data.decode()
    except UnicodeDecodeError as e:
        raise JsonInputError(f"the body is not UTF-8 (byte {e.start} cannot be decoded)") from None
    if not text.strip():
        raise JsonInputError("the body is empty")
    if text.startswith("\ufeff"):
        raise JsonInputError("the body starts with a byte order mark; send JSON without one")
    if (deepest := _depth(text)) > MAX_DEPTH:
        raise JsonInputError(f"the document nests {deepest} levels deep; at most {MAX_DEPTH} are read")
    try:
        value = json.loads(
            text, object_pairs_hook=_object, parse_int=_int, parse_float=_float, parse_constant=_constant
        )
    except json.JSONDecodeError as e:
        raise JsonInputError(f"the body is not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    except RecursionError:  # only if _depth and the parser ever disagree: still the client's document
        raise JsonInputError(f"the document nests more than {MAX_DEPTH} levels deep") from None
    _check_text(value)
    return value
