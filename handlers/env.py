"""Environment variable names, in one place. The manifest (workflow.manifest) sets them; handlers read them.

There are no default resource names: a missing variable is a configuration error raised at init.
"""

from __future__ import annotations

import os

ORDERS_TABLE = "ORDERS_TABLE_NAME"
IDEMPOTENCY_TABLE = "IDEMPOTENCY_TABLE_NAME"
STATE_MACHINE_ARN = "STATE_MACHINE_ARN"
# The state machine's type, STANDARD or EXPRESS (Express executions cannot be described).
STATE_MACHINE_TYPE = "STATE_MACHINE_TYPE"
ORDER_EVENTS_TOPIC_ARN = "ORDER_EVENTS_TOPIC_ARN"
SLACK_MAX_ATTEMPTS = "SLACK_MAX_ATTEMPTS"
SLACK_WEBHOOK_URL = "SLACK_WEBHOOK_URL"
SLACK_WEBHOOK_SECRET_ARN = "SLACK_WEBHOOK_SECRET_ARN"  # noqa: S105 - a variable name, not a secret
CONSOLE_URL = "ORDERFLOW_CONSOLE_URL"
ALERT_LOG_TABLE = "ALERT_LOG_TABLE_NAME"
ALERT_WEBHOOK_URL = "ALERT_WEBHOOK_URL"
ALERT_WEBHOOK_SECRET_ARN = "ALERT_WEBHOOK_SECRET_ARN"  # noqa: S105 - a variable name, not a secret
# Where alerts go, comma-separated (handlers.alert_registry: slack, webhook, pagerduty, teams, email; default slack).
ALERT_TARGETS = "ALERT_TARGETS"
# Which targets get which alerts: a JSON rule list (handlers.domain.alert_routes); unset, everything goes everywhere.
ALERT_ROUTES = "ALERT_ROUTES"
# The alert DLQ: an alert a target refused for good (HTTP 400) is parked there at once, not retried.
ALERT_DLQ_URL = "ALERT_DLQ_URL"
# More alerts than this in one batch are posted as one grouped summary (default 3).
ALERT_STORM_THRESHOLD = "ALERT_STORM_THRESHOLD"
# An alert with the same fingerprint within this many seconds is a duplicate (default 20 days: longer than an alert
# can wait in the alert queue and its DLQ).
ALERT_DEDUP_SECONDS = "ALERT_DEDUP_SECONDS"
# How long an alert target's HTTP call may take before it counts as failed (default 10).
ALERT_HTTP_TIMEOUT_SECONDS = "ALERT_HTTP_TIMEOUT_SECONDS"
IDEMPOTENCY_TTL_SECONDS = "IDEMPOTENCY_TTL_SECONDS"
# Where FindStuckOrders alerts a stuck order, and after how many minutes an order that is not terminal is stuck.
ALERT_TOPIC_ARN = "ALERT_TOPIC_ARN"
OPEN_ORDERS_INDEX = "OPEN_ORDERS_INDEX_NAME"
STUCK_ORDER_MINUTES = "STUCK_ORDER_MINUTES"


class ConfigurationError(RuntimeError):
    pass


def require(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigurationError(f"environment variable {name} is not set")
    return value


def optional(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    return value or None
