"""The one list of orderflow's resources: functions (handler, environment, trigger), tables, queues, topics and the
state machine's placeholders. The local runtime provisions from it; infra/ (CDK) builds from it.

Environment values are references (`TableName("orders")`), resolved by whoever provisions: the local runtime to
its moto names, CDK to tokens. Nothing else hard-codes a resource name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeVar

from handlers import env
from handlers.adapters.http import DEFAULT_ROUTE, ROUTES


# References, resolved per target.
@dataclass(frozen=True)
class TableName:
    table: str


@dataclass(frozen=True)
class QueueUrl:
    queue: str


@dataclass(frozen=True)
class QueueArn:
    queue: str


@dataclass(frozen=True)
class TopicArn:
    topic: str


@dataclass(frozen=True)
class FunctionArn:
    function: str


@dataclass(frozen=True)
class SecretArn:
    secret: str


@dataclass(frozen=True)
class StateMachineArn:
    """The state machine, or with `alias` the alias that callers start executions through (CDK resolves the alias;
    moto cannot start executions through an alias, so the local runtime resolves the state machine itself, whose
    definition is the one the alias's latest version holds)."""

    alias: str | None = None


@dataclass(frozen=True)
class Partition:
    pass


@dataclass(frozen=True)
class Setting:
    """A value the operator provides (e.g. the Slack webhook); absent means the feature is off."""

    name: str


Ref = TableName | QueueUrl | QueueArn | TopicArn | FunctionArn | SecretArn | StateMachineArn | Partition | Setting


@dataclass(frozen=True)
class Table:
    name: str
    partition_key: str
    ttl_attribute: str | None = None


@dataclass(frozen=True)
class Queue:
    name: str
    visibility_timeout: int = 30
    dead_letter_queue: str | None = None
    max_receive_count: int = 5
    retention_seconds: int = 4 * 24 * 3600
    # A topic this queue is subscribed to (raw message delivery: the message body is the published message).
    subscribes_to: str | None = None


@dataclass(frozen=True)
class Topic:
    name: str


@dataclass(frozen=True)
class Secret:
    name: str
    description: str
    # Locally the runtime stores this operator setting's value in the secret; on AWS the operator puts the value.
    local_value_from: str


@dataclass(frozen=True)
class HttpRoutes:
    routes: tuple[str, ...]


@dataclass(frozen=True)
class QueueTrigger:
    queue: str
    batch_size: int = 10
    # Seconds the event source gathers messages before invoking (up to batch_size); 0: as soon as any arrive.
    batch_window: int = 0
    # At most this many invocations at once (0: Lambda decides); few, so a storm stays in few batches.
    max_concurrency: int = 0


Trigger = HttpRoutes | QueueTrigger


@dataclass(frozen=True)
class Function:
    name: str
    handler: str
    timeout: int = 10
    memory: int = 256
    environment: dict[str, Ref] = field(default_factory=dict)
    trigger: Trigger | None = None


@dataclass(frozen=True)
class Manifest:
    tables: tuple[Table, ...]
    queues: tuple[Queue, ...]
    topics: tuple[Topic, ...]
    functions: tuple[Function, ...]
    secrets: tuple[Secret, ...]
    # ${Placeholder} in the compiled ASL -> what it stands for.
    substitutions: dict[str, Ref]
    # What operators and the CLI look up on a deployed system (CloudFormation outputs on AWS, the same keys locally).
    # Every substitution is an output too, so a scripted workflow update can fill the placeholders.
    outputs: dict[str, Ref] = field(default_factory=dict)
    live_alias: str = "live"

    def function(self, name: str) -> Function:
        return _one(self.functions, name, "function")

    def queue(self, name: str) -> Queue:
        return _one(self.queues, name, "queue")

    def table(self, name: str) -> Table:
        return _one(self.tables, name, "table")

    def topic(self, name: str) -> Topic:
        return _one(self.topics, name, "topic")

    def secret(self, name: str) -> Secret:
        return _one(self.secrets, name, "secret")

    def all_outputs(self) -> dict[str, Ref]:
        return {**self.substitutions, **self.outputs}


_Named = TypeVar("_Named", Table, Queue, Topic, Function, Secret)


def _one(items: tuple[_Named, ...], name: str, kind: str) -> _Named:
    for item in items:
        if item.name == name:
            return item
    raise KeyError(f"the manifest has no {kind} named {name!r}")


_STORE_ENV: dict[str, Ref] = {
    env.ORDERS_TABLE: TableName("orders"),
    env.IDEMPOTENCY_TABLE: TableName("idempotency"),
}

WORKER_TIMEOUT = 30
# Each post may take up to a minute (3 tries of up to 10 s, Retry-After waits of up to 10 s); the AlertHandler
# starts none with less than a minute left, so what does not fit is retried rather than cut off.
ALERT_TIMEOUT = 180
LIVE_ALIAS = "live"

MANIFEST = Manifest(
    tables=(
        Table("orders", partition_key="orderId"),
        Table("idempotency", partition_key="idempotencyKey", ttl_attribute="expiresAt"),
        # Powertools idempotency's schema (its default attribute names).
        Table("requests", partition_key="id", ttl_attribute="expiration"),
        # Alerts already delivered, by fingerprint: one alert per failure, however often it is published.
        Table("alert-log", partition_key="fingerprint", ttl_attribute="expiresAt"),
    ),
    queues=(
        # Visibility timeout is 6x the worker's timeout, as AWS recommends for Lambda event sources.
        Queue(
            "orders",
            visibility_timeout=6 * WORKER_TIMEOUT,
            dead_letter_queue="orders-dlq",
            max_receive_count=5,
        ),
        Queue("orders-dlq", retention_seconds=14 * 24 * 3600),
        # Alerts wait here for the AlertHandler, which takes them in batches: a storm becomes one summary. An alert
        # that cannot be delivered (Slack down) is retried, then parked in the alert DLQ, which is alarmed.
        Queue(
            "alerts",
            visibility_timeout=6 * ALERT_TIMEOUT,
            dead_letter_queue="alerts-dlq",
            max_receive_count=3,
            subscribes_to="alerts",
        ),
        Queue("alerts-dlq", retention_seconds=14 * 24 * 3600),
    ),
    topics=(Topic("alerts"), Topic("order-events")),
    functions=(
        Function(
            "StartWorkflow",
            "handlers.start_workflow.handler",
            environment={
                **_STORE_ENV,
                env.REQUESTS_TABLE: TableName("requests"),
                env.STATE_MACHINE_ARN: StateMachineArn(alias=LIVE_ALIAS),
            },
            trigger=HttpRoutes((*ROUTES, DEFAULT_ROUTE)),
        ),
        Function("ValidateOrder", "handlers.validate_order.handler"),
        Function("CreateOrder", "handlers.create_order.handler", environment=dict(_STORE_ENV)),
        Function(
            "NotifyOrder",
            "handlers.notify_order.handler",
            environment={env.ORDER_EVENTS_TOPIC_ARN: TopicArn("order-events")},
        ),
        Function(
            "ProcessOrderWorker",
            "handlers.process_order_worker.handler",
            timeout=WORKER_TIMEOUT,
            environment=dict(_STORE_ENV),
            trigger=QueueTrigger("orders", batch_size=10),
        ),
        Function(
            "AlertHandler",
            "handlers.alert_handler.handler",
            timeout=ALERT_TIMEOUT,
            environment={
                env.ALERT_LOG_TABLE: TableName("alert-log"),
                env.SLACK_WEBHOOK_SECRET_ARN: SecretArn("slack-webhook"),
                env.ALERT_WEBHOOK_SECRET_ARN: SecretArn("alert-webhook"),
                env.ALERT_TARGETS: Setting(env.ALERT_TARGETS),
                env.ALERT_STORM_THRESHOLD: Setting(env.ALERT_STORM_THRESHOLD),
                env.ALERT_DEDUP_SECONDS: Setting(env.ALERT_DEDUP_SECONDS),
                env.ALERT_HTTP_TIMEOUT_SECONDS: Setting(env.ALERT_HTTP_TIMEOUT_SECONDS),
                env.SLACK_MAX_ATTEMPTS: Setting(env.SLACK_MAX_ATTEMPTS),
                env.CONSOLE_URL: Setting(env.CONSOLE_URL),
            },
            trigger=QueueTrigger("alerts", batch_size=100, batch_window=20, max_concurrency=2),
        ),
    ),
    secrets=(
        Secret(
            "slack-webhook",
            description="orderflow: the Slack incoming-webhook URL alerts are posted to (https://hooks.slack.com/...)",
            local_value_from=env.SLACK_WEBHOOK_URL,
        ),
        Secret(
            "alert-webhook",
            description="orderflow: a generic webhook URL every alert is POSTed to as JSON (the 'webhook' target)",
            local_value_from=env.ALERT_WEBHOOK_URL,
        ),
    ),
    substitutions={
        "Partition": Partition(),
        "ValidateOrderFunctionArn": FunctionArn("ValidateOrder"),
        "CreateOrderFunctionArn": FunctionArn("CreateOrder"),
        "NotifyOrderFunctionArn": FunctionArn("NotifyOrder"),
        "OrdersTableName": TableName("orders"),
        "OrderQueueUrl": QueueUrl("orders"),
        "AlertTopicArn": TopicArn("alerts"),
    },
    outputs={
        "StateMachineArn": StateMachineArn(),
        "LiveAliasArn": StateMachineArn(alias=LIVE_ALIAS),
        "OrderDlqUrl": QueueUrl("orders-dlq"),
        "IdempotencyTableName": TableName("idempotency"),
        "AlertQueueUrl": QueueUrl("alerts"),
        "AlertDlqUrl": QueueUrl("alerts-dlq"),
        "SlackWebhookSecretArn": SecretArn("slack-webhook"),
    },
    live_alias=LIVE_ALIAS,
)
