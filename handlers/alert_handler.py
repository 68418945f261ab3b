"""AlertHandler: subscribed to the alert topic. Logs each alert as one structured line and posts it to Slack.

Without SLACK_WEBHOOK_URL it still logs. When Slack keeps failing, the invocation fails, so the alert is delivered
again (Lambda's async retries, then the function's DLQ): never dropped silently.
"""

from __future__ import annotations

from typing import Any

import requests

from handlers import observability, settings
from handlers.alerts import Alert, execution_link, slack_message
from handlers.slack import SlackWebhook

_webhook_url = settings.optional(settings.SLACK_WEBHOOK_URL)
slack = (
    SlackWebhook(
        _webhook_url,
        requests.Session(),
        max_attempts=int(settings.optional(settings.SLACK_MAX_ATTEMPTS) or 3),
    )
    if _webhook_url
    else None
)
link_template = settings.optional(settings.CONSOLE_URL)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    observability.bind(context)
    delivered = 0
    for record in event.get("Records", []):
        alert = Alert.from_message(record["Sns"]["Message"])
        observability.append(order_id=alert.order_id, correlation_id=alert.correlation_id)
        observability.logger.error("ORDER FAILED", extra=alert.to_log())
        if slack is not None:
            attempts = slack.post(slack_message(alert, execution_link(alert.execution_arn, link_template)))
            observability.logger.info("alert posted to Slack", extra={"attempts": attempts})
            delivered += 1
    return {"alerts": len(event.get("Records", [])), "slack": delivered}
