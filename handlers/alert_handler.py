"""AlertHandler: subscribed to the alert topic. Logs each alert (a failed order, or a CloudWatch alarm changing
state) as one structured line and posts it to Slack.

The webhook URL lives in Secrets Manager (SLACK_WEBHOOK_SECRET_ARN), read through Powertools' cached parameters
so a rotated URL is picked up within minutes and never appears in the template, the environment or the logs. A
secret holding anything but an http(s) URL means "Slack not configured": alerts are still logged. When Slack keeps
failing, the invocation fails, so the alert is delivered again (Lambda's async retries, then the function's DLQ):
never dropped silently.
"""

from __future__ import annotations

from typing import Any

from aws_lambda_powertools.utilities import parameters

from handlers import observability, settings
from handlers.alerts import AlarmNotice, Alert, alarm_slack_message, execution_link, parse_notification, slack_message
from handlers.slack import SlackWebhook

SECRET_MAX_AGE_SECONDS = 300

secret_arn = settings.require(settings.SLACK_WEBHOOK_SECRET_ARN)
max_attempts = int(settings.optional(settings.SLACK_MAX_ATTEMPTS) or 3)
link_template = settings.optional(settings.CONSOLE_URL)


def slack() -> SlackWebhook | None:
    url = str(parameters.get_secret(secret_arn, max_age=SECRET_MAX_AGE_SECONDS)).strip()
    if not url.startswith(("https://", "http://")):
        observability.logger.warning("Slack is not configured: the webhook secret holds no http(s) URL")
        return None
    return SlackWebhook(url, max_attempts=max_attempts)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    observability.bind(context)
    records = event.get("Records", [])
    delivered = 0
    webhook = slack() if records else None
    for record in records:
        notification = parse_notification(record["Sns"]["Message"])
        match notification:
            case Alert():
                observability.append(order_id=notification.order_id, correlation_id=notification.correlation_id)
                observability.logger.error("ORDER FAILED", extra=notification.to_log())
                message = slack_message(notification, execution_link(notification.execution_arn, link_template))
            case AlarmNotice():
                level = observability.logger.error if notification.state == "ALARM" else observability.logger.info
                level(f"ALARM {notification.name} is {notification.state}", extra=notification.to_log())
                message = alarm_slack_message(notification)
        if webhook is not None:
            attempts = webhook.post(message)
            observability.logger.info("alert posted to Slack", extra={"attempts": attempts})
            delivered += 1
    return {"alerts": len(records), "slack": delivered}
