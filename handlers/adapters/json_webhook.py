"""Posting JSON to a webhook (a Slack incoming webhook, PagerDuty's Events API, or any alert bridge), with bounded
retries that honour Retry-After. Its errors name the target it serves ("Slack refused ...", "webhook refused ..."), so
an operator reading the alert DLQ or the log knows which one failed. A refusal (WebhookRefused, an AlertRefused)
carries the receiver's status and body, for a target whose receiver explains itself (PagerDuty's `errors` array).

Standard library only (urllib): the Lambda package is our `handlers/` alone, with boto3 from the runtime and
Powertools from its public layer; nothing else needs bundling.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from handlers.domain.errors import AlertDeliveryError, AlertRefused

# With 3 tries of up to 10 s each, a post stays within the AlertHandler's one-minute budget per post.
MAX_RETRY_AFTER = 10.0
TIMEOUT = 10.0
# Of an answer's body, only this much is read: enough for a receiver's explanation of a refusal (PagerDuty lists
# every error of an event), bounded whatever the receiver sends.
MAX_BODY = 4096


@dataclass(frozen=True)
class Answer:
    status: int
    headers: Mapping[str, str]
    body: str


class WebhookRefused(AlertRefused):
    """The receiver refused the message for good (a 4xx other than 429). `status` and `body` (at most MAX_BODY
    bytes, as read) are the receiver's answer, for a target that reports the receiver's own reasons."""

    def __init__(self, message: str, status: int, body: str) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


# (url, JSON body, timeout seconds) -> the webhook's answer; raises OSError when nothing answered (refused, timed
# out, reset).
Transport = Callable[[str, bytes, float], Answer]


def urllib_transport(url: str, body: bytes, timeout: float = TIMEOUT) -> Answer:
    request = urllib.request.Request(  # noqa: S310 - the operator configures an http(s) webhook URL
        url, data=body, method="POST", headers={"Content-Type": "application/json"}
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return Answer(
                response.status, dict(response.headers.items()), response.read(MAX_BODY).decode(errors="replace")
            )
    except urllib.error.HTTPError as e:
        with e:
            return Answer(e.code, dict(e.headers.items()), e.read(MAX_BODY).decode(errors="replace"))


class JsonWebhook:
    """One webhook URL. `name` is how errors call the receiver (e.g. "Slack", "webhook")."""

    def __init__(
        self,
        url: str,
        *,
        name: str,
        max_attempts: int = 3,
        transport: Transport = urllib_transport,
        sleep: Callable[[float], None] = time.sleep,
        timeout: float = TIMEOUT,
    ) -> None:
        self._url = url
        self.name = name
        self._timeout = timeout
        self._transport = transport
        self._max_attempts = max(1, max_attempts)
        self._sleep = sleep

    def post(self, message: dict[str, Any]) -> int:
        """Post the message; returns the attempts it took. Raises AlertDeliveryError when the webhook never took it."""
        body = json.dumps(message).encode("utf-8")
        last = ""
        for attempt in range(1, self._max_attempts + 1):
            try:
                answer = self._transport(self._url, body, self._timeout)
            except OSError as e:
                last = type(getattr(e, "reason", e)).__name__
                delay = float(2 ** (attempt - 1))
            else:
                if answer.status < 300:
                    return attempt
                last = f"HTTP {answer.status}"
                if answer.status == 429 or answer.status >= 500:
                    delay = _retry_after(_header(answer.headers, "Retry-After"), default=float(2 ** (attempt - 1)))
                else:
                    # 4xx other than 429: the webhook or the payload is wrong; retrying cannot help. The alert is
                    # kept: the delivery parks it in the alert DLQ at once, with this reason.
                    raise WebhookRefused(
                        f"{self.name} refused the alert: {last} {answer.body[:200]}", answer.status, answer.body
                    )
            if attempt < self._max_attempts:
                self._sleep(delay)
        raise AlertDeliveryError(f"{self.name} did not accept the alert after {self._max_attempts} attempts ({last})")


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def _retry_after(value: str | None, default: float) -> float:
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        return default
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
