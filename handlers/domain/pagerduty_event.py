"""Alerts as PagerDuty's Events API v2 takes them: each notification as a trigger or a resolve event, without its
routing key (handlers.adapters.alert_targets.pagerduty adds it and sends them).

- One incident per order: every trigger of an order carries the order's incident as `dedup_key`; its Resolution
  resolves the same key. A CloudWatch alarm is its own incident: ALARM triggers it, OK resolves it.
- A storm is one incident naming the count, its `dedup_key` derived from the alerts' fingerprints (a redelivered
  storm is the same incident); resolutions and alarms in it still go one by one.
- Nothing personal reaches PagerDuty: the details are chosen field by field (no e-mail, no address), and e-mail
  addresses in free text (a cause, a reason) are masked.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from handlers.domain.alerts import (
    CRITICAL,
    EMAIL_IN_TEXT,
    ERROR,
    INFO,
    ORDER_STUCK,
    WARNING,
    AlarmNotice,
    Alert,
    Notification,
    Resolution,
    execution_link,
)

SOURCE = CLIENT = "orderflow"
ORDERS_GROUP = "orders"
ALARMS_GROUP = "alarms"
TRIGGER, RESOLVE = "trigger", "resolve"
# PagerDuty's severities, most severe first: a storm is as severe as its worst alert.
SEVERITIES = (CRITICAL, ERROR, WARNING, INFO)
# The Events API's limits (summary, dedup_key); the rest keep an event readable and far below its 512 KB.
MAX_SUMMARY = 1024
MAX_DEDUP_KEY = 255
MAX_DETAIL = 2000
STORM_ORDERS_LISTED = 50
STORM_GROUPS_LISTED = 20
STORM_STEPS_NAMED = 3


def event_for(notification: Notification, link_template: str | None) -> dict[str, Any] | None:
    """The event one notification is: a trigger, a resolve, or None (an alarm with no verdict: INSUFFICIENT_DATA
    neither opens nor closes anything)."""
    match notification:
        case Alert():
            return alert_trigger(notification, link_template)
        case Resolution():
            return resolve(notification.incident)
        case AlarmNotice():
            if notification.state == "ALARM":
                return alarm_trigger(notification)
            if notification.state == "OK":
                return resolve(notification.incident)
            return None


def resolve(incident: str) -> dict[str, Any]:
    """The Events API needs no payload to resolve: the key names the alert."""
    return {"event_action": RESOLVE, "dedup_key": dedup_key(incident)}


def alert_trigger(alert: Alert, link_template: str | None) -> dict[str, Any]:
    cause = _free_text(alert.cause)
    summary = f"Order {alert.order_id} {alert.verb} {alert.failed_state}: {alert.error}"
    if cause:
        summary += f" - {cause}"
    details = {
        "kind": alert.kind,
        "order_id": alert.order_id,
        "correlation_id": alert.correlation_id,
        "failed_state": alert.failed_state,
        "error": alert.error,
        "failure": alert.failure,
        "total": alert.total,
        "currency": alert.currency,
        "cause": cause,
        "execution_arn": alert.execution_arn,
    }
    return _trigger(
        alert.incident,
        summary=summary,
        severity=alert.severity,
        at=alert.at,
        component=alert.failed_state,
        group=ORDERS_GROUP,
        event_class=alert.error,
        details={key: value for key, value in details.items() if value},
        link=execution_link(alert.execution_arn, link_template),
    )


def alarm_trigger(notice: AlarmNotice) -> dict[str, Any]:
    description = _free_text(notice.description)
    summary = f"ALARM: {notice.name}" + (f" - {description}" if description else "")
    details = {
        "kind": "ALARM",
        "alarm": notice.name,
        "description": description,
        "state": notice.state,
        "previous_state": notice.previous_state,
        "reason": _free_text(notice.reason),
        "region": notice.region,
    }
    return _trigger(
        notice.incident,
        summary=summary,
        severity=notice.severity,
        at=notice.at,
        component=notice.name,
        group=ALARMS_GROUP,
        event_class="CloudWatchAlarm",
        details={key: value for key, value in details.items() if value},
        link="",
    )


def storm_events(notifications: Sequence[Notification], link_template: str | None) -> list[dict[str, Any]]:
    """A storm's events: its failed and stuck orders as one incident (one alone keeps its own order's incident, so
    its resolution closes it), then every resolution and alarm as its own event, in the order they came."""
    alerts = [n for n in notifications if isinstance(n, Alert)]
    events: list[dict[str, Any]] = []
    if len(alerts) == 1:
        events.append(alert_trigger(alerts[0], link_template))
    elif alerts:
        events.append(storm_trigger(alerts, link_template))
    for notification in notifications:
        if not isinstance(notification, Alert) and (event := event_for(notification, link_template)) is not None:
            events.append(event)
    return events


def storm_trigger(alerts: Sequence[Alert], link_template: str | None) -> dict[str, Any]:
    """One incident for many failed orders: "N orders failed at <steps>: <orders> (and M more)", the orders listed
    (bounded) in its details. Its key is the same for the same alerts, so a redelivered storm is the same incident."""
    fingerprints = "\n".join(sorted(alert.fingerprint for alert in alerts))
    incident = f"orderflow/storm/{hashlib.sha256(fingerprints.encode('utf-8')).hexdigest()[:24]}"
    steps = [step for step, _ in Counter(alert.failed_state for alert in alerts).most_common()]
    errors = [error for error, _ in Counter(alert.error for alert in alerts).most_common()]
    groups = Counter((alert.failed_state, alert.error) for alert in alerts).most_common()
    verb = "stuck in" if all(alert.kind == ORDER_STUCK for alert in alerts) else "failed at"
    named = ", ".join(steps[:STORM_STEPS_NAMED]) + (
        f" and {len(steps) - STORM_STEPS_NAMED} other steps" if len(steps) > STORM_STEPS_NAMED else ""
    )
    details: dict[str, Any] = {
        "kind": "ALERT_STORM",
        "count": len(alerts),
        "groups": [
            {"failed_state": step, "error": error, "count": count}
            for (step, error), count in groups[:STORM_GROUPS_LISTED]
        ],
        "orders": [
            {
                "order_id": alert.order_id,
                "failed_state": alert.failed_state,
                "error": alert.error,
                "correlation_id": alert.correlation_id,
                "execution_arn": alert.execution_arn,
            }
            for alert in alerts[:STORM_ORDERS_LISTED]
        ],
    }
    if len(alerts) > STORM_ORDERS_LISTED:
        details["orders_not_listed"] = len(alerts) - STORM_ORDERS_LISTED
    example = next((alert for alert in alerts if alert.execution_arn), None)
    times = [moment for moment in (_moment(alert.at) for alert in alerts) if moment is not None]
    return _trigger(
        incident,
        summary=_listing(f"{len(alerts)} orders {verb} {named}", [alert.order_id for alert in alerts]),
        severity=min((_severity(alert.severity) for alert in alerts), key=SEVERITIES.index),
        at=min(times).isoformat() if times else "",
        component=steps[0],
        group=ORDERS_GROUP,
        event_class=errors[0],
        details=details,
        link=execution_link(example.execution_arn, link_template) if example else "",
        link_text="Open one of the executions",
    )


def _trigger(
    incident: str,
    *,
    summary: str,
    severity: str,
    at: str,
    component: str,
    group: str,
    event_class: str,
    details: dict[str, Any],
    link: str,
    link_text: str = "Open the execution",
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "summary": one_line(summary, MAX_SUMMARY),
        "source": SOURCE,
        "severity": _severity(severity),
        "component": component,
        "group": group,
        "class": event_class,
        "custom_details": details,
    }
    if (timestamp := _timestamp(at)) is not None:  # else PagerDuty stamps it on receipt; a bad one would be a 400
        payload["timestamp"] = timestamp
    event: dict[str, Any] = {
        "event_action": TRIGGER,
        "dedup_key": dedup_key(incident),
        "payload": payload,
        "client": CLIENT,
    }
    if link:
        event["links"] = [{"href": link, "text": link_text}]
        event["client_url"] = link
    return event


def dedup_key(incident: str) -> str:
    """The incident as PagerDuty's dedup_key (at most 255 characters: a longer one keeps a prefix and a hash)."""
    if len(incident) <= MAX_DEDUP_KEY:
        return incident
    return f"{incident[:200]}#{hashlib.sha256(incident.encode('utf-8')).hexdigest()[:32]}"


def scrubbed(text: str) -> str:
    """Free text with e-mail addresses masked: a cause may quote what a customer sent."""
    return EMAIL_IN_TEXT.sub("[e-mail]", text)


def _free_text(text: str) -> str:
    """A cause or reason as PagerDuty shows it: masked before it is cut (a cut address would not look like one). The
    whole text is scanned: a window cut before masking could end inside an address, which then no longer looks like
    one and went out half unmasked. (A cause is at most 16,000 characters, the workflow's CAUSE_LIMIT; the pattern's
    bounded parts keep the scan linear.)"""
    return _capped(scrubbed(text), MAX_DETAIL)


def _severity(severity: str) -> str:
    # Every notification names one of PagerDuty's; anything else would be a 400 and an alert parked unseen.
    return severity if severity in SEVERITIES else ERROR


def _moment(at: str) -> datetime | None:
    """The time `at` names (UTC when it has no offset), or None when it names none."""
    try:
        moment = datetime.fromisoformat(at)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _timestamp(at: str) -> str | None:
    """ISO 8601 with its offset, as the Events API's `timestamp` takes it, or None when `at` is no time."""
    moment = _moment(at)
    return moment.isoformat() if moment is not None else None


def _listing(head: str, names: Iterable[str]) -> str:
    """`head: a, b, c (and M more)`, as many names as fit the summary's 1,024 characters whole."""
    names = list(names)
    shown: list[str] = []
    for index, name in enumerate(names):
        rest = len(names) - index - 1
        candidate = f"{head}: {', '.join([*shown, name])}" + (f" (and {rest} more)" if rest else "")
        if len(candidate) > MAX_SUMMARY:
            break
        shown.append(name)
    more = len(names) - len(shown)
    text = f"{head}: {', '.join(shown)}" if shown else head
    return text + (f" (and {more} more)" if more else "")


def one_line(text: str, limit: int) -> str:
    shown = " ".join(text.split())
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


def _capped(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
