"""The Teams target: Adaptive Cards (handlers.domain.teams_card) in the message a Teams Workflows webhook takes, posted
by handlers.adapters.alert_targets.teams through a scripted transport (no network), and its configuration check."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest

from handlers.adapters.alert_targets import TargetConfig
from handlers.adapters.alert_targets.teams import TeamsTarget, build, problem
from handlers.adapters.json_webhook import Answer, JsonWebhook
from handlers.alert_registry import BY_NAME, configured_targets
from handlers.domain.alerts import MAX_CAUSE, ORDER_STUCK, AlarmNotice, Alert, Notification, Resolution
from handlers.domain.teams_card import (
    ATTENTION,
    CARD_CONTENT_TYPE,
    CAUTION,
    GOOD,
    alarm_card,
    alert_card,
    escape_markdown,
    resolution_card,
    storm_card,
    teams_card,
    teams_message,
)

URL = "https://prod-00.westeurope.logic.azure.com:443/workflows/abc/triggers/manual/paths/invoke?sig=SECRET"
ARN = "arn:aws:states:eu-west-1:123456789012:execution:orderflow-orders:{}"
HOSTILE = (
    "see [click](https://evil.example) <at>x</at> **bold** _it_ ~~s~~ `c` # h | t &amp; {{DATE(2026-01-01T00:00:00Z)}}"
)
# What makes text format, link or mention in a TextBlock or a fact (Teams' Markdown subset, entities, tags).
MARKUP = set("\\`*_~[]()#<>|&!{}")
ELEMENTS = {"TextBlock", "FactSet", "Container"}


def an_alert(order_id: str = "ord_1", **fields: Any) -> Alert:
    defaults: dict[str, Any] = {
        "order_id": order_id,
        "failed_state": "ValidateOrder",
        "error": "OrderValidationError",
        "cause": "currency: QQQ is not an ISO 4217 currency code",
        "execution_arn": ARN.format(order_id),
        "correlation_id": "corr-1",
        "at": "2026-11-26T12:00:00Z",
        "total": "25.99",
        "currency": "EUR",
    }
    return Alert(**{**defaults, **fields})


def an_alarm(state: str = "ALARM") -> AlarmNotice:
    return AlarmNotice(
        name="orderflow-OrderDlqNotEmptyAlarm",
        description="orderflow: orders are parked in the order DLQ",
        state=state,
        previous_state="OK" if state == "ALARM" else "ALARM",
        reason="Threshold Crossed: 1 datapoint [3.0] was greater than or equal to the threshold (1.0).",
        at="2026-11-26T12:00:00.000+0000",
        region="EU (Ireland)",
    )


def check_card(card: dict[str, Any]) -> None:
    """What the Adaptive Card schema requires of the elements we use (and Teams refuses a card without)."""
    assert card["type"] == "AdaptiveCard"
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    assert re.fullmatch(r"1\.[0-4]", card["version"])  # what every Teams client renders
    assert isinstance(card["body"], list)
    assert card["body"]
    for element in elements(card["body"]):
        assert element["type"] in ELEMENTS
        if element["type"] == "TextBlock":
            assert isinstance(element["text"], str)
            assert element["text"]
        if element["type"] == "FactSet":
            assert element["facts"]
            for fact in element["facts"]:
                assert isinstance(fact["title"], str)
                assert isinstance(fact["value"], str)
        if element["type"] == "Container":
            assert isinstance(element["items"], list)
    for action in card.get("actions", []):
        assert action["type"] == "Action.OpenUrl"
        assert isinstance(action["title"], str)
        assert action["url"].startswith("https://")
    json.dumps(card)  # the webhook takes JSON: nothing else may be in it


def elements(body: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for element in body:
        yield element
        yield from elements(element.get("items", []))


def texts(card: dict[str, Any]) -> list[str]:
    """Every string Teams reads as Markdown: TextBlock texts, fact titles and values."""
    found: list[str] = []
    for element in elements(card["body"]):
        if element["type"] == "TextBlock":
            found.append(element["text"])
        for fact in element.get("facts", []):
            found += [fact["title"], fact["value"]]
    return found


def unescaped_markup(text: str) -> list[str]:
    """The markup characters in `text` that no backslash escapes."""
    found: list[str] = []
    escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char in MARKUP:
            found.append(char)
    return found


def as_shown(text: str) -> str:
    """What a reader sees: escapes removed, the look-alike characters read as what they look like."""
    return re.sub(r"\\(.)", r"\1", text).replace("\ua789", ":").replace("\u2024", ".")


def inert(text: str) -> bool:
    return not unescaped_markup(text) and "://" not in text and "www." not in text.lower()


def fact(card: dict[str, Any], title: str) -> str:
    (value,) = [f["value"] for e in elements(card["body"]) for f in e.get("facts", []) if f["title"] == title]
    return str(value)


def header_of(card: dict[str, Any]) -> dict[str, Any]:
    container = card["body"][0]
    assert container["type"] == "Container"
    block: dict[str, Any] = container["items"][0]
    return block


# The card


def test_a_failed_order_is_one_card_in_the_workflows_message() -> None:
    message = teams_message(teams_card(an_alert(), None))
    assert message["type"] == "message"
    (attachment,) = message["attachments"]
    assert attachment["contentType"] == CARD_CONTENT_TYPE == "application/vnd.microsoft.card.adaptive"
    assert "contentUrl" in attachment
    assert attachment["contentUrl"] is None
    card = attachment["content"]
    check_card(card)
    assert header_of(card)["text"] == "Order failed at ValidateOrder"
    assert fact(card, "Order") == "ord\\_1"
    assert fact(card, "Error") == "OrderValidationError"
    assert fact(card, "Correlation id") == "corr-1"
    assert fact(card, "When") == "2026-11-26T12:00:00Z"
    assert fact(card, "Total") == "25.99 EUR"
    assert "currency: QQQ is not an ISO 4217 currency code" in texts(card)
    (button,) = card["actions"]
    assert button["title"] == "Open execution"
    assert button["url"].startswith("https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1")


def test_a_stuck_order_says_where_it_stopped_and_the_link_follows_the_template() -> None:
    stuck = an_alert(kind=ORDER_STUCK, failed_state="CREATED", error="OrderStuck", total="")
    card = alert_card(stuck, "https://console.example.invalid/x")
    check_card(card)
    assert header_of(card)["text"] == "Order stuck in CREATED"
    assert not [f for e in card["body"] for f in e.get("facts", []) if f["title"] == "Total"]  # unknown: not shown
    assert card["actions"][0]["url"] == "https://console.example.invalid/x"
    template = "https://console.example.invalid/{region}/{arn}"
    assert teams_card(stuck, template)["actions"][0]["url"].startswith("https://console.example.invalid/eu-west-1/")
    assert alert_card(an_alert(execution_arn=""), "")["actions"] == []  # nothing to open: no button


def test_severity_colours_the_header() -> None:
    business = an_alert()  # OrderValidationError: the customer's input, a warning
    system = an_alert(error="OrderStoreUnavailable")
    stuck = an_alert(kind=ORDER_STUCK, error="OrderStuck")
    assert (business.severity, system.severity, stuck.severity) == ("warning", "critical", "error")
    colours = [header_of(alert_card(a, ""))["color"] for a in (business, system, stuck)]
    assert colours == [CAUTION, ATTENTION, ATTENTION]
    assert header_of(alert_card(system, ""))["color"] == alert_card(system, "")["body"][0]["style"]
    assert header_of(alarm_card(an_alarm("ALARM")))["color"] == ATTENTION
    assert header_of(alarm_card(an_alarm("OK")))["color"] == GOOD
    assert header_of(alarm_card(an_alarm("INSUFFICIENT_DATA")))["color"] == CAUTION
    assert resolution_card(Resolution("ord_1", "FULFILLED", "t"))["body"][0]["style"] == GOOD


# Escaping


def test_values_that_spell_links_mentions_or_bold_render_inert() -> None:
    hostile = an_alert(
        order_id="ord_[x](https://evil.example)",
        failed_state="<at>Ops</at>",
        error="**Urgent** [pay here](http://evil.example/pay)",
        cause=f"{HOSTILE}\n- a list item\n1. another\n# heading\n> quote\nvisit www.evil.example",
        correlation_id="<https://evil.example>",
        at="![img](https://evil.example/i.png)",
        total="1.00 [x](javascript:alert(1))",
    )
    card = alert_card(hostile, "")
    check_card(card)
    for text in texts(card):
        assert inert(text), text
    # ...and reads as what was sent.
    assert as_shown(fact(card, "Order")) == "ord_[x](https://evil.example)"
    assert as_shown(fact(card, "Error")) == "**Urgent** [pay here](http://evil.example/pay)"
    assert as_shown(header_of(card)["text"]) == "Order failed at <at>Ops</at>"
    cause = card["body"][-1]["text"]
    assert as_shown(cause).split("\n\n") == [
        HOSTILE,
        "- a list item",
        "1. another",
        "# heading",
        "> quote",
        "visit www.evil.example",
    ]
    assert cause.split("\n\n")[1:3] == ["\\- a list item", "1\\. another"]  # no list


def test_escaping_keeps_plain_values_plain() -> None:
    assert escape_markdown("OrderValidationError") == "OrderValidationError"
    assert escape_markdown("25.99 EUR") == "25.99 EUR"  # an amount is no list
    assert escape_markdown("2026-11-26T12:00:00Z") == "2026-11-26T12:00:00Z"
    assert escape_markdown("a\\*b") == "a\\\\\\*b"  # a backslash in the value cannot undo ours
    assert as_shown(escape_markdown("a\\*b")) == "a\\*b"


def test_an_alarm_card_shows_what_was_and_why() -> None:
    card = alarm_card(an_alarm())
    check_card(card)
    assert header_of(card)["text"] == "ALARM: orderflow-OrderDlqNotEmptyAlarm"
    assert card["body"][1]["text"] == "orderflow: orders are parked in the order DLQ"
    assert (fact(card, "Was"), fact(card, "When")) == ("OK", "2026-11-26T12:00:00.000+0000")
    reason = card["body"][-1]["text"]
    assert inert(reason)
    assert as_shown(reason) == an_alarm().reason
    assert teams_card(an_alarm("OK"), None)["body"][0]["items"][0]["text"].startswith("OK: ")


def test_a_hostile_alarm_renders_inert() -> None:
    alarm = AlarmNotice(HOSTILE, HOSTILE, "ALARM", "<at>x</at>", HOSTILE, "[t](https://e.example)", "r")
    card = alarm_card(alarm)
    check_card(card)
    assert all(inert(text) for text in texts(card))


def test_a_resolution_is_a_short_resolved_notice() -> None:
    card = teams_card(Resolution("ord_1", "FULFILLED", "2026-11-26T13:00:00Z", "rerun by ops"), None)
    check_card(card)
    (block,) = card["body"][0]["items"]
    assert block["text"] == "**Resolved**: order ord\\_1 is FULFILLED (rerun by ops)"
    assert block["color"] == GOOD
    assert card["actions"] == []
    without = resolution_card(Resolution("ord_2", "FULFILLED", "t"))
    assert without["body"][0]["items"][0]["text"] == "**Resolved**: order ord\\_2 is FULFILLED"
    hostile = resolution_card(Resolution("ord_[x](https://evil.example)", "<at>x</at>", "t", "**now**"))
    text = hostile["body"][0]["items"][0]["text"].removeprefix("**Resolved**: order ")
    assert unescaped_markup(text) == ["(", ")"]  # ours, around the reason: no link without a [text]
    assert "://" not in text


def test_long_causes_are_capped() -> None:
    card = alert_card(an_alert(cause="x" * 10_000), "")
    cause = card["body"][-1]["text"]
    assert cause == "x" * MAX_CAUSE + "…"
    # Escaping comes after the cut: no escape is cut in half, and it stays bounded.
    marked = alert_card(an_alert(cause="[" * 10_000), "")["body"][-1]["text"]
    assert marked == "\\[" * MAX_CAUSE + "…"
    assert inert(marked)
    long_values = alert_card(an_alert(order_id="o" * 5_000, error="E" * 5_000), "")
    assert len(fact(long_values, "Order")) == 201
    assert len(header_of(alert_card(an_alert(failed_state="S" * 500), ""))["text"]) <= 150


# The storm


def test_a_storm_is_one_card_grouped_by_step_and_error() -> None:
    validation = [an_alert(f"ord_v{i}") for i in range(7)]
    store = [an_alert(f"ord_s{i}", failed_state="CreateOrder", error="OrderStoreUnavailable") for i in range(2)]
    resolved = [Resolution(f"ord_r{i}", "FULFILLED", "t") for i in range(2)]
    storm: list[Notification] = [*validation, *store, an_alarm(), *resolved]
    card = storm_card(storm, None)
    check_card(card)
    assert header_of(card)["text"] == "Alert storm: 9 orders failed, 1 alarms"
    (grouped,) = [e for e in card["body"] if e["type"] == "FactSet"]
    first, second, alarm = grouped["facts"]
    assert first == {
        "title": "7 at ValidateOrder",
        "value": "OrderValidationError: ord\\_v0, ord\\_v1, ord\\_v2, ord\\_v3, ord\\_v4 and 2 more",
    }
    assert second == {"title": "2 at CreateOrder", "value": "OrderStoreUnavailable: ord\\_s0, ord\\_s1"}
    assert alarm == {"title": "Alarm", "value": "orderflow-OrderDlqNotEmptyAlarm is ALARM"}
    assert card["body"][-1]["text"] == "**2 resolved**: ord\\_r0, ord\\_r1"
    (button,) = card["actions"]
    assert button["title"] == "Open one of them (ord_v0)"
    assert button["url"].endswith("orderflow-orders:ord_v0")


def test_a_huge_storm_stays_a_small_card() -> None:
    storm: list[Notification] = [
        an_alert(f"ord_{i}", failed_state=f"[s{i % 40}](https://e.example)", error="<at>x</at>" * 20)
        for i in range(2_000)
    ]
    card = storm_card(storm, None)
    check_card(card)
    facts = card["body"][1]["facts"]
    assert len(facts) == 16  # 15 groups, then the rest in one line
    assert facts[-1] == {"title": "Elsewhere", "value": "1250 orders in 25 more groups"}
    assert all(inert(f["title"]) and inert(f["value"]) for f in facts)
    assert len(json.dumps(teams_message(card))) < 28_000  # Teams' message limit


# The target


class Recorder:
    def __init__(self, *answers: Answer) -> None:
        self.answers = list(answers)
        self.bodies: list[dict[str, Any]] = []

    def transport(self, url: str, body: bytes, timeout: float) -> Answer:
        assert url == URL
        self.bodies.append(json.loads(body))
        return self.answers.pop(0) if self.answers else Answer(202, {}, "")


def test_the_target_posts_cards_and_storms_to_the_webhook() -> None:
    workflows = Recorder()
    target = TeamsTarget(JsonWebhook(URL, name="Teams", transport=workflows.transport), None)
    target.post(an_alert())
    target.post(Resolution("ord_1", "FULFILLED", "t"))
    target.post_summary([an_alert(f"ord_{i}") for i in range(4)])
    alert, resolved, storm = (body["attachments"][0]["content"] for body in workflows.bodies)
    assert all(body["type"] == "message" for body in workflows.bodies)
    assert header_of(alert)["text"] == "Order failed at ValidateOrder"
    assert resolved["body"][0]["items"][0]["text"].startswith("**Resolved**")
    assert header_of(storm)["text"] == "Alert storm: 4 orders failed"


def test_a_refusal_names_teams() -> None:
    from handlers.domain.errors import AlertRefused

    workflows = Recorder(Answer(400, {}, "InvalidRequestContent"))
    target = TeamsTarget(JsonWebhook(URL, name="Teams", transport=workflows.transport), None)
    with pytest.raises(AlertRefused, match=r"^Teams refused the alert: HTTP 400"):
        target.post(an_alert())


def test_the_registry_builds_the_teams_target_from_its_secret() -> None:
    reported: list[str] = []
    _, teams = configured_targets("teams", lambda spec: TargetConfig(secret=URL, max_attempts=2), reported.append)
    assert reported == []
    assert isinstance(teams, TeamsTarget)
    assert teams.name == "teams" == BY_NAME["teams"].name
    assert teams.webhook.name == "Teams"
    assert isinstance(build(TargetConfig(secret=URL)), TeamsTarget)


@pytest.mark.parametrize(
    ("secret", "wrong"),
    [
        (URL, None),
        ("http://127.0.0.1:8123/services/T000/B000/local", None),
        ("http://localhost/hook", None),
        ("http://[::1]:9000/hook", None),
        (None, "holds no http(s) URL"),
        ("not-configured", "holds no http(s) URL"),
        ("http://teams.example.com/workflows/x?sig=SECRET", "use https://"),
        ("https:///path-only?sig=SECRET", "without a host"),
        ("https://[::1/x?sig=SECRET", "without a host"),
        ("https://contoso.webhook.office.com/webhookb2/x?sig=SECRET", "Office 365 connector"),
        ("https://outlook.office.com/webhook/x?sig=SECRET", "Office 365 connector"),
    ],
)
def test_problem_wants_https_except_on_loopback_and_never_echoes_the_url(secret: str | None, wrong: str | None) -> None:
    found = problem(TargetConfig(secret=secret))
    if wrong is None:
        assert found is None
    else:
        assert found is not None
        assert wrong in found
        assert "SECRET" not in found
        assert "example.com" not in found
        assert "contoso" not in found
