"""What keeps the console safe to leave open: the loopback rule every local server applies, a CSRF token and a
same-origin check on every POST, strict response headers, and redaction of personal data and secrets.

    tokens = CsrfTokens()                      # a random secret per process
    token = tokens.issue("redrive:orders")     # in a hidden form field of the page that posts it
    tokens.valid(token, "redrive:orders")      # constant-time comparison of the HMAC
    redact({"email": "ada@example.com"})       # {"email": "[redacted]"}
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from handlers.domain.alerts import EMAIL_IN_TEXT
from handlers.domain.order_input import ADDRESS_FIELDS

REDACTED = "[redacted]"

# The order's personal fields (handlers.domain.order_input: the address and the e-mail; the customer id names a
# person to whoever holds the customer table), and anything that names a secret or a person by its key.
PERSONAL_KEYS = frozenset({"email", "shippingAddress", "customerId", *ADDRESS_FIELDS})
_SECRET_KEY = re.compile(
    r"(e-?mail|address|phone|(customer|first|last|full|user|contact|given|family)_?name|webhook|url$|secret|token|password|passwd|"
    r"credential|authori[sz]ation|routingkey|apikey|api_key|owner|idempotencykey|requesthash)",
    re.IGNORECASE,
)
# Keys that match the pattern above but hold nothing personal (a state's name, a table's name, a queue's URL).
_SAFE_KEYS = frozenset({"name", "stateName", "TableName", "QueueUrl", "tableName", "queueName", "resourceName"})
# In free text (an error's cause, a message body): e-mail addresses and URLs (a webhook URL carries its secret).
_URL = re.compile(r"https?://[^\s\"'<>]+", re.IGNORECASE)


def _is_sensitive(key: str) -> bool:
    return key not in _SAFE_KEYS and (key in PERSONAL_KEYS or _SECRET_KEY.search(key) is not None)


def redact(value: Any) -> Any:
    """`value` (parsed JSON) with personal and secret fields replaced by REDACTED, and e-mail addresses and URLs
    cut out of the text that remains."""
    if isinstance(value, Mapping):
        return {str(k): REDACTED if _is_sensitive(str(k)) else redact(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    return value


def redact_text(text: str) -> str:
    """Free text with e-mail addresses and URLs replaced (an error's cause may quote either); XML namespaces stay."""
    return _URL.sub(_url, EMAIL_IN_TEXT.sub("[e-mail]", text))


def _url(match: re.Match[str]) -> str:
    return match.group(0) if match.group(0).startswith("http://www.w3.org/") else "[url]"


class CsrfTokens:
    """Tokens for the console's forms: HMAC-SHA256 of the form's purpose under a secret made when the process
    starts, so a token is good for that purpose on this console only, and none survives a restart."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret if secret is not None else secrets.token_bytes(32)

    def issue(self, purpose: str) -> str:
        return hmac.new(self._secret, purpose.encode("utf-8"), hashlib.sha256).hexdigest()

    def valid(self, token: str | None, purpose: str) -> bool:
        if not token:
            return False
        return hmac.compare_digest(token.encode("utf-8", "replace"), self.issue(purpose).encode("utf-8"))


def same_origin(origin: str | None, referer: str | None, own_origin: str) -> bool:
    """A POST comes from a page of this console: its Origin (browsers send it on POSTs), else its Referer, names
    the console's own scheme, host and port. Neither present: refused."""
    if origin is not None:
        return origin.lower() == own_origin.lower()
    if referer:
        parts = urlsplit(referer)
        return f"{parts.scheme}://{parts.netloc}".lower() == own_origin.lower()
    return False


# Self only: no inline script or style, no frames, no plugins, forms post to the console only.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = (
    ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "same-origin"),
    ("Cache-Control", "no-store"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
    ("Cross-Origin-Resource-Policy", "same-origin"),
)
