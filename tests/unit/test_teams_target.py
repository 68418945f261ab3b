"""The Teams target: Adaptive Cards (handlers.domain.teams_card) in the message a Teams Workflows webhook takes, posted
by handlers.adapters.alert_targets.teams through a scripted transport (no network), and its configuration check."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any, cast

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

EQUIVALENT_MUTANTS: dict[str, str] = {
    "handlers.domain.teams_card.x_header__mutmut_13": (
        "value(plain(text)) without 150: plain() has already cut the title to 150 characters, so no limit >= 150 cuts"
    ),
    "handlers.domain.teams_card.x_header__mutmut_15": (
        "value(plain(text), 151): plain() has already cut the title to 150 characters, so no limit >= 150 cuts"
    ),
}

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


# Whole cards, exactly as they are posted

CONSOLE_LINK = "https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/"


def title_band(text: str, tone: str) -> dict[str, Any]:
    title = {"type": "TextBlock", "text": text, "wrap": True, "size": "Large", "weight": "Bolder", "color": tone}
    return {"type": "Container", "style": tone, "bleed": True, "items": [title]}


def card_of(body: list[dict[str, Any]], actions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "actions": actions,
        "msteams": {"width": "Full"},
    }


WHY = {"type": "TextBlock", "text": "Why", "wrap": True, "weight": "Bolder"}


def test_a_system_failure_card_is_exactly_so() -> None:
    alert = an_alert(error="OrderStoreUnavailable", cause="line one\n  - two\n\n   \n3. three")
    assert teams_message(teams_card(alert, None)) == {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": card_of(
                    [
                        title_band("Order failed at ValidateOrder", ATTENTION),
                        {
                            "type": "FactSet",
                            "facts": [
                                {"title": "Order", "value": "ord\\_1"},
                                {"title": "Error", "value": "OrderStoreUnavailable"},
                                {"title": "Correlation id", "value": "corr-1"},
                                {"title": "When", "value": "2026-11-26T12:00:00Z"},
                                {"title": "Total", "value": "25.99 EUR"},
                            ],
                        },
                        WHY,
                        {
                            "type": "TextBlock",
                            "text": "line one\n\n\\- two\n\n3\\. three",
                            "wrap": True,
                            "fontType": "Monospace",
                        },
                    ],
                    [
                        {
                            "type": "Action.OpenUrl",
                            "title": "Open execution",
                            "url": CONSOLE_LINK + ARN.format("ord_1"),
                        }
                    ],
                ),
            }
        ],
    }


def test_an_alert_without_total_correlation_or_cause_shows_dashes() -> None:
    card = alert_card(an_alert(total="", correlation_id="", cause=" \n\t\n", currency=""), "")
    assert card["body"][1:] == [
        {
            "type": "FactSet",
            "facts": [
                {"title": "Order", "value": "ord\\_1"},
                {"title": "Error", "value": "OrderValidationError"},
                {"title": "Correlation id", "value": "-"},
                {"title": "When", "value": "2026-11-26T12:00:00Z"},
            ],
        },
        WHY,
        {"type": "TextBlock", "text": "-", "wrap": True, "fontType": "Monospace"},
    ]
    assert card["actions"] == []
    assert fact(alert_card(an_alert(currency=""), ""), "Total") == "25.99"


def test_an_alarm_card_is_exactly_so() -> None:
    assert alarm_card(an_alarm("INSUFFICIENT_DATA")) == card_of(
        [
            title_band("INSUFFICIENT\\_DATA: orderflow-OrderDlqNotEmptyAlarm", CAUTION),
            {"type": "TextBlock", "text": "orderflow: orders are parked in the order DLQ", "wrap": True},
            {
                "type": "FactSet",
                "facts": [
                    {"title": "Was", "value": "ALARM"},
                    {"title": "When", "value": "2026-11-26T12:00:00.000+0000"},
                ],
            },
            WHY,
            {
                "type": "TextBlock",
                "text": (
                    "Threshold Crossed: 1 datapoint \\[3.0\\] was greater than or equal to the threshold \\(1.0\\)."
                ),
                "wrap": True,
                "fontType": "Monospace",
            },
        ],
        [],
    )


def test_an_alarm_without_a_description_names_itself_in_up_to_300_characters() -> None:
    bare = AlarmNotice("a-" + "n" * 400, "", "ALARM", "OK", "", "", "")
    card = alarm_card(bare)
    assert card["body"][1]["text"] == "a-" + "n" * 298 + "…"
    assert card["body"][-1]["text"] == "-"
    described = AlarmNotice("x", "d" * 300, "ALARM", "OK", "", "", "")
    assert alarm_card(described)["body"][1]["text"] == "d" * 300


def test_a_resolution_card_is_exactly_so() -> None:
    assert teams_card(Resolution("ord_1", "FULFILLED", "t", "r"), None) == card_of(
        [
            {
                "type": "Container",
                "style": GOOD,
                "items": [
                    {
                        "type": "TextBlock",
                        "text": "**Resolved**: order ord\\_1 is FULFILLED (r)",
                        "wrap": True,
                        "color": GOOD,
                    }
                ],
            }
        ],
        [],
    )


def test_anything_else_is_no_notification() -> None:
    with pytest.raises(TypeError, match=r"^not a notification: str$"):
        teams_card(cast(Any, "ord_1"), None)


def test_every_markdown_character_is_escaped_and_lists_only_at_a_line_s_start() -> None:
    assert escape_markdown("\\`*_~[]()#<>|&!{}") == "\\\\\\`\\*\\_\\~\\[\\]\\(\\)\\#\\<\\>\\|\\&\\!\\{\\}"
    assert escape_markdown("+ a") == "\\+ a"
    assert escape_markdown("- a") == "\\- a"
    assert escape_markdown("a - b + c") == "a - b + c"
    assert escape_markdown("12.") == "12\\."
    assert escape_markdown("12. x") == "12\\. x"
    assert escape_markdown("1.5 and x 2. y") == "1.5 and x 2. y"
    # Bare URLs and www. hosts, in any case, do not link; "awww." is no host.
    assert escape_markdown("WWW.x www.y awww.z http://a") == "WWW\u2024x www\u2024y awww.z http\ua789//a"


def test_values_are_cut_at_200_characters_and_empty_ones_are_a_dash() -> None:
    assert fact(alert_card(an_alert(error="E" * 200), ""), "Error") == "E" * 200
    assert fact(alert_card(an_alert(error="E" * 201), ""), "Error") == "E" * 200 + "…"
    assert fact(alert_card(an_alert(error=" a \n b\t"), ""), "Error") == "a b"
    assert fact(alert_card(an_alert(error=""), ""), "Error") == "-"


def test_a_cause_is_cut_at_max_cause_exactly() -> None:
    assert alert_card(an_alert(cause="x" * MAX_CAUSE), "")["body"][-1]["text"] == "x" * MAX_CAUSE
    assert alert_card(an_alert(cause="x" * (MAX_CAUSE + 1)), "")["body"][-1]["text"] == "x" * MAX_CAUSE + "…"


def test_the_header_is_one_line_of_at_most_150_characters() -> None:
    card = alert_card(an_alert(failed_state="S" * 500), "")
    assert header_of(card)["text"] == "Order failed at " + "S" * (149 - len("Order failed at ")) + "…"
    short = alert_card(an_alert(failed_state="a\nb"), "")
    assert header_of(short)["text"] == "Order failed at a b"


# The storm, exactly


def test_a_storm_card_is_exactly_so() -> None:
    storm: list[Notification] = [
        an_alert("ord_b0", execution_arn=""),
        *(an_alert(f"ord_s{i}", failed_state="CreateOrder", error="OrderStoreUnavailable") for i in range(6)),
        an_alarm(),
        Resolution("ord_r0", "FULFILLED", "t"),
    ]
    template = "https://console.example.invalid/{arn}"
    assert storm_card(storm, template) == card_of(
        [
            title_band("Alert storm: 7 orders failed, 1 alarms", ATTENTION),
            {
                "type": "FactSet",
                "facts": [
                    {
                        "title": "6 at CreateOrder",
                        "value": "OrderStoreUnavailable: ord\\_s0, ord\\_s1, ord\\_s2, ord\\_s3, ord\\_s4 and 1 more",
                    },
                    {"title": "1 at ValidateOrder", "value": "OrderValidationError: ord\\_b0"},
                    {"title": "Alarm", "value": "orderflow-OrderDlqNotEmptyAlarm is ALARM"},
                ],
            },
            {"type": "TextBlock", "text": "**1 resolved**: ord\\_r0", "wrap": True, "color": GOOD},
        ],
        [
            {
                "type": "Action.OpenUrl",
                "title": "Open one of them (ord_s0)",
                "url": "https://console.example.invalid/" + ARN.format("ord_s0"),
            }
        ],
    )


def test_a_storm_of_resolutions_only_is_good_news() -> None:
    assert storm_card([Resolution("r1", "FULFILLED", "t")], None) == card_of(
        [
            title_band("Alert storm: 0 orders failed", GOOD),
            {"type": "TextBlock", "text": "**1 resolved**: r1", "wrap": True, "color": GOOD},
        ],
        [],
    )
    alarms_only = storm_card([an_alarm()], None)
    assert header_of(alarms_only) == title_band("Alert storm: 0 orders failed, 1 alarms", ATTENTION)["items"][0]


def test_a_storm_lists_15_groups_and_15_alarms_then_counts_the_rest() -> None:
    fifteen = [an_alert(f"o{i}", failed_state=f"S{i}") for i in range(15)]
    facts = storm_card(fifteen, None)["body"][1]["facts"]
    assert [f["title"] for f in facts] == [f"1 at S{i}" for i in range(15)]
    sixteen = storm_card([*fifteen, an_alert("o15", failed_state="S15"), an_alert("o16", failed_state="S15")], None)
    facts = sixteen["body"][1]["facts"]
    assert facts[0]["title"] == "2 at S15"  # the largest group first
    assert facts[15:] == [{"title": "Elsewhere", "value": "1 orders in 1 more groups"}]
    alarms = [AlarmNotice(f"a{i}", "", "ALARM", "OK", "", "", "") for i in range(15)]
    assert storm_card(alarms, None)["body"][1]["facts"][-1] == {"title": "Alarm", "value": "a14 is ALARM"}
    more = storm_card([*alarms, AlarmNotice("a15", "", "OK", "ALARM", "", "", "")], None)["body"][1]["facts"]
    assert len(more) == 16
    assert more[-1] == {"title": "Alarms", "value": "and 1 more"}


def test_a_storm_lists_5_order_ids_of_a_group_and_counts_the_rest() -> None:
    five = storm_card([an_alert(f"o{i}") for i in range(5)], None)["body"][1]["facts"][0]["value"]
    assert five == "OrderValidationError: o0, o1, o2, o3, o4"


def test_a_storm_cuts_names_and_button_titles() -> None:
    alert = an_alert("o" * 100, failed_state="S" * 100, error="E" * 100)
    alarm = AlarmNotice("A" * 130, "", "ALARM", "OK", "", "", "")
    card = storm_card([alert, alarm], None)
    group, alarmed = card["body"][1]["facts"]
    assert group == {"title": "1 at " + "S" * 80 + "…", "value": "E" * 80 + "…: " + "o" * 80 + "…"}
    assert alarmed == {"title": "Alarm", "value": "A" * 120 + "… is ALARM"}
    (button,) = card["actions"]
    assert button["title"] == "Open one of them (" + "o" * 41 + "…"  # 60 characters
