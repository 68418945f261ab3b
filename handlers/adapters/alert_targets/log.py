"""The log target: one structured line per alert (CloudWatch Logs), always on, storms included line by line."""

from __future__ import annotations

from handlers import observability
from handlers.adapters.alert_targets import TargetConfig
from handlers.domain.alerts import AlarmNotice, Alert, Notification, Resolution


class LogTarget:
    name = "log"

    def post(self, notification: Notification) -> None:
        match notification:
            case Alert():
                observability.logger.error(
                    "ORDER STUCK" if notification.kind == "ORDER_STUCK" else "ORDER FAILED",
                    extra={**notification.to_log(), "order_id": notification.order_id},
                )
            case Resolution():
                observability.logger.info(
                    "ORDER RESOLVED", extra={**notification.to_log(), "order_id": notification.order_id}
                )
            case AlarmNotice():
                level = observability.logger.error if notification.state == "ALARM" else observability.logger.info
                level(f"ALARM {notification.name} is {notification.state}", extra=notification.to_log())

    def post_summary(self, notifications: list[Notification]) -> None:
        for notification in notifications:  # the log keeps every alert, storm or not
            self.post(notification)


def build(config: TargetConfig) -> LogTarget:
    return LogTarget()


def problem(config: TargetConfig) -> str | None:
    return None
