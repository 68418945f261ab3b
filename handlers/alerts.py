"""Alerts: the structured message the workflow publishes on failure, and how it reads in Slack (Block Kit)."""

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
    def from_message(cls, message: str) -> Alert:
        data = json.loads(message)
        if not isinstance(data, dict):
            raise ValueError("an alert must be a JSON object")
        return cls(
            order_id=str(data.get("orderId") or "unknown"),
            failed_state=str(data.get("failedState") or "unknown"),
            error=str(data.get("error") or "unknown"),
            cause=readable_cause(data.get("cause")),
            execution_arn=str(data.get("executionArn") or ""),
            correlation_id=str(data.get("correlationId") or ""),
            at=str(data.get("at") or ""),
        )

    def to_log(self) -> dict[str, str]:
        return {
            "alert_order_id": self.order_id,
            "failed_state": self.failed_state,
            "error": self.error,
            "cause": self.cause,
            "execution_arn": self.execution_arn,
            "failed_at": self.at,
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
