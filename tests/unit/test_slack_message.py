"""Slack's Block Kit messages (handlers.domain.slack_message): alerts, alarms, resolutions and storms, whole."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.domain.alerts import MAX_CAUSE, ORDER_STUCK, AlarmNotice, Alert, Notification, Resolution
from handlers.domain.slack_message import (
    alarm_slack_message,
    code,
    code_block,
    escape_mrkdwn,
    notification_text,
    resolution_slack_message,
    slack_message,
    storm_slack_message,
)

EQUIVALENT_MUTANTS: dict[str, str] = {}

ARN = "arn:aws:states:eu-west-1:123456789012:execution:orderflow-orders:{}"
TEMPLATE = "https://console.example/{region}/{arn}"
# What a backtick is shown as inside a code span (U+02CB MODIFIER LETTER GRAVE ACCENT).
GRAVE = "\u02cb"


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


def an_alarm(state: str = "ALARM", **fields: str) -> AlarmNotice:
    defaults = {
        "name": "orderflow-OrderDlqNotEmptyAlarm",
        "description": "orderflow: orders are parked in the order DLQ",
        "state": state,
        "previous_state": "OK" if state == "ALARM" else "ALARM",
        "reason": "Threshold Crossed: 1 datapoint [3.0] was greater than or equal to the threshold (1.0).",
        "at": "2026-11-26T12:00:00.000+0000",
        "region": "EU (Ireland)",
    }
    return AlarmNotice(**{**defaults, **fields})


def field(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": text}}


# Escaping and code spans


def test_slack_s_three_control_characters_become_entities() -> None:
    assert escape_mrkdwn("<!channel> & <https://evil.example|login>") == (
        "&lt;!channel&gt; &amp; &lt;https://evil.example|login&gt;"
    )
    # `&` first: an entity already in the text is shown as typed, not read as the character.
    assert escape_mrkdwn("&lt;b&gt;") == "&amp;lt;b&amp;gt;"
    assert escape_mrkdwn("*bold* _it_ ~s~") == "*bold* _it_ ~s~"


def test_a_code_span_is_one_line_escaped_and_never_empty() -> None:
    assert code("ord_1") == "`ord_1`"
    assert code("  two\n\tlines   here ") == "`two lines here`"
    assert code("<@U123> & <!here>") == "`&lt;@U123&gt; &amp; &lt;!here&gt;`"
    assert code("a`b``c") == f"`a{GRAVE}b{GRAVE}{GRAVE}c`"
    assert code("") == "`-`"
    assert code(" \n\t ") == "`-`"


def test_a_code_span_is_cut_at_its_limit() -> None:
    assert code("x" * 200) == "`" + "x" * 200 + "`"
    assert code("x" * 201) == "`" + "x" * 200 + "…`"
    assert code("abc", 3) == "`abc`"
    assert code("abcd", 3) == "`abc…`"
    # Cut before escaping, so no entity is ever cut in half.
    assert code("&" * 201) == "`" + "&amp;" * 200 + "…`"
    # Whitespace is folded before the length is measured.
    assert code("a  " * 100) == "`" + " ".join("a" * 100) + "`"


def test_a_code_block_keeps_its_lines_and_is_cut_at_max_cause() -> None:
    assert code_block("line 1\n  line 2") == "```line 1\n  line 2```"
    assert code_block("") == "```-```"
    assert code_block("``` <https://evil.example|x> & ```") == (
        f"```{GRAVE * 3} &lt;https://evil.example|x&gt; &amp; {GRAVE * 3}```"
    )
    assert MAX_CAUSE == 2800
    assert code_block("x" * 2800) == "```" + "x" * 2800 + "```"
    assert code_block("x" * 2801) == "```" + "x" * 2800 + "…```"
    assert code_block("<" * 2801) == "```" + "&lt;" * 2800 + "…```"


def test_the_notification_text_is_one_escaped_line_of_at_most_300_characters() -> None:
    assert notification_text("a <b> &\n  c") == "a &lt;b&gt; &amp; c"
    assert notification_text("x" * 300) == "x" * 300
    assert notification_text("x" * 301) == "x" * 299 + "…"
    assert notification_text("<" * 301) == "&lt;" * 299 + "…"


# An order's alert


def test_a_failed_order_s_whole_message() -> None:
    assert slack_message(an_alert(), "https://console.example/ord_1") == {
        "text": "Order ord_1 failed at ValidateOrder: OrderValidationError",
        "blocks": [
            header("Order failed at ValidateOrder"),
            {
                "type": "section",
                "fields": [
                    field("*Order*\n`ord_1`"),
                    field("*Error*\n`OrderValidationError`"),
                    field("*Correlation id*\n`corr-1`"),
                    field("*When*\n`2026-11-26T12:00:00Z`"),
                    field("*Total*\n`25.99 EUR`"),
                ],
            },
            section("*Why*\n```currency: QQQ is not an ISO 4217 currency code```"),
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Open execution"},
                        "url": "https://console.example/ord_1",
                    }
                ],
            },
        ],
    }


def test_a_stuck_order_without_a_total_or_a_link() -> None:
    alert = an_alert(
        "ord_2",
        kind=ORDER_STUCK,
        failed_state="PAYMENT_PENDING",
        error="OrderStuck",
        cause="accepted 2026-11-26T11:00:00Z, still PAYMENT_PENDING after 60 minutes",
        correlation_id="",
        total="",
        currency="EUR",
    )
    assert slack_message(alert, "") == {
        "text": "Order ord_2 stuck in PAYMENT_PENDING: OrderStuck",
        "blocks": [
            header("Order stuck in PAYMENT_PENDING"),
            {
                "type": "section",
                "fields": [
                    field("*Order*\n`ord_2`"),
                    field("*Error*\n`OrderStuck`"),
                    field("*Correlation id*\n`-`"),
                    field("*When*\n`2026-11-26T12:00:00Z`"),
                ],
            },
            section("*Why*\n```accepted 2026-11-26T11:00:00Z, still PAYMENT_PENDING after 60 minutes```"),
        ],
    }


def test_a_total_without_a_currency_is_shown_alone() -> None:
    fields = slack_message(an_alert(total="2400", currency=""), "")["blocks"][1]["fields"]
    assert fields[-1] == field("*Total*\n`2400`")


def test_nothing_in_an_alert_can_link_mention_or_format() -> None:
    alert = an_alert(
        "ord_<!channel>",
        failed_state="Validate <@U1>",
        error="A&B",
        cause="``` <https://evil.example|login> ```",
        correlation_id="*URGENT* `x`",
        at="",
        total="1 <b>",
        currency="",
    )
    message = slack_message(alert, "")
    assert message == {
        "text": "Order ord_&lt;!channel&gt; failed at Validate &lt;@U1&gt;: A&amp;B",
        "blocks": [
            # Slack renders no markup in plain_text: shown as typed.
            header("Order failed at Validate <@U1>"),
            {
                "type": "section",
                "fields": [
                    field("*Order*\n`ord_&lt;!channel&gt;`"),
                    field("*Error*\n`A&amp;B`"),
                    field(f"*Correlation id*\n`*URGENT* {GRAVE}x{GRAVE}`"),
                    field("*When*\n`-`"),
                    field("*Total*\n`1 &lt;b&gt;`"),
                ],
            },
            section(f"*Why*\n```{GRAVE * 3} &lt;https://evil.example|login&gt; {GRAVE * 3}```"),
        ],
    }


def test_an_alert_s_notification_text_is_cut_to_300_characters() -> None:
    alert = an_alert("o" * 400)
    assert slack_message(alert, "")["text"] == "Order " + "o" * 293 + "…"


# Alarms


def test_an_alarm_s_whole_message() -> None:
    assert alarm_slack_message(an_alarm()) == {
        "text": "ALARM: orderflow-OrderDlqNotEmptyAlarm - orderflow: orders are parked in the order DLQ",
        "blocks": [
            header("ALARM: orderflow-OrderDlqNotEmptyAlarm"),
            section(":rotating_light: `orderflow: orders are parked in the order DLQ`"),
            {
                "type": "section",
                "fields": [field("*Was*\n`OK`"), field("*When*\n`2026-11-26T12:00:00.000+0000`")],
            },
            section(
                "*Why*\n```Threshold Crossed: 1 datapoint [3.0] was greater than or equal to the threshold (1.0).```"
            ),
        ],
    }


def test_an_alarm_back_to_ok_without_a_description_or_a_reason() -> None:
    assert alarm_slack_message(an_alarm("OK", description="", reason="", at="")) == {
        "text": "OK: orderflow-OrderDlqNotEmptyAlarm -",
        "blocks": [
            header("OK: orderflow-OrderDlqNotEmptyAlarm"),
            section(":white_check_mark: `orderflow-OrderDlqNotEmptyAlarm`"),
            {"type": "section", "fields": [field("*Was*\n`ALARM`"), field("*When*\n`-`")]},
            section("*Why*\n```-```"),
        ],
    }


def test_an_alarm_s_fields_are_escaped() -> None:
    alarm = an_alarm(
        "INSUFFICIENT_DATA", name="dlq<x>", description="a & b", previous_state="<!here>", reason="r `1` <2>"
    )
    assert alarm_slack_message(alarm) == {
        "text": "INSUFFICIENT_DATA: dlq&lt;x&gt; - a &amp; b",
        "blocks": [
            header("INSUFFICIENT_DATA: dlq<x>"),
            section(":white_check_mark: `a &amp; b`"),
            {
                "type": "section",
                "fields": [field("*Was*\n`&lt;!here&gt;`"), field("*When*\n`2026-11-26T12:00:00.000+0000`")],
            },
            section(f"*Why*\n```r {GRAVE}1{GRAVE} &lt;2&gt;```"),
        ],
    }


# Resolutions


def test_a_resolution_with_and_without_a_reason() -> None:
    assert resolution_slack_message(Resolution("ord_1", "FULFILLED", "2026-11-26T13:00:00Z", "rerun")) == {
        "text": "Resolved: order ord_1 is FULFILLED (rerun)",
        "blocks": [section(":white_check_mark: *Resolved*: order `ord_1` is `FULFILLED` (`rerun`)")],
    }
    assert resolution_slack_message(Resolution("ord_2", "FAILED", "2026-11-26T13:00:00Z")) == {
        "text": "Resolved: order ord_2 is FAILED",
        "blocks": [section(":white_check_mark: *Resolved*: order `ord_2` is `FAILED`")],
    }


def test_a_resolution_s_reason_is_escaped() -> None:
    resolved = Resolution("ord_1", "FULFILLED", "2026-11-26T13:00:00Z", "<!channel> fixed & `done`")
    assert resolution_slack_message(resolved) == {
        "text": "Resolved: order ord_1 is FULFILLED (&lt;!channel&gt; fixed &amp; `done`)",
        "blocks": [
            section(
                ":white_check_mark: *Resolved*: order `ord_1` is `FULFILLED` "
                f"(`&lt;!channel&gt; fixed &amp; {GRAVE}done{GRAVE}`)"
            )
        ],
    }


# Storms


def failures(prefix: str, count: int, failed_state: str, error: str) -> list[Alert]:
    return [an_alert(f"{prefix}{i}", failed_state=failed_state, error=error) for i in range(1, count + 1)]


def test_a_storm_is_grouped_by_step_and_error_largest_first() -> None:
    notifications: list[Notification] = [
        an_alert("v1", execution_arn=""),  # no execution: not the example
        *failures("s", 5, "ShipOrder", "CarrierDown"),
        an_alarm(),
        *failures("c", 7, "ChargePayment", "PaymentDeclined"),
        *[Resolution(f"ok{i}", "FULFILLED", "2026-11-26T13:00:00Z") for i in range(1, 7)],
        an_alert("d1", failed_state="CreateOrder", error="DynamoDBError"),
        an_alarm("OK", name="orderflow-AlertDlqNotEmptyAlarm"),
        *failures("i", 6, "ReserveInventory", "OutOfStock"),
    ]
    assert storm_slack_message(notifications, TEMPLATE) == {
        "text": "Alert storm: 20 orders failed, 2 alarms",
        "blocks": [
            header("Alert storm: 20 orders failed, 2 alarms"),
            section(
                "• *7 at* `ChargePayment` `PaymentDeclined`: `c1`, `c2`, `c3`, `c4`, `c5` and 2 more\n"
                "• *6 at* `ReserveInventory` `OutOfStock`: `i1`, `i2`, `i3`, `i4`, `i5` and 1 more\n"
                "• *5 at* `ShipOrder` `CarrierDown`: `s1`, `s2`, `s3`, `s4`, `s5`\n"
                # Groups of one size keep the order they arrived in.
                "• *1 at* `ValidateOrder` `OrderValidationError`: `v1`\n"
                "• *1 at* `CreateOrder` `DynamoDBError`: `d1`\n"
                "• alarm `orderflow-OrderDlqNotEmptyAlarm` is `ALARM`\n"
                "• alarm `orderflow-AlertDlqNotEmptyAlarm` is `OK`\n"
                "• *6 resolved*: `ok1`, `ok2`, `ok3`, `ok4`, `ok5`"
            ),
            {
                "type": "context",
                "elements": [
                    field(
                        "One of them: <https://console.example/eu-west-1/"
                        "arn:aws:states:eu-west-1:123456789012:execution:orderflow-orders:s1|s1>"
                    )
                ],
            },
        ],
    }


def test_a_storm_of_one_order_links_the_aws_console_and_escapes_its_id() -> None:
    alert = an_alert("a&b<c>", execution_arn=ARN.format("x"))
    assert storm_slack_message([alert], None) == {
        "text": "Alert storm: 1 orders failed",
        "blocks": [
            header("Alert storm: 1 orders failed"),
            section("• *1 at* `ValidateOrder` `OrderValidationError`: `a&amp;b&lt;c&gt;`"),
            {
                "type": "context",
                "elements": [
                    field(
                        "One of them: <https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1"
                        "#/v2/executions/details/arn:aws:states:eu-west-1:123456789012:execution:orderflow-orders:x"
                        "|a&amp;b&lt;c&gt;>"
                    )
                ],
            },
        ],
    }


def test_a_storm_without_an_execution_to_link() -> None:
    notifications: list[Notification] = [
        an_alert("o1", execution_arn=""),
        an_alarm(),
        Resolution("o2", "FULFILLED", "2026-11-26T13:00:00Z"),
    ]
    assert storm_slack_message(notifications, TEMPLATE) == {
        "text": "Alert storm: 1 orders failed, 1 alarms",
        "blocks": [
            header("Alert storm: 1 orders failed, 1 alarms"),
            section(
                "• *1 at* `ValidateOrder` `OrderValidationError`: `o1`\n"
                "• alarm `orderflow-OrderDlqNotEmptyAlarm` is `ALARM`\n"
                "• *1 resolved*: `o2`"
            ),
        ],
    }


def test_an_empty_storm() -> None:
    assert storm_slack_message([], None) == {
        "text": "Alert storm: 0 orders failed",
        "blocks": [header("Alert storm: 0 orders failed"), section("-")],
    }


def alarm_line(name: str) -> str:
    return f"• alarm `{name}` is `OK`"


@pytest.mark.parametrize(("last", "fits"), [(169, True), (170, False)])
def test_a_storm_s_text_keeps_whole_lines_up_to_max_cause(last: int, fits: bool) -> None:
    names = [f"{i:02d}".ljust(182, "x") for i in range(13)] + ["y" * last, "short", "z"]
    alarms: list[Notification] = [an_alarm("OK", name=name) for name in names]
    text = storm_slack_message(alarms, None)["blocks"][1]["text"]["text"]
    kept = "\n".join(alarm_line(name) for name in names[:14])
    assert len(kept) == (2800 if fits else 2801)
    if fits:
        # Exactly MAX_CAUSE: the 14th line is kept, the next one is not.
        assert text == kept + "\n…"
    else:
        assert text == "\n".join(alarm_line(name) for name in names[:13]) + "\n…"
