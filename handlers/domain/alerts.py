"""Alerts: the structured message the workflow publishes on failure, CloudWatch alarm notifications (the stack's
alarms notify the same topic), and how both read in Slack (Block Kit).

Everything shown in Slack is escaped for Slack's mrkdwn: `&`, `<` and `>` as entities (so no value can spell a
`<https://…|link>` or a mention), and values sit in code spans, where Slack renders text literally, with any backtick
that would end the span replaced.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote

from handlers.domain.errors import BUSINESS, SYSTEM, failure_of
from handlers.domain.order import is_express_arn

MAX_CAUSE = 2800  # Slack caps a section's text at 3000 characters
ORDER_FAILED, ORDER_STUCK, ORDER_RESOLVED = "ORDER_FAILED", "ORDER_STUCK", "ORDER_RESOLVED"
STUCK_ERROR = "OrderStuck"
# Severities, as PagerDuty's Events API names them (the others map onto them).
CRITICAL, ERROR, WARNING, INFO = "critical", "error", "warning", "info"


def incident_key(order_id: str) -> str:
    """One incident per order: its failures (retries, duplicate Express starts, reruns), its stuck alert and its
    resolution share it (PagerDuty's dedup_key)."""
    return f"orderflow/order/{order_id}"


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
    # The order's total as a decimal string in its currency's minor units, as the API computed it ("" if unknown).
    total: str = ""
    currency: str = ""
    # ORDER_FAILED (the workflow's failure route) or ORDER_STUCK (FindStuckOrders: accepted, not terminal in time;
    # `failed_state` is then the status where it stopped).
    kind: str = ORDER_FAILED

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Alert:
        return cls(
            kind=ORDER_STUCK if data.get("type") == ORDER_STUCK else ORDER_FAILED,
            order_id=str(data.get("orderId") or "unknown"),
            failed_state=str(data.get("failedState") or "unknown"),
            error=str(data.get("error") or "unknown"),
            cause=readable_cause(data.get("cause")),
            execution_arn=str(data.get("executionArn") or ""),
            correlation_id=str(data.get("correlationId") or ""),
            at=str(data.get("at") or ""),
            total=str(data.get("total") or ""),
            currency=str(data.get("currency") or ""),
        )

    @property
    def fingerprint(self) -> str:
        """The same failure of the same order, however often it is published (a retried publish, a redrive of the
        alert), and whichever of an Express order's duplicate executions (at-least-once starts) published it."""
        return f"order|{self.order_id}|{self.failed_state}|{self.error}|{started_as(self.execution_arn)}"

    @property
    def verb(self) -> str:
        return "stuck in" if self.kind == ORDER_STUCK else "failed at"

    @property
    def failure(self) -> str:
        """BUSINESS (the customer's input, the order's state) or SYSTEM, by the error's declared class."""
        return SYSTEM if self.kind == ORDER_STUCK else failure_of(self.error)

    @property
    def severity(self) -> str:
        """A business failure is a warning; a system failure critical; a stuck order an error (nothing failed yet)."""
        if self.kind == ORDER_STUCK:
            return ERROR
        return WARNING if self.failure == BUSINESS else CRITICAL

    @property
    def incident(self) -> str:
        return incident_key(self.order_id)

    def to_dict(self) -> dict[str, str]:
        return {
            "type": self.kind,
            # The same alert posted again (a webhook that answered too late and was retried) has the same id.
            "alertId": self.fingerprint,
            "orderId": self.order_id,
            "failedState": self.failed_state,
            "error": self.error,
            "cause": self.cause,
            "executionArn": self.execution_arn,
            "correlationId": self.correlation_id,
            "at": self.at,
            "total": self.total,
            "currency": self.currency,
        }

    def to_log(self) -> dict[str, str]:
        return {
            "alert_order_id": self.order_id,
            "total": self.total,
            "currency": self.currency,
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

    @property
    def incident(self) -> str:
        """An alarm's ALARM and its OK are one incident: OK resolves it."""
        return f"orderflow/alarm/{self.name}"

    @property
    def severity(self) -> str:
        return ERROR if self.state == "ALARM" else INFO

    @property
    def failed_state(self) -> str:  # routes match on a step: an alarm has none
        return ""

    @property
    def error(self) -> str:
        return self.name

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
            "region": self.region,
        }

    def to_log(self) -> dict[str, str]:
        return {
            "alarm": self.name,
            "alarm_state": self.state,
            "previous_state": self.previous_state,
            "reason": self.reason,
            "changed_at": self.at,
        }


@dataclass(frozen=True)
class Resolution:
    """An order that was alerted is fine now (FULFILLED after a rerun, or a stuck order that moved on), or an
    operator resolved it by hand (`orderflow alerts resolve`): its incident is over."""

    order_id: str
    status: str
    at: str
    reason: str = ""
    correlation_id: str = ""

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Resolution:
        return cls(
            order_id=str(data.get("orderId") or "unknown"),
            status=str(data.get("status") or "unknown"),
            at=str(data.get("at") or ""),
            reason=str(data.get("reason") or ""),
            correlation_id=str(data.get("correlationId") or ""),
        )

    @property
    def fingerprint(self) -> str:
        return f"resolved|{self.order_id}|{self.at}"

    @property
    def incident(self) -> str:
        return incident_key(self.order_id)

    severity = INFO

    @property
    def failed_state(self) -> str:  # routes match on a step: a resolution matches its order's status
        return self.status

    @property
    def error(self) -> str:
        return ""

    def to_dict(self) -> dict[str, str]:
        return {
            "type": ORDER_RESOLVED,
            "alertId": self.fingerprint,
            "orderId": self.order_id,
            "status": self.status,
            "reason": self.reason,
            "correlationId": self.correlation_id,
            "at": self.at,
        }

    def to_log(self) -> dict[str, str]:
        return {"alert_order_id": self.order_id, "status": self.status, "reason": self.reason, "resolved_at": self.at}

    @property
    def text(self) -> str:
        return f"Resolved: order {self.order_id} is {self.status}" + (f" ({self.reason})" if self.reason else "")


def resolution(order_id: str, status: str, at: str, reason: str, correlation_id: str = "") -> dict[str, str]:
    """What the worker (an alerted order FULFILLED) or an operator publishes to end the order's incident."""
    return Resolution(order_id, status, at, reason, correlation_id).to_dict()


Notification = Alert | AlarmNotice | Resolution


def stuck_order_alert(
    order_id: str, status: str, open_since: str, updated_at: str, execution_arn: str, correlation_id: str, at: str
) -> dict[str, str]:
    """What FindStuckOrders publishes for an order accepted at `open_since` that is still `status` (not FULFILLED
    or FAILED) at `at`: an alert like a failure's, through the same targets, once per order and status."""
    minutes = _minutes_between(open_since, at)
    waited = f"{minutes} minutes" if minutes is not None else "too long"
    return {
        "type": ORDER_STUCK,
        "orderId": order_id,
        "failedState": status,
        "error": STUCK_ERROR,
        "cause": f"accepted {open_since}, still {status} after {waited} (last change {updated_at or 'unknown'}): "
        "nothing moved it to FULFILLED or FAILED",
        "executionArn": execution_arn,
        "correlationId": correlation_id,
        "at": at,
    }


def _minutes_between(start: str, end: str) -> int | None:
    try:
        began = datetime.fromisoformat(start.replace("Z", "+00:00"))
        ended = datetime.fromisoformat(end.replace("Z", "+00:00"))
    except ValueError:
        return None
    return int((ended - began).total_seconds() // 60)


def started_as(execution_arn: str) -> str:
    """The execution as it was started: its ARN, less the id Express gives each of its runs
    (`arn:...:express:<state machine>:<name>:<id>`), so the runs of one at-least-once start are one."""
    return ":".join(execution_arn.split(":")[:8]) if is_express_arn(execution_arn) else execution_arn


def parse_notification(message: str) -> Notification:
    """What arrived on the alert topic: a failed or stuck order, an order's resolution, or a CloudWatch alarm."""
    data = json.loads(message)
    if not isinstance(data, dict):
        raise ValueError("an alert must be a JSON object")
    if "AlarmName" in data and "NewStateValue" in data:
        return AlarmNotice.from_data(data)
    if data.get("type") == "ALARM":  # an alarm as the alert DLQ keeps it (AlarmNotice.to_dict), redriven
        return AlarmNotice(
            name=str(data.get("alarm") or "unknown"),
            description=str(data.get("description") or ""),
            state=str(data.get("state") or "unknown"),
            previous_state=str(data.get("previousState") or "unknown"),
            reason=str(data.get("reason") or ""),
            at=str(data.get("at") or ""),
            region=str(data.get("region") or ""),
        )
    if data.get("type") == ORDER_RESOLVED:
        return Resolution.from_data(data)
    return Alert.from_data(data)


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


def plain(text: str, limit: int = 150) -> str:
    """For plain_text objects (a header's limit is 150): Slack renders no markup there; one line, cut to fit."""
    shown = " ".join(text.split())
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


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
        "text": plain(f"Order {alert.order_id} {alert.verb} {alert.failed_state}: {alert.error}", 300),
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
