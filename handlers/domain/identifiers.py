"""Identifiers: order ids, Idempotency-Keys (their form, their scope per caller, the request they were used with) and
correlation ids. Pure: the patterns are the contract's (handlers.domain.contract)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import secrets
from typing import Any

from handlers.domain.contract import (
    CORRELATION_ID_PATTERN,
    IDEMPOTENCY_KEY_PATTERN,
    MAX_IDEMPOTENCY_KEY_LENGTH,
    ORDER_ID_PATTERN,
)

_IDEMPOTENCY_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN, re.ASCII)
_ORDER_ID = re.compile(ORDER_ID_PATTERN, re.ASCII)
_CORRELATION_ID = re.compile(CORRELATION_ID_PATTERN, re.ASCII)


def validate_idempotency_key(key: str | None) -> str:
    """Raises ValueError with the reason when the key is missing or malformed."""
    if key is None or not key.strip():
        raise ValueError("the Idempotency-Key header is required")
    if not _IDEMPOTENCY_KEY.fullmatch(key):
        raise ValueError(
            f"the Idempotency-Key header must be 1..{MAX_IDEMPOTENCY_KEY_LENGTH} printable ASCII characters"
        )
    return key


def is_order_id(value: str) -> bool:
    return bool(_ORDER_ID.fullmatch(value))


def valid_correlation_id(value: str | None) -> str | None:
    """The caller's X-Correlation-Id if it is one we may log and show, else None (the API then makes one)."""
    return value if value is not None and _CORRELATION_ID.fullmatch(value) else None


def scoped_idempotency_key(caller: str, key: str) -> str:
    """The key as the caller's own: a hash of both, so that no (caller, key) pair spells another's (a `|` in a key
    could, if they were joined as text), and of one fixed length whatever the caller's ARN."""
    return "key_" + hashlib.sha256(json.dumps([caller, key]).encode()).hexdigest()


def new_order_id() -> str:
    """A fresh order id: 130 random bits in 26 base32 characters. The API reserves one per Idempotency-Key window
    (workflow: the execution is named after it), so a key reused after its 24 hours names a new order."""
    return "ord_" + base64.b32encode(secrets.token_bytes(20)).decode().lower()[:26]


def request_hash(payload: Any) -> str:
    """A fingerprint of a request body, insensitive to key order and white space."""
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()
