"""Alerts: the structured message the workflow publishes on failure, CloudWatch alarm notifications (the stack's
alarms notify the same topic), and how both read in Slack (Block Kit)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

MAX_CAUSE = 2800  # Slack caps a section's text at 3000 characters
AWS_CONSOLE_EXECUTION = (
    "https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{arn}"
)


@dataclass(frozen=True)
class Alert:
    order_id: str
    failed_state: str
    error: str
    cause: str
    execution_arn: str
    correlation_id: str
    at: str

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Alert:
        return cls(
            order_id=str(data.get("orderId") or "unknown"),
            failed_state=str(data.get("failedState") or "unknown"),
            error=str(data.get("error") or "unknown"),
            cause=readable_cause(data.get("cause")),
            execution_arn=str(data.get("executionArn") or ""),
            correlation_id=str(data.get("correlationId") or ""),
            at=str(data.get("at") or ""),
        )

    @property
    def fingerprint(self) -> str:
        """The same failure of the same order, however often it is published (a retried publish, a redrive)."""
        return f"order|{self.order_id}|{self.failed_state}|{self.error}|{self.execution_arn}"

    def to_dict(self) -> dict[str, str]:
        return {
            "type": "ORDER_FAILED",
            # The same alert posted again (a webhook that answered too late and was retried) has the same id.
            "alertId": self.fingerprint,
            "orderId": self.order_id,
            "failedState": self.failed_state,
            "error": self.error,
            "cause": self.cause,
            "executionArn": self.execution_arn,
            "correlationId": self.correlation_id,
            "at": self.at,
        }

    def to_log(self) -> dict[str, str]:
        return {
            "alert_order_id": self.order_id,
            "failed_state": self.failed_state,
            "error": self.error,
            "cause": self.cause,
            "execution_arn": self.execution_arn,
            "failed_at": self.at,
        }


@dataclass(frozen=True)
class AlarmNotice:
    """A CloudWatch alarm's state change, as CloudWatch publishes it to SNS."""

    name: str
    description: str
    state: str  # ALARM, OK, INSUFFICIENT_DATA
    previous_state: str
    reason: str
    at: str
    region: str

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> AlarmNotice:
        return cls(
            name=str(data.get("AlarmName") or "unknown"),
            description=str(data.get("AlarmDescription") or ""),
            state=str(data.get("NewStateValue") or "unknown"),
            previous_state=str(data.get("OldStateValue") or "unknown"),
            reason=str(data.get("NewStateReason") or ""),
            at=str(data.get("StateChangeTime") or ""),
            region=str(data.get("Region") or ""),
        )

    @property
    def fingerprint(self) -> str:
        return f"alarm|{self.name}|{self.state}|{self.at}"

    def to_dict(self) -> dict[str, str]:
        return {
            "type": "ALARM",
            "alertId": self.fingerprint,
            "alarm": self.name,
            "description": self.description,
            "state": self.state,
            "previousState": self.previous_state,
            "reason": self.reason,
            "at": self.at,
        }

    def to_log(self) -> dict[str, str]:
        return {
            "alarm": self.name,
            "alarm_state": self.state,
            "previous_state": self.previous_state,
            "reason": self.reason,
            "changed_at": self.at,
        }


Notification = Alert | AlarmNotice


def parse_notification(message: str) -> Alert | AlarmNotice:
    """What arrived on the alert topic: a failed order from the workflow, or an alarm from CloudWatch."""
    data = json.loads(message)
    if not isinstance(data, dict):
        raise ValueError("an alert must be a JSON object")
    if "AlarmName" in data and "NewStateValue" in data:
        return AlarmNotice.from_data(data)
    return Alert.from_data(data)


def alarm_slack_message(notice: AlarmNotice) -> dict[str, Any]:
    icon = ":rotating_light:" if notice.state == "ALARM" else ":white_check_mark:"
    reason = notice.reason if len(notice.reason) <= MAX_CAUSE else notice.reason[:MAX_CAUSE] + "…"
    return {
        "text": f"{notice.state}: {notice.name} - {notice.description}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": f"{notice.state}: {notice.name}"[:150]}},
            {"type": "section", "text": {"type": "mrkdwn", "text": f"{icon} {notice.description or notice.name}"}},
            {
                "type": "section",
                "fields": [
                    {"type": "mrkdwn", "text": f"*Was*\n{notice.previous_state}"},
                    {"type": "mrkdwn", "text": f"*When*\n{notice.at or '-'}"},
                ],
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": f"*Why*\n```{reason or 'no reason given'}```"}},
        ],
    }


def readable_cause(cause: Any) -> str:
    """A Lambda error's Cause is the runtime's JSON error document: show its message, not the JSON."""
    if cause is None:
        return ""
    text = str(cause)
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        return text
    if isinstance(parsed, dict) and "errorMessage" in parsed:
        return str(parsed["errorMessage"])
    return text


def execution_link(execution_arn: str, template: str | None) -> str:
    if not execution_arn:
        return ""
    parts = execution_arn.split(":")
    region = parts[3] if len(parts) > 3 else "us-east-1"
    return (template or AWS_CONSOLE_EXECUTION).format(region=region, arn=quote(execution_arn, safe=":"))


def slack_message(alert: Alert, link: str) -> dict[str, Any]:
    cause = alert.cause if len(alert.cause) <= MAX_CAUSE else alert.cause[:MAX_CAUSE] + "…"
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": f"Order failed at {alert.failed_state}"[:150]},
        },
        {
            "type": "section",
            "fields": [
                {"type": "mrkdwn", "text": f"*Order*\n`{alert.order_id}`"},
                {"type": "mrkdwn", "text": f"*Error*\n`{alert.error}`"},
                {"type": "mrkdwn", "text": f"*Correlation id*\n`{alert.correlation_id or '-'}`"},
                {"type": "mrkdwn", "text": f"*When*\n{alert.at or '-'}"},
            ],
        },
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*Why*\n```{cause or 'no cause given'}```"}},
    ]
    if link:
        blocks.append(
            {
                "type": "actions",
                "elements": [{"type": "button", "text": {"type": "plain_text", "text": "Open execution"}, "url": link}],
            }
        )
    return {
        "text": f"Order {alert.order_id} failed at {alert.failed_state}: {alert.error}",
        "blocks": blocks,
    }


def storm_slack_message(notifications: list[Alert | AlarmNotice], link_template: str | None) -> dict[str, Any]:
    """Many alerts at once: one message, grouped by where and why orders failed, with a few examples."""
    orders = [n for n in notifications if isinstance(n, Alert)]
    alarms = [n for n in notifications if isinstance(n, AlarmNotice)]
    groups: dict[tuple[str, str], list[Alert]] = {}
    for alert in orders:
        groups.setdefault((alert.failed_state, alert.error), []).append(alert)
    lines = [
        f"• *{len(group)} at {state}* `{error}`: {', '.join(f'`{a.order_id}`' for a in group[:5])}"
        + (f" and {len(group) - 5} more" if len(group) > 5 else "")
        for (state, error), group in sorted(groups.items(), key=lambda item: -len(item[1]))
    ]
    lines += [f"• alarm *{a.name}* is {a.state}" for a in alarms]
    title = f"Alert storm: {len(orders)} orders failed" + (f", {len(alarms)} alarms" if alarms else "")
    text = "\n".join(lines)
    if len(text) > MAX_CAUSE:
        text = text[:MAX_CAUSE] + "…"
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": text or "-"}},
    ]
    example = next((a for a in orders if a.execution_arn), None)
    if example is not None:
        link = execution_link(example.execution_arn, link_template)
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"One of them: <{link}|{example.order_id}>"}]}
        )
    return {"text": title, "blocks": blocks}
