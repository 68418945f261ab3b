"""Alerts as Slack reads them (Block Kit): a failed or stuck order, an alarm, a resolution, a storm as one message.

Everything shown in Slack is escaped for Slack's mrkdwn: `&`, `<` and `>` as entities (so no value can spell a
`<https://…|link>` or a mention), and values sit in code spans, where Slack renders text literally, with any backtick
that would end the span replaced.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from handlers.domain.alerts import (
    MAX_CAUSE,
    AlarmNotice,
    Alert,
    Notification,
    Resolution,
    execution_link,
    plain,
)

# A backtick would end a code span early: it is shown as the modifier letter grave accent, which looks the same.
_BACKTICK = "\u02cb"


def escape_mrkdwn(text: str) -> str:
    """Slack's own escaping: the three characters that make links, mentions and channel references."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code(text: str, limit: int = 200) -> str:
    """A value as an inline code span: rendered literally (no bold, no links), on one line, cut to `limit`."""
    shown = " ".join(text.split())
    shown = shown if len(shown) <= limit else shown[:limit] + "…"
    return f"`{escape_mrkdwn(shown.replace('`', _BACKTICK)) or '-'}`"


def code_block(text: str) -> str:
    shown = text if len(text) <= MAX_CAUSE else text[:MAX_CAUSE] + "…"
    return f"```{escape_mrkdwn(shown.replace('`', _BACKTICK)) or '-'}```"


def notification_text(text: str) -> str:
    """The top-level `text`, shown in notifications and read as mrkdwn where blocks are not shown."""
    return escape_mrkdwn(plain(text, 300))


def alarm_slack_message(notice: AlarmNotice) -> dict[str, Any]:
    icon = ":rotating_light:" if notice.state == "ALARM" else ":white_check_mark:"
    return {
        "text": notification_text(f"{notice.state}: {notice.name} - {notice.description}"),
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": plain(f"{notice.state}: {notice.name}")}},
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": f"{icon} {code(notice.description or notice.name)}"},
            },
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*Was*\n{code(notice.previous_state)}"},
                    {"type": "mrkdwn", "text": f"*When*\n{code(notice.at)}"},
                ],
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*Why*\n{code_block(notice.reason)}"}},
        ],
    }


def slack_message(alert: Alert, link: str) -> dict[str, Any]:
    fields = [
        {"type": "mrkdwn", "text": f"*Order*\n{code(alert.order_id)}"},
        {"type": "mrkdwn", "text": f"*Error*\n{code(alert.error)}"},
        {"type": "mrkdwn", "text": f"*Correlation id*\n{code(alert.correlation_id)}"},
        {"type": "mrkdwn", "text": f"*When*\n{code(alert.at)}"},
    ]
    if alert.total:
        fields.append({"type": "mrkdwn", "text": f"*Total*\n{code(f'{alert.total} {alert.currency}'.strip())}"})
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": plain(f"Order {alert.verb} {alert.failed_state}")}},
        {"type": "section", "fields": fields},
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Why*\n{code_block(alert.cause)}"}},
    ]
    if link:
        blocks.append(
            {
                "type": "actions",
                "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Open execution"}, "url": link}],
            }
        )
    return {
        "text": notification_text(f"Order {alert.order_id} {alert.verb} {alert.failed_state}: {alert.error}"),
        "blocks": blocks,
    }


def resolution_slack_message(resolved: Resolution) -> dict[str, Any]:
    """A short "resolved" notice: the order's incident is over."""
    return {
        "text": notification_text(resolved.text),
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f":white_check_mark: *Resolved*: order {code(resolved.order_id)} is {code(resolved.status)}"
                    + (f" ({code(resolved.reason)})" if resolved.reason else ""),
                },
            }
        ],
    }


def storm_slack_message(notifications: Sequence[Notification], link_template: str | None) -> dict[str, Any]:
    """Many alerts at once: one message, grouped by where and why orders failed, with a few examples."""
    orders = [n for n in notifications if isinstance(n, Alert)]
    alarms = [n for n in notifications if isinstance(n, AlarmNotice)]
    resolved = [n for n in notifications if isinstance(n, Resolution)]
    groups: dict[tuple[str, str], list[Alert]] = {}
    for alert in orders:
        groups.setdefault((alert.failed_state, alert.error), []).append(alert)
    lines = [
        f"• *{len(group)} at* {code(state)} {code(error)}: {', '.join(code(a.order_id) for a in group[:5])}"
        + (f" and {len(group) - 5} more" if len(group) > 5 else "")
        for (state, error), group in sorted(groups.items(), key=lambda item: -len(item[1]))
    ]
    lines += [f"• alarm {code(a.name)} is {code(a.state)}" for a in alarms]
    if resolved:
        lines.append(f"• *{len(resolved)} resolved*: {', '.join(code(r.order_id) for r in resolved[:5])}")
    title = f"Alert storm: {len(orders)} orders failed" + (f", {len(alarms)} alarms" if alarms else "")
    text = ""
    for line in lines:  # whole lines only: a cut could leave an entity or a code span open
        if len(text) + len(line) + 1 > MAX_CAUSE:
            text += "\n…"
            break
        text = f"{text}\n{line}" if text else line
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": plain(title)}},
        {"type": "section", "text": {"type": "mrkdwn", "text": text or "-"}},
    ]
    example = next((a for a in orders if a.execution_arn), None)
    if example is not None:
        link = execution_link(example.execution_arn, link_template)
        blocks.append(
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": f"One of them: <{link}|{escape_mrkdwn(example.order_id)}>"}],
            }
        )
    return {"text": notification_text(title), "blocks": blocks}
