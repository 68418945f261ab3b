"""The generic webhook: every alert as JSON to any HTTP endpoint (its URL in the target's secret), each with an
`alertId` a receiver can de-duplicate by; a storm as one ALERT_STORM document listing them."""

from __future__ import annotations

from dataclasses import dataclass

from handlers.adapters.alert_targets import TargetConfig, https_url_problem
from handlers.adapters.json_webhook import JsonWebhook
from handlers.domain.alerts import Notification


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


def build(config: TargetConfig) -> WebhookTarget:
    webhook = JsonWebhook(str(config.secret), name="webhook", max_attempts=config.max_attempts, timeout=config.timeout)
    return WebhookTarget(webhook)


def problem(config: TargetConfig) -> str | None:
    return https_url_problem(config.secret, "a webhook")
