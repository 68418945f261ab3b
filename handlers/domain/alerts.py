"""Alerts: the structured message the workflow publishes on failure, CloudWatch alarm notifications (the stack's
alarms notify the same topic), an order's resolution; each one's severity, incident and fingerprint (one failure of
one order is one alert, however often it is published), and what every target shows of it (a readable cause, a link
to the execution). How they read in Slack is handlers.domain.slack_message; in Teams, teams_card; as an e-mail,
alert_email; in PagerDuty, pagerduty_event.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from handlers.arns import region_of, started_as
from handlers.domain.errors import BUSINESS, SYSTEM, failure_of

# How much of a cause a chat message shows (Slack caps a section's text at 3000 characters).
MAX_CAUSE = 2800
# An e-mail address in free text (a cause, a reason, a state's output), for the places that mask them (PagerDuty's
# events, the console's pages, the terminal's lines). Bounded parts (RFC 5321's lengths), so a long text without one
# costs linear time, not quadratic.
EMAIL_IN_TEXT = re.compile(r"[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
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
    """Whole minutes from one ISO time to another; a time without an offset is UTC (as the store writes them)."""
    try:
        began, ended = (datetime.fromisoformat(t.replace("Z", "+00:00")) for t in (start, end))
    except ValueError:
        return None
    began, ended = (t if t.tzinfo else t.replace(tzinfo=UTC) for t in (began, ended))
    return int((ended - began).total_seconds() // 60)


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


def plain(text: str, limit: int = 150) -> str:
    """For plain_text objects (a header's limit is 150): Slack renders no markup there; one line, cut to fit."""
    shown = " ".join(text.split())
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def readable_cause(cause: Any) -> str:
    """A Lambda error's Cause is the runtime's JSON error document: show its message, not the JSON."""
    if cause is None:
        return ""
    text = str(cause)
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        return text
    if isinstance(parsed, dict) and parsed.get("errorMessage") is not None:
        return str(parsed["errorMessage"])
    return text


def execution_link(execution_arn: str, template: str | None) -> str:
    if not execution_arn:
        return ""
    region = region_of(execution_arn, "us-east-1")
    return (template or AWS_CONSOLE_EXECUTION).format(region=region, arn=quote(execution_arn, safe=":"))
