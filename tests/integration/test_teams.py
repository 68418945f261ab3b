"""The Teams target end to end: with ALERT_TARGETS=teams, a failed order reaches the Teams Workflows webhook (a
loopback receiver, its URL stored in the teams-webhook secret as `orderflow up` stores TEAMS_WEBHOOK_URL) as one
Adaptive Card message naming the order, and a published ORDER_RESOLVED as a resolved notice."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from handlers.domain.alerts import resolution
from handlers.domain.teams_card import CARD_CONTENT_TYPE, escape_markdown
from tests.support.fixtures import TIME_SCALE, Runtimes, alerts_settled, submitter
from workflow.local.receiver import LoopbackWebhook
from workflow.local.runtime import LocalRuntime, RuntimeConfig
from workflow.local.samples import sample_order
from workflow.local.waiting import poll_until


@pytest.fixture(scope="module")
def teams() -> Iterator[LoopbackWebhook]:
    """The Teams Workflows webhook ("Post to a channel when a webhook request is received")."""
    with LoopbackWebhook(path="/workflows/orderflow/triggers/manual/paths/invoke") as receiver:
        yield receiver


@pytest.fixture(scope="module")
def teams_runtime(runtimes: Runtimes, teams: LoopbackWebhook) -> Iterator[LocalRuntime]:
    """A local system alerting to Teams alone (one runtime per process: the shared one stops for this module)."""
    runtimes.close()
    config = RuntimeConfig(
        time_scale=TIME_SCALE,
        poll_wait_seconds=1,
        settings={"TEAMS_WEBHOOK_URL": teams.url, "ALERT_TARGETS": "teams"},
    )
    runtime = LocalRuntime(config).start()
    yield runtime
    runtime.stop()


def cards(receiver: LoopbackWebhook) -> list[dict[str, Any]]:
    """The Adaptive Cards the receiver accepted, each out of its Workflows message (which must be one card)."""
    found = []
    for message in receiver.messages():
        assert message["type"] == "message"
        (attachment,) = message["attachments"]
        assert attachment["contentType"] == CARD_CONTENT_TYPE
        found.append(attachment["content"])
    return found


def texts(card: dict[str, Any]) -> Iterator[str]:
    """Every TextBlock text of the card in reading order, nested ones included."""
    yield from _texts(card["body"])


def _texts(elements: list[dict[str, Any]]) -> Iterator[str]:
    for element in elements:
        if element["type"] == "TextBlock":
            yield element["text"]
        yield from _texts(element.get("items", []))


def order_cards(receiver: LoopbackWebhook, order_id: str) -> list[dict[str, Any]]:
    """The cards whose Order fact is this order (as Teams shows it: escaped)."""
    shown = escape_markdown(order_id)
    return [
        card
        for card in cards(receiver)
        if any(f == {"title": "Order", "value": shown} for e in card["body"] for f in e.get("facts", []))
    ]


def test_a_failed_order_reaches_teams_as_one_adaptive_card(teams_runtime: LocalRuntime, teams: LoopbackWebhook) -> None:
    accepted = submitter(teams_runtime)(sample_order(currency="QQQ"))
    order_id = accepted["json"]["orderId"]
    poll_until(lambda: order_cards(teams, order_id), timeout=20, what="the failed order's card in Teams")
    alerts_settled(teams_runtime)
    (card,) = order_cards(teams, order_id)  # one card, however the alert was handled
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.4"
    header, *rest = texts(card)
    assert header == "Order failed at ValidateOrder"
    assert any("QQQ" in text for text in rest)  # the reason
    facts = {f["title"]: f["value"] for e in card["body"] for f in e.get("facts", [])}
    assert facts["Error"] == "OrderValidationError"
    assert facts["Correlation id"] == escape_markdown(accepted["headers"]["x-correlation-id"])
    (button,) = card["actions"]
    assert button["type"] == "Action.OpenUrl"
    assert button["url"].endswith(order_id)


def test_a_resolution_reaches_teams_as_a_resolved_notice(teams_runtime: LocalRuntime, teams: LoopbackWebhook) -> None:
    order_id = "ord_" + "r" * 26
    at = datetime.now(UTC).isoformat()
    resolved = resolution(order_id, "FULFILLED", at, "rerun by ops")
    teams_runtime.sns.publish(TopicArn=teams_runtime.topic_arns["alerts"], Message=json.dumps(resolved))
    expected = f"**Resolved**: order {escape_markdown(order_id)} is FULFILLED (rerun by ops)"

    def notices() -> list[dict[str, Any]]:
        return [card for card in cards(teams) if expected in texts(card)]

    poll_until(notices, timeout=20, what="the resolved notice in Teams")
    alerts_settled(teams_runtime)
    (notice,) = notices()
    assert notice["actions"] == []
    assert notice["body"][0]["style"] == "good"
