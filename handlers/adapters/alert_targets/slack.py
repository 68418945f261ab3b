"""Slack: Block Kit messages to an incoming webhook (its URL in the target's secret)."""

from __future__ import annotations

from dataclasses import dataclass

from handlers import observability
from handlers.adapters.alert_targets import TargetConfig, https_url_problem
from handlers.adapters.json_webhook import JsonWebhook
from handlers.domain.alerts import AlarmNotice, Alert, Notification, Resolution, execution_link
from handlers.domain.slack_message import (
    alarm_slack_message,
    resolution_slack_message,
    slack_message,
    storm_slack_message,
)


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
            case Resolution():
                message = resolution_slack_message(notification)
        attempts = self.webhook.post(message)
        observability.logger.info("alert posted to Slack", extra={"attempts": attempts})

    def post_summary(self, notifications: list[Notification]) -> None:
        attempts = self.webhook.post(storm_slack_message(notifications, self.link_template))
        observability.logger.info(
            "alert storm summary posted to Slack", extra={"alerts": len(notifications), "attempts": attempts}
        )


def build(config: TargetConfig) -> SlackTarget:
    webhook = JsonWebhook(str(config.secret), name="Slack", max_attempts=config.max_attempts, timeout=config.timeout)
    return SlackTarget(webhook, config.link_template)


def problem(config: TargetConfig) -> str | None:
    return https_url_problem(config.secret, "a Slack incoming webhook")
