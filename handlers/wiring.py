"""Shared construction of clients, adapters and services from the environment: the one place that reads it.

Handler modules call these once at import (Lambda's init phase), so clients are reused across warm invocations.
Each factory imports what it builds, so a function's cold start loads its own code, not every other function's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from handlers import clock, env, observability
from handlers.adapters.orders_store import OrdersStore

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from handlers.adapters.alert_topic import SnsAlertTopic
    from handlers.adapters.open_orders import DynamoDBOpenOrders
    from handlers.adapters.order_events import OrderEvents
    from handlers.services.alert_delivery import AlertDelivery, AlertTarget
    from handlers.services.orders_api import OrdersApi


# Retries live in the workflow (visible in the execution history), not hidden in the SDK.
# A call that hangs ends well inside the function's 10 s (a read times out after 4 s, reported as a transient error the
# workflow retries), not at Lambda's timeout, which the workflow could only catch as a failure.
CLIENT_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=2, read_timeout=4)
# Unlike the workflow's steps, nothing retries the alert log's calls for us: the SDK does, a few times.
ALERT_LOG_CLIENT_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 5})
# Alert targets' webhook URLs are re-read from Secrets Manager at most this often (a rotated URL is picked up).
SECRET_MAX_AGE_SECONDS = 300
# Longer than an alert can wait in the alert queue (4 days) and its DLQ (14 days): a redrive is no duplicate.
ALERT_DEDUP_SECONDS = 20 * 24 * 3600


@dataclass(frozen=True)
class ApiTimeouts:
    """The HTTP API's clients: one attempt per call, `connect` + `read` seconds at most."""

    connect: float
    read: float

    def config(self) -> Config:
        return Config(
            retries={"mode": "standard", "total_max_attempts": 1}, connect_timeout=self.connect, read_timeout=self.read
        )

    def longest_call(self) -> timedelta:
        return timedelta(seconds=self.connect + self.read)


# The HTTP API's clients (StartWorkflow's DynamoDB and Step Functions calls). Whatever a dependency does, the function
# answers within its 10 s timeout, with a 503 problem body and Retry-After, never API Gateway's bare 5xx:
# - one call takes at most 1 s to connect + 2 s per read = 3 s (DynamoDB and StartExecution answer in tens of ms);
# - one attempt: a second would not fit, as the SDK's backoff before it may wait 6 s (a throttle's 1 s plus up to 5 s
#   that x-amz-retry-after asks for). The client's retry stands in for it: Retry-After asks for it, and the
#   Idempotency-Key makes it safe;
# - OrdersApi starts a call only while 3 s + its ANSWER_MARGIN (0.5 s) remain of the invocation, so however many calls
#   a request makes, the last one ends by 9.5 s, leaving 0.5 s to answer.
# (read_timeout bounds each read of the socket, not a whole answer; these answers are a few hundred bytes.)
API_TIMEOUTS = ApiTimeouts(connect=1, read=2)
_WORKFLOW_TYPES = ("STANDARD", "EXPRESS")


def dynamodb(config: Config = CLIENT_CONFIG) -> DynamoDBClient:
    return boto3.client("dynamodb", config=config)


def idempotency_ttl_seconds() -> int:
    return int(env.optional(env.IDEMPOTENCY_TTL_SECONDS) or 24 * 3600)


def orders_store(config: Config = CLIENT_CONFIG) -> OrdersStore:
    return OrdersStore(
        dynamodb(config),
        orders_table=env.require(env.ORDERS_TABLE),
        idempotency_table=env.require(env.IDEMPOTENCY_TABLE),
        lock_ttl=timedelta(seconds=idempotency_ttl_seconds()),
    )


def workflow_type() -> str | None:
    """STANDARD, EXPRESS or None (not configured). Read for every request, not once: the local runtime runs a
    Standard system and then an Express one in one process, which imports StartWorkflow's module once."""
    value = env.optional(env.STATE_MACHINE_TYPE)
    if value is not None and value.upper() not in _WORKFLOW_TYPES:
        raise env.ConfigurationError(
            f"{env.STATE_MACHINE_TYPE} is {value!r}; expected one of {', '.join(_WORKFLOW_TYPES)}"
        )
    return value.upper() if value is not None else None


def orders_api(timeouts: ApiTimeouts = API_TIMEOUTS) -> OrdersApi:
    """StartWorkflow's service, its clients bounded by `timeouts` (a test passes short ones)."""
    from handlers.adapters.executions import StepFunctionsExecutions
    from handlers.services.orders_api import OrdersApi

    workflow_type()  # a wrong value fails the function's init, not each request
    return OrdersApi(
        executions=StepFunctionsExecutions(
            boto3.client("stepfunctions", config=timeouts.config()), env.require(env.STATE_MACHINE_ARN)
        ),
        store=orders_store(timeouts.config()),
        workflow_type=workflow_type,
        longest_call=timeouts.longest_call(),
        now=clock.now,
    )


def order_events() -> OrderEvents:
    from handlers.adapters.order_events import OrderEvents

    return OrderEvents(boto3.client("sns", config=CLIENT_CONFIG), env.require(env.ORDER_EVENTS_TOPIC_ARN))


def _secret(arn_env: str) -> str | None:
    """A secret's value, by the environment variable holding its ARN; None when the function has none."""
    from aws_lambda_powertools.utilities import parameters

    arn = env.optional(arn_env)
    if arn is None:
        return None
    return str(parameters.get_secret(arn, max_age=SECRET_MAX_AGE_SECONDS)).strip()


# What is wrong with the alert configuration is logged at ERROR once per cold start, not on every batch.
_reported: set[str] = set()


def report_once(problem: str) -> None:
    if problem not in _reported:
        _reported.add(problem)
        observability.logger.error("alert configuration", extra={"problem": problem})


def alert_delivery() -> AlertDelivery:
    """The AlertHandler's service. Which targets are on (ALERT_TARGETS), their secrets and the routes are read for
    every batch, so a secret rotated or a setting changed is used without a cold start."""
    from handlers.adapters.alert_dlq import SqsAlertDlq
    from handlers.adapters.alert_log import DynamoDBAlertLog
    from handlers.adapters.alert_targets import TargetConfig
    from handlers.alert_registry import BY_NAME, TargetSpec, configured_targets
    from handlers.domain.alert_routes import Routes, RoutesError, parse_routes
    from handlers.services.alert_delivery import STORM_THRESHOLD, AlertDelivery

    log = DynamoDBAlertLog(
        boto3.client("dynamodb", config=ALERT_LOG_CLIENT_CONFIG),
        env.require(env.ALERT_LOG_TABLE),
        window=timedelta(seconds=int(env.optional(env.ALERT_DEDUP_SECONDS) or ALERT_DEDUP_SECONDS)),
    )
    max_attempts = int(env.optional(env.SLACK_MAX_ATTEMPTS) or 3)
    link_template = env.optional(env.CONSOLE_URL)
    http_timeout = float(env.optional(env.ALERT_HTTP_TIMEOUT_SECONDS) or 10)

    def config_of(spec: TargetSpec) -> TargetConfig:
        return TargetConfig(
            secret=_secret(spec.secret.arn_env) if spec.secret else None,
            settings=env.optional,
            max_attempts=max_attempts,
            timeout=http_timeout,
            link_template=link_template,
        )

    def targets() -> list[AlertTarget]:
        return configured_targets(env.optional(env.ALERT_TARGETS), config_of, report_once)

    def routes() -> Routes:
        try:
            return parse_routes(env.optional(env.ALERT_ROUTES), BY_NAME)
        except RoutesError as e:  # every alert to every target: more noise, but nothing routed nowhere
            report_once(f"{e}; alerts go to every target until it is fixed")
            return Routes()

    dlq_url = env.optional(env.ALERT_DLQ_URL)
    return AlertDelivery(
        log,
        targets,
        clock.now,
        routes=routes,
        parking=SqsAlertDlq(boto3.client("sqs", config=ALERT_LOG_CLIENT_CONFIG), dlq_url) if dlq_url else None,
        storm_threshold=int(env.optional(env.ALERT_STORM_THRESHOLD) or STORM_THRESHOLD),
    )


def alert_topic() -> SnsAlertTopic:
    """The alert topic, for alerts and resolutions published outside the workflow."""
    from handlers.adapters.alert_topic import SnsAlertTopic

    return SnsAlertTopic(boto3.client("sns", config=CLIENT_CONFIG), env.require(env.ALERT_TOPIC_ARN))


def stuck_orders() -> tuple[DynamoDBOpenOrders, SnsAlertTopic]:
    """FindStuckOrders' open-orders index and alert topic."""
    from handlers.adapters.alert_topic import SnsAlertTopic
    from handlers.adapters.open_orders import DynamoDBOpenOrders

    open_orders = DynamoDBOpenOrders(
        boto3.client("dynamodb", config=ALERT_LOG_CLIENT_CONFIG),
        env.require(env.ORDERS_TABLE),
        env.require(env.OPEN_ORDERS_INDEX),
    )
    return open_orders, SnsAlertTopic(
        boto3.client("sns", config=ALERT_LOG_CLIENT_CONFIG), env.require(env.ALERT_TOPIC_ARN)
    )


def stuck_after() -> timedelta:
    """How long an order may stay open (STUCK_ORDER_MINUTES, default 15), read per run like the alert targets."""
    from handlers.services.stuck_orders import DEFAULT_STUCK_MINUTES

    setting = env.optional(env.STUCK_ORDER_MINUTES) or str(DEFAULT_STUCK_MINUTES)
    try:
        minutes = float(setting)  # fractions for local tests: the local runtime scales waits, not the clock
    except ValueError:
        minutes = 0.0
    if not minutes > 0:
        raise env.ConfigurationError(f"{env.STUCK_ORDER_MINUTES} must be a number of minutes above 0, not {setting!r}")
    return timedelta(minutes=minutes)
