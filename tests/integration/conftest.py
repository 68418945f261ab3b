from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.apievents import api_event
from tests.webhook import WebhookReceiver
from workflow.local.runtime import LocalRuntime, RuntimeConfig

# Production waits x 0.002: a 1 s retry interval becomes 2 ms, the alert queue's 1080 s visibility timeout 2 s.
TIME_SCALE = 0.002


@pytest.fixture(scope="session")
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="session")
def hook() -> Iterator[WebhookReceiver]:
    """The generic 'webhook' alert target, beside Slack."""
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="session")
def runtime(webhook: WebhookReceiver, hook: WebhookReceiver) -> Iterator[LocalRuntime]:
    config = RuntimeConfig(
        time_scale=TIME_SCALE,
        settings={
            "SLACK_WEBHOOK_URL": webhook.url,
            "SLACK_MAX_ATTEMPTS": "2",
            "ALERT_WEBHOOK_URL": hook.url,
            "ALERT_TARGETS": "slack,webhook",
        },
        poll_wait_seconds=1,
    )
    with LocalRuntime(config) as started:
        yield started


Submit = Callable[..., dict[str, Any]]


@pytest.fixture
def submit(runtime: LocalRuntime) -> Submit:
    def _submit(order: Any, key: str | None = None, headers: dict[str, str] | None = None) -> dict[str, Any]:
        all_headers = {"idempotency-key": key or str(uuid.uuid4()), **(headers or {})}
        response = runtime.invoke_api(api_event("POST", "/orders", order, all_headers))
        response["json"] = json.loads(response["body"])
        return response

    return _submit


def valid_order(**overrides: Any) -> dict[str, Any]:
    order: dict[str, Any] = {
        "customerId": "cust-1",
        "currency": "EUR",
        "email": "ada@example.com",
        "items": [
            {"sku": "BOOK", "quantity": 2, "unitPrice": "12.50"},
            {"sku": "PEN", "quantity": 1, "unitPrice": "0.99"},
        ],
    }
    order.update(overrides)
    return order


def eventually(check: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} not met within {timeout}s")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.2)


def alerts_settled(runtime: LocalRuntime, timeout: float = 20.0) -> None:
    """Until the alert queue holds nothing, visible or in flight: every alert published so far was handled."""
    eventually(lambda: runtime.messages_in("alerts") == 0, timeout=timeout, what="an empty alert queue")
