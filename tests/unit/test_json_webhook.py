"""The JSON webhook client (handlers.adapters.json_webhook) through its seams: a transport that answers from a script,
and a sleep that records its waits instead of waiting."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable, Mapping
from typing import Any

import pytest

from handlers.adapters.alert_targets import TargetConfig
from handlers.adapters.alert_targets.slack import SlackTarget
from handlers.adapters.alert_targets.webhook import WebhookTarget
from handlers.adapters.json_webhook import MAX_RETRY_AFTER, Answer, JsonWebhook
from handlers.alert_registry import TargetSpec, configured_targets
from handlers.domain.errors import AlertDeliveryError, AlertRefused

URL = "https://hooks.example.invalid/services/T000/B000/x"


class ScriptedWebhook:
    """Answers each POST with the next scripted answer; an exception in the script is raised (nothing answered)."""

    def __init__(self, *script: Answer | OSError) -> None:
        self.script = deque(script)
        self.requests: list[tuple[str, Any, float]] = []
        self.waits: list[float] = []

    def transport(self, url: str, body: bytes, timeout: float) -> Answer:
        self.requests.append((url, json.loads(body), timeout))
        answer = self.script.popleft()
        if isinstance(answer, OSError):
            raise answer
        return answer

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)

    def client(self, name: str = "webhook", max_attempts: int = 3) -> JsonWebhook:
        return JsonWebhook(
            URL, name=name, max_attempts=max_attempts, transport=self.transport, sleep=self.sleep, timeout=4.0
        )


def answer(status: int, headers: Mapping[str, str] | None = None, body: str = "") -> Answer:
    return Answer(status, dict(headers or {}), body)


def test_a_429_is_retried_after_the_wait_it_asks_for() -> None:
    hook = ScriptedWebhook(answer(429, {"Retry-After": "3"}), answer(200, body="ok"))

    assert hook.client().post({"text": "hello"}) == 2
    assert hook.waits == [3.0]
    assert hook.requests == [(URL, {"text": "hello"}, 4.0)] * 2


def test_5xx_without_retry_after_backs_off_then_fails_naming_the_target() -> None:
    hook = ScriptedWebhook(answer(503), answer(500), answer(502))

    with pytest.raises(AlertDeliveryError, match=r"^webhook did not accept the alert after 3 attempts \(HTTP 502\)"):
        hook.client().post({"text": "hello"})
    assert hook.waits == [1.0, 2.0]  # between attempts only: none after the last
    assert len(hook.requests) == 3


def test_retry_after_is_capped_and_a_date_or_garbage_falls_back_to_backoff() -> None:
    hook = ScriptedWebhook(
        answer(429, {"retry-after": "3600"}),
        answer(503, {"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}),
        answer(200),
    )

    assert hook.client().post({}) == 3
    assert hook.waits == [MAX_RETRY_AFTER, 2.0]


def test_nothing_answering_is_retried_like_a_5xx() -> None:
    hook = ScriptedWebhook(TimeoutError("timed out"), answer(200))

    assert hook.client().post({}) == 2
    assert hook.waits == [1.0]


def test_a_refusal_is_not_retried_and_the_error_names_the_target() -> None:
    slack = ScriptedWebhook(answer(404, body="no_service"))
    with pytest.raises(AlertRefused, match=r"^Slack refused the alert: HTTP 404 no_service"):
        slack.client(name="Slack").post({})
    assert slack.waits == []

    hook = ScriptedWebhook(answer(400, body="bad payload"))
    with pytest.raises(AlertRefused, match=r"^webhook refused the alert: HTTP 400 bad payload"):
        hook.client(name="webhook").post({})


def _config(secrets: dict[str, str]) -> Callable[[TargetSpec], TargetConfig]:
    return lambda spec: TargetConfig(secret=secrets.get(spec.name), max_attempts=2)


def test_failures_to_the_slack_target_say_slack_and_to_the_webhook_say_webhook() -> None:
    urls = {"slack": "https://hooks.slack.com/services/T/B/x", "webhook": "https://alerts.example.invalid/in"}
    reported: list[str] = []
    log, slack, webhook = configured_targets("slack,webhook", _config(urls), reported.append)
    assert reported == []

    assert log.name == "log"
    assert isinstance(slack, SlackTarget)
    assert isinstance(webhook, WebhookTarget)
    assert (slack.webhook.name, webhook.webhook.name) == ("Slack", "webhook")


def test_targets_without_a_url_or_unknown_are_skipped_and_reported() -> None:
    reported: list[str] = []
    targets = configured_targets("slack, pager ,webhook,log", _config({"webhook": "not a url"}), reported.append)
    assert [target.name for target in targets] == ["log"]
    assert reported == [
        "alert target slack is not configured: its secret holds no http(s) URL for a Slack incoming webhook",
        "unknown alert target 'pager' in ALERT_TARGETS: the targets are email, log, pagerduty, slack, teams, webhook",
        "alert target webhook is not configured: its secret holds no http(s) URL for a webhook",
    ]
