"""Where alerts go. Each target posts one alert, or a storm of them as one summary; which targets are on is
configuration (ALERT_TARGETS), never the workflow: the workflow publishes to the alert topic and is done.

- log: one structured line per alert (CloudWatch Logs) - always on.
- slack: Block Kit messages to a Slack incoming webhook (URL in Secrets Manager).
- webhook: the alert as JSON to any HTTP endpoint (URL in Secrets Manager), e.g. a PagerDuty or Opsgenie bridge.
E-mail is not a target here: it is an SNS e-mail subscription on the alert topic (infra, context alertEmails).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from handlers import observability
from handlers.adapters.json_webhook import JsonWebhook
from handlers.domain.alerts import (
    AlarmNotice,
    Alert,
    Notification,
    alarm_slack_message,
    execution_link,
    slack_message,
    storm_slack_message,
)
from handlers.services.alert_delivery import AlertTarget


class LogTarget:
    name = "log"

    def post(self, notification: Notification) -> None:
        match notification:
            case Alert():
                observability.logger.error(
                    "ORDER FAILED",
                    extra={**notification.to_log(), "order_id": notification.order_id},
                )
            case AlarmNotice():
                level = observability.logger.error if notification.state == "ALARM" else observability.logger.info
                level(f"ALARM {notification.name} is {notification.state}", extra=notification.to_log())

    def post_summary(self, notifications: list[Notification]) -> None:
        for notification in notifications:  # the log keeps every alert, storm or not
            self.post(notification)


@dataclass
class SlackTarget:
    webhook: JsonWebhook
    link_template: str | None
    name: str = "slack"

    def post(self, notification: Notification) -> None:
        match notification:
            case Alert():
                message = slack_message(notification, execution_link(notification.execution_arn, self.link_template))
            case AlarmNotice():
                message = alarm_slack_message(notification)
        attempts = self.webhook.post(message)
        observability.logger.info("alert posted to Slack", extra={"attempts": attempts})

    def post_summary(self, notifications: list[Notification]) -> None:
        attempts = self.webhook.post(storm_slack_message(notifications, self.link_template))
        observability.logger.info(
            "alert storm summary posted to Slack", extra={"alerts": len(notifications), "attempts": attempts}
        )


@dataclass
class WebhookTarget:
    webhook: JsonWebhook
    name: str = "webhook"

    def post(self, notification: Notification) -> None:
        self.webhook.post(notification.to_dict())

    def post_summary(self, notifications: list[Notification]) -> None:
        self.webhook.post(
            {"type": "ALERT_STORM", "count": len(notifications), "alerts": [n.to_dict() for n in notifications]}
        )


# How a target's errors name its receiver ("Slack refused the alert: HTTP 404 ...").
_RECEIVERS = {"slack": "Slack", "webhook": "webhook"}


def configured_targets(
    names: str | None,
    secret: Callable[[str], str | None],
    max_attempts: int,
    link_template: str | None,
    timeout: float = 10.0,
) -> list[AlertTarget]:
    """The log target, plus each named target whose secret holds a URL (others are reported and skipped)."""
    targets: list[AlertTarget] = [LogTarget()]
    for name in [n.strip().lower() for n in (names or "slack").split(",") if n.strip()]:
        if name not in _RECEIVERS:
            observability.logger.warning(f"unknown alert target {name}: use {', '.join(_RECEIVERS)}")
            continue
        url = secret(name)
        if not url or not url.startswith(("https://", "http://")):
            observability.logger.warning(f"alert target {name} is not configured: its secret holds no http(s) URL")
            continue
        webhook = JsonWebhook(url, name=_RECEIVERS[name], max_attempts=max_attempts, timeout=timeout)
        targets.append(SlackTarget(webhook, link_template) if name == "slack" else WebhookTarget(webhook))
    return targets
