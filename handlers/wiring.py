"""Shared construction of clients, adapters and services from the environment: the one place that reads it.

Handler modules call these once at import (Lambda's init phase), so clients are reused across warm invocations.
Each factory imports what it builds, so a function's cold start loads its own code, not every other function's.
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from handlers import clock, env
from handlers.adapters.orders_store import OrdersStore

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from handlers.adapters.order_events import OrderEvents
    from handlers.services.alert_delivery import AlertDelivery, AlertTarget
    from handlers.services.orders_api import OrdersApi


# Retries live in the workflow (visible in the execution history), not hidden in the SDK.
CLIENT_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=3, read_timeout=10)
# Unlike the workflow's steps, nothing retries the alert log's calls for us: the SDK does, a few times.
ALERT_LOG_CLIENT_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 5})
# Alert targets' webhook URLs are re-read from Secrets Manager at most this often (a rotated URL is picked up).
SECRET_MAX_AGE_SECONDS = 300
_TARGET_SECRETS = {"slack": env.SLACK_WEBHOOK_SECRET_ARN, "webhook": env.ALERT_WEBHOOK_SECRET_ARN}
# Longer than an alert can wait in the alert queue (4 days) and its DLQ (14 days): a redrive is no duplicate.
ALERT_DEDUP_SECONDS = 20 * 24 * 3600


def dynamodb() -> DynamoDBClient:
    return boto3.client("dynamodb", config=CLIENT_CONFIG)


def idempotency_ttl_seconds() -> int:
    return int(env.optional(env.IDEMPOTENCY_TTL_SECONDS) or 24 * 3600)


def orders_store() -> OrdersStore:
    return OrdersStore(
        dynamodb(),
        orders_table=env.require(env.ORDERS_TABLE),
        idempotency_table=env.require(env.IDEMPOTENCY_TABLE),
        lock_ttl=timedelta(seconds=idempotency_ttl_seconds()),
    )


def orders_api() -> OrdersApi:
    from handlers.services.orders_api import OrdersApi

    return OrdersApi(
        sfn=boto3.client("stepfunctions", config=CLIENT_CONFIG),
        store=orders_store(),
        state_machine_arn=env.require(env.STATE_MACHINE_ARN),
    )


def order_events() -> OrderEvents:
    from handlers.adapters.order_events import OrderEvents

    return OrderEvents(boto3.client("sns", config=CLIENT_CONFIG), env.require(env.ORDER_EVENTS_TOPIC_ARN))


def alert_target_url(target: str) -> str | None:
    """The target's webhook URL from its secret; None when the function has no secret for it."""
    from aws_lambda_powertools.utilities import parameters

    variable = _TARGET_SECRETS.get(target)
    arn = env.optional(variable) if variable else None
    if arn is None:
        return None
    return str(parameters.get_secret(arn, max_age=SECRET_MAX_AGE_SECONDS)).strip()


def alert_delivery() -> AlertDelivery:
    """The AlertHandler's service. Which targets are on (ALERT_TARGETS) and their URLs are read for every batch."""
    from handlers.adapters.alert_log import DynamoDBAlertLog
    from handlers.adapters.alert_targets import configured_targets
    from handlers.services.alert_delivery import STORM_THRESHOLD, AlertDelivery

    log = DynamoDBAlertLog(
        boto3.client("dynamodb", config=ALERT_LOG_CLIENT_CONFIG),
        env.require(env.ALERT_LOG_TABLE),
        window=timedelta(seconds=int(env.optional(env.ALERT_DEDUP_SECONDS) or ALERT_DEDUP_SECONDS)),
    )
    max_attempts = int(env.optional(env.SLACK_MAX_ATTEMPTS) or 3)
    link_template = env.optional(env.CONSOLE_URL)
    http_timeout = float(env.optional(env.ALERT_HTTP_TIMEOUT_SECONDS) or 10)

    def targets() -> list[AlertTarget]:
        names = env.optional(env.ALERT_TARGETS)
        return configured_targets(names, alert_target_url, max_attempts, link_template, http_timeout)

    return AlertDelivery(
        log, targets, clock.now, storm_threshold=int(env.optional(env.ALERT_STORM_THRESHOLD) or STORM_THRESHOLD)
    )
