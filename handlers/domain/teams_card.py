"""Alerts as Microsoft Teams reads them: Adaptive Cards (schema 1.4), wrapped in the message a Teams Workflows webhook
("Post to a channel when a webhook request is received") takes. Office 365 connectors, which took MessageCards, are
retired. The cards show what the Slack messages show (handlers.domain.slack_message), with Teams' own escaping.

Teams renders a Markdown subset in TextBlock text and in FactSet titles and values (bold, italic, lists, links), and
replaces `<at>…</at>` with a mention when the card declares one. Every value that reaches a card therefore goes
through `escape_markdown`: Markdown's punctuation is backslash-escaped, so no value can spell a `[link](url)`, bold
text, an `<at>` tag, an entity or a `{{DATE(…)}}` function, and the `://` of a bare URL (and a leading `www.`) is
broken with a look-alike character, so clients that link bare URLs find none. Button titles are plain text.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from handlers.domain.alerts import (
    CRITICAL,
    ERROR,
    MAX_CAUSE,
    AlarmNotice,
    Alert,
    Notification,
    Resolution,
    execution_link,
    plain,
)

CARD_CONTENT_TYPE = "application/vnd.microsoft.card.adaptive"
CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
# The newest version every Teams client renders; a card of a newer one shows as "unsupported" on some.
CARD_VERSION = "1.4"
# Container styles and TextBlock colours (Adaptive Cards' own names).
ATTENTION, CAUTION, GOOD = "attention", "warning", "good"
# How many groups (and alarms) of a storm, and order ids of each, a card lists before "and N more": a Teams message
# holds about 28 KB, and a channel reader wants the shape of the storm, not every id.
STORM_GROUPS = 15
STORM_EXAMPLES = 5

# Markdown's punctuation as Teams reads it: emphasis (* _ ~), links and images ([ ] ( ) !), code (`), headings (#),
# quotes and tags (< >), tables (|), entities (&), Adaptive Cards' {{DATE()}} / {{TIME()}} functions ({ }), and the
# backslash itself, first, so an escape in the value cannot cancel ours.
_MARKDOWN = re.compile(r"([\\`*_~\[\]()#<>|&!{}])")
# What would start a list (`- x`, `+ x`, `1. x`) or a rule (`---`) at a line's start is escaped too: a leading - or +
# always (escaped, it reads the same), digits only before ". " (an amount, "25.99", is left alone).
_BULLET = re.compile(r"^([-+])")
_NUMBERED = re.compile(r"^(\d+)\.(?=\s|$)")
# MODIFIER LETTER COLON: "https" + it + "//evil.example" reads as the URL, and no client links it.
_INERT_COLON = "\ua789"
_WWW = re.compile(r"\b(www)\.", re.IGNORECASE)


def escape_markdown(text: str) -> str:
    """One line of text, shown as it is: nothing in it formats, links or mentions."""
    escaped = _MARKDOWN.sub(r"\\\1", text).replace("://", f"{_INERT_COLON}//")
    escaped = _WWW.sub(lambda m: f"{m.group(1)}\u2024", escaped)  # ONE DOT LEADER: looks like "." and links nothing
    return _NUMBERED.sub(r"\1\\.", _BULLET.sub(r"\\\1", escaped))


def value(text: str, limit: int = 200) -> str:
    """A value (an order id, an error name) for a fact or a sentence: one line, cut to `limit`, escaped; "-" if
    empty (as the Slack message shows it)."""
    shown = " ".join(text.split())
    shown = shown if len(shown) <= limit else shown[:limit] + "…"
    return escape_markdown(shown) or "-"


def paragraph(text: str) -> str:
    """Multi-line text (a cause, an alarm's reason), cut to MAX_CAUSE before it is escaped (a cut cannot split an
    escape), each line escaped on its own (a list marker is one only at a line's start). Lines are joined by a
    blank line: a TextBlock breaks a line only there."""
    shown = text if len(text) <= MAX_CAUSE else text[:MAX_CAUSE] + "…"
    lines = [escape_markdown(line.strip()) for line in shown.splitlines() if line.strip()]
    return "\n\n".join(lines) or "-"


def colour(notification: Notification) -> str:
    """Attention for critical and error, warning for a warning, good for what is over (a resolution, an alarm's OK)."""
    if isinstance(notification, Resolution):
        return GOOD
    if isinstance(notification, AlarmNotice):
        return {"ALARM": ATTENTION, "OK": GOOD}.get(notification.state, CAUTION)  # INSUFFICIENT_DATA: a warning
    return ATTENTION if notification.severity in (CRITICAL, ERROR) else CAUTION


def teams_message(card: dict[str, Any]) -> dict[str, Any]:
    """The body a Teams Workflows webhook takes: a message with the card as its one attachment."""
    return {
        "type": "message",
        "attachments": [{"contentType": CARD_CONTENT_TYPE, "contentUrl": None, "content": card}],
    }


def adaptive_card(body: list[dict[str, Any]], actions: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    card: dict[str, Any] = {
        "$schema": CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": CARD_VERSION,
        "body": body,
        "actions": actions or [],
        # Teams shows a card at the channel's full width only when asked; facts and causes read better wide.
        "msteams": {"width": "Full"},
    }
    return card


def text_block(text: str, **style: Any) -> dict[str, Any]:
    """A TextBlock of text already escaped (or built from escaped values); wrapped, so nothing is cut off."""
    return {"type": "TextBlock", "text": text, "wrap": True, **style}


def header(text: str, tone: str) -> dict[str, Any]:
    """The card's title in its severity's colour, on a band of it."""
    title = text_block(value(plain(text), 150), size="Large", weight="Bolder", color=tone)
    return {"type": "Container", "style": tone, "bleed": True, "items": [title]}


def facts(pairs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """A FactSet; titles are ours, values are escaped here (Teams renders Markdown in both)."""
    return {"type": "FactSet", "facts": [{"title": title, "value": value(shown)} for title, shown in pairs]}


def open_url(title: str, url: str) -> dict[str, Any]:
    return {"type": "Action.OpenUrl", "title": plain(title, 60), "url": url}


def alert_card(alert: Alert, link: str) -> dict[str, Any]:
    """A failed or stuck order, as slack_message shows it: where, the facts, why, and a button to the execution."""
    pairs = [
        ("Order", alert.order_id),
        ("Error", alert.error),
        ("Correlation id", alert.correlation_id),
        ("When", alert.at),
    ]
    if alert.total:
        pairs.append(("Total", f"{alert.total} {alert.currency}".strip()))
    body = [
        header(f"Order {alert.verb} {alert.failed_state}", colour(alert)),
        facts(pairs),
        text_block("Why", weight="Bolder"),
        text_block(paragraph(alert.cause), fontType="Monospace"),
    ]
    return adaptive_card(body, [open_url("Open execution", link)] if link else [])


def alarm_card(notice: AlarmNotice) -> dict[str, Any]:
    """A CloudWatch alarm's change, as alarm_slack_message shows it: what, was, when, why."""
    body = [
        header(f"{notice.state}: {notice.name}", colour(notice)),
        text_block(value(notice.description or notice.name, 300)),
        facts([("Was", notice.previous_state), ("When", notice.at)]),
        text_block("Why", weight="Bolder"),
        text_block(paragraph(notice.reason), fontType="Monospace"),
    ]
    return adaptive_card(body)


def resolution_card(resolved: Resolution) -> dict[str, Any]:
    """A short "resolved" notice: the order's incident is over."""
    text = f"**Resolved**: order {value(resolved.order_id)} is {value(resolved.status)}" + (
        f" ({value(resolved.reason)})" if resolved.reason else ""
    )
    body = [{"type": "Container", "style": GOOD, "items": [text_block(text, color=GOOD)]}]
    return adaptive_card(body)


def storm_card(notifications: Sequence[Notification], link_template: str | None) -> dict[str, Any]:
    """Many alerts at once: one card, orders grouped by where and why they failed (a few ids each), the alarms, and
    a line for the resolved orders."""
    orders = [n for n in notifications if isinstance(n, Alert)]
    alarms = [n for n in notifications if isinstance(n, AlarmNotice)]
    resolved = [n for n in notifications if isinstance(n, Resolution)]
    groups: dict[tuple[str, str], list[Alert]] = {}
    for alert in orders:
        groups.setdefault((alert.failed_state, alert.error), []).append(alert)
    ranked = sorted(groups.items(), key=lambda item: -len(item[1]))
    grouped = [
        {
            "title": f"{len(group)} at {value(state, 80)}",
            "value": f"{value(error, 80)}: {_examples([a.order_id for a in group])}",
        }
        for (state, error), group in ranked[:STORM_GROUPS]
    ]
    if len(ranked) > STORM_GROUPS:
        left = ranked[STORM_GROUPS:]
        grouped.append(
            {"title": "Elsewhere", "value": f"{sum(len(g) for _, g in left)} orders in {len(left)} more groups"}
        )
    grouped += [{"title": "Alarm", "value": f"{value(a.name, 120)} is {value(a.state)}"} for a in alarms[:STORM_GROUPS]]
    if len(alarms) > STORM_GROUPS:
        grouped.append({"title": "Alarms", "value": f"and {len(alarms) - STORM_GROUPS} more"})
    title = f"Alert storm: {len(orders)} orders failed" + (f", {len(alarms)} alarms" if alarms else "")
    body: list[dict[str, Any]] = [header(title, ATTENTION if orders or alarms else GOOD)]
    if grouped:
        body.append({"type": "FactSet", "facts": grouped})
    if resolved:
        line = f"**{len(resolved)} resolved**: {_examples([r.order_id for r in resolved])}"
        body.append(text_block(line, color=GOOD))
    actions: list[dict[str, Any]] = []
    example = next((a for a in orders if a.execution_arn), None)
    if example is not None:
        actions.append(
            open_url(f"Open one of them ({example.order_id})", execution_link(example.execution_arn, link_template))
        )
    return adaptive_card(body, actions)


def _examples(order_ids: Sequence[str]) -> str:
    shown = ", ".join(value(order_id, 80) for order_id in order_ids[:STORM_EXAMPLES])
    return shown + (f" and {len(order_ids) - STORM_EXAMPLES} more" if len(order_ids) > STORM_EXAMPLES else "")


def teams_card(notification: Notification, link_template: str | None) -> dict[str, Any]:
    """The card for one notification; an order's button opens its execution (the console, or `link_template`)."""
    match notification:
        case Alert():
            return alert_card(notification, execution_link(notification.execution_arn, link_template))
        case AlarmNotice():
            return alarm_card(notification)
        case Resolution():
            return resolution_card(notification)
    raise TypeError(f"not a notification: {type(notification).__name__}")
