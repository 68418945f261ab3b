"""PagerDuty: events to the Events API v2 (POST /v2/enqueue), its routing key in the target's secret. What each
event says is handlers.domain.pagerduty_event's; this module sends them.

- One incident per order: every trigger of an order (its retries, duplicate Express starts, reruns, its stuck alert)
  carries the order's incident as `dedup_key`, so PagerDuty adds them to one open alert; the order's Resolution sends
  `resolve` with the same key. A CloudWatch alarm is its own incident: ALARM triggers it, OK resolves it.
- A storm (post_summary) is one incident naming the count, its `dedup_key` derived from the alerts' fingerprints (a
  redelivered storm is the same incident); resolutions and alarms in it still go one by one, so each order's and
  alarm's incident is closed. Nothing resolves a storm's own incident: its orders' resolutions name their orders'
  incidents, so a person resolves it in PagerDuty.
- 202 is success; 429, 5xx and no answer are retried with backoff that honours Retry-After (JsonWebhook, bounded);
  a 400 is never retried: PagerDuty's `errors` are logged and AlertRefused parks the alert in the alert DLQ.
- The routing key is sent in the body only: it is in no URL, log line, error message or repr.
- Nothing personal reaches PagerDuty: the details are chosen field by field (no e-mail, no address), and e-mail
  addresses in free text (a cause, a reason) are masked.

Endpoint: PAGERDUTY_EVENTS_URL, default the US service region's; the EU region's is events.eu.pagerduty.com.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from handlers import observability
from handlers.adapters.alert_targets import TargetConfig
from handlers.adapters.json_webhook import JsonWebhook, WebhookRefused
from handlers.domain.alerts import Notification
from handlers.domain.errors import AlertRefused
from handlers.domain.pagerduty_event import event_for, one_line, storm_events

EVENTS_URL = "PAGERDUTY_EVENTS_URL"
DEFAULT_EVENTS_URL = "https://events.pagerduty.com/v2/enqueue"
EU_EVENTS_URL = "https://events.eu.pagerduty.com/v2/enqueue"
# http:// is for the local receivers only: the routing key travels in the body.
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
ROUTING_KEY = re.compile(r"[A-Za-z0-9]{32}")


@dataclass
class PagerDutyTarget:
    webhook: JsonWebhook
    routing_key: str = field(repr=False)
    link_template: str | None = None
    name: str = "pagerduty"

    def post(self, notification: Notification) -> None:
        event = event_for(notification, self.link_template)
        if event is None:
            observability.logger.info("nothing to send to PagerDuty", extra={"alert_id": notification.fingerprint})
            return
        self._send(event)

    def post_summary(self, notifications: list[Notification]) -> None:
        events = storm_events(notifications, self.link_template)
        for event in events:  # the storm's incident first, then each resolution and alarm on its own
            self._send(event)
        observability.logger.info(
            "alert storm sent to PagerDuty", extra={"alerts": len(notifications), "events": len(events)}
        )

    def _send(self, event: dict[str, Any]) -> None:
        action, dedup_key = event["event_action"], event["dedup_key"]
        try:
            attempts = self.webhook.post({"routing_key": self.routing_key, **event})
        except WebhookRefused as e:
            message, errors = self._explained(e.body)
            observability.logger.error(
                "PagerDuty refused the event",
                extra={
                    "status": e.status,
                    "pagerduty_message": message,
                    "errors": errors,
                    "event_action": action,
                    "dedup_key": dedup_key,
                },
            )
            because = "; ".join(errors) or message or "no reason given"
            # Not chained: the refusal's text is the receiver's, and only the cleaned reason goes on.
            raise AlertRefused(f"PagerDuty refused the {action} event: HTTP {e.status} {because}"[:1000]) from None
        observability.logger.info(
            "event sent to PagerDuty", extra={"event_action": action, "dedup_key": dedup_key, "attempts": attempts}
        )

    def _explained(self, body: str) -> tuple[str, list[str]]:
        """PagerDuty's answer to a refused event ({"status", "message", "errors": [...]}): its message and errors,
        cleaned of the routing key (should it ever be echoed) and cut to size."""
        message, errors = refusal(body)
        return self._clean(message), [self._clean(error) for error in errors]

    def _clean(self, text: str) -> str:
        return one_line(text.replace(self.routing_key, "[routing key]"), 300)


def refusal(body: str) -> tuple[str, list[str]]:
    """The message and errors of PagerDuty's answer to a refused event; the body as the message if it is no such
    document (a proxy's error page)."""
    try:
        document = json.loads(body)
    except ValueError:
        return body, []
    if not isinstance(document, dict):
        return body, []
    errors = document.get("errors")
    listed = [str(error) for error in errors[:10]] if isinstance(errors, list) else []
    return str(document.get("message") or document.get("status") or ""), listed


def build(config: TargetConfig) -> PagerDutyTarget:
    webhook = JsonWebhook(
        events_url(config),
        name="PagerDuty",
        max_attempts=config.max_attempts,
        timeout=config.timeout,
    )
    return PagerDutyTarget(webhook, routing_key=str(config.secret), link_template=config.link_template)


def problem(config: TargetConfig) -> str | None:
    """What is wrong with the routing key (never echoed) or the events URL, or None."""
    key = config.secret or ""
    if not ROUTING_KEY.fullmatch(key):
        if not key:
            found = "it is empty"
        elif len(key) != 32:
            found = f"it holds {len(key)} characters"
        else:
            found = "it holds 32 characters, not all of them letters and digits"
        return f"its secret holds no PagerDuty Events API v2 routing key (32 letters and digits): {found}"
    url = _setting(config, EVENTS_URL)
    if url is not None and not _allowed_url(url):
        return (
            f"{EVENTS_URL} is not an https:// URL (http:// only on 127.0.0.1 or localhost): use "
            f"{DEFAULT_EVENTS_URL}, or {EU_EVENTS_URL} for the EU service region"
        )
    return None


def _allowed_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:  # e.g. an unclosed IPv6 bracket
        return False
    return (parts.scheme == "https" and bool(host)) or (parts.scheme == "http" and host in LOOPBACK_HOSTS)


def events_url(config: TargetConfig) -> str:
    """Where events go: PAGERDUTY_EVENTS_URL, or the US service region's endpoint."""
    return _setting(config, EVENTS_URL) or DEFAULT_EVENTS_URL


def _setting(config: TargetConfig, name: str) -> str | None:
    return (config.settings(name) or "").strip() or None
