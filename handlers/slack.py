"""Posting to a Slack incoming webhook, with bounded retries that honour Retry-After."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import requests

from handlers.errors import AlertDeliveryError

MAX_RETRY_AFTER = 30.0
TIMEOUT = (3.05, 10.0)


class SlackWebhook:
    def __init__(
        self,
        url: str,
        session: requests.Session,
        max_attempts: int = 3,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._url = url
        self._session = session
        self._max_attempts = max(1, max_attempts)
        self._sleep = sleep

    def post(self, message: dict[str, Any]) -> int:
        """Post the message; returns the attempts it took. Raises AlertDeliveryError when Slack never took it."""
        last = ""
        for attempt in range(1, self._max_attempts + 1):
            try:
                response = self._session.post(self._url, json=message, timeout=TIMEOUT)
            except requests.RequestException as e:
                last = f"{type(e).__name__}"
                delay = float(2 ** (attempt - 1))
            else:
                if response.status_code < 300:
                    return attempt
                last = f"HTTP {response.status_code}"
                if response.status_code == 429 or response.status_code >= 500:
                    delay = _retry_after(response.headers.get("Retry-After"), default=float(2 ** (attempt - 1)))
                else:
                    # 4xx other than 429: the webhook or the payload is wrong; retrying now cannot help, and
                    # failing the invocation keeps the alert (redelivery, then the alert DLQ).
                    raise AlertDeliveryError(f"Slack refused the alert: {last} {response.text[:200]}")
            if attempt < self._max_attempts:
                self._sleep(delay)
        raise AlertDeliveryError(f"Slack did not accept the alert after {self._max_attempts} attempts ({last})")


def _retry_after(value: str | None, default: float) -> float:
    if value is None:
        return default
    try:
        seconds = float(value)
    except ValueError:
        return default
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)
