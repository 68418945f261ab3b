"""The one list of orderflow's resources: functions (handler, environment, trigger, AWS access), tables, queues (with
their DLQs), topics, secrets and the state machine's placeholders. The local runtime provisions from it; infra/ (CDK)
builds from it, IAM included.

Environment values are references (`TableName("orders")`), resolved by whoever provisions: the local runtime to
its moto names, CDK to tokens. Nothing else hard-codes a resource name.

Its types, and the checks a manifest runs on itself when it is made (`ManifestError`), are workflow.resources'
(imported from here as well). `workflow.asl.check_manifest` checks a compiled definition against it.
"""

from __future__ import annotations

from typing import Final

from handlers import env
from handlers.alert_registry import TARGETS, target_settings
from handlers.domain.contract import DEFAULT_ROUTE, ROUTES
from handlers.domain.listing import LIST_KEY, LIST_SHARD
from workflow.resources import (
    LIVE_ALIAS,
    VISIBILITY_PER_FUNCTION_TIMEOUT,
    Access,
    DescribeExecutions,
    DlqAlarm,
    Function,
    FunctionArn,
    HttpRoutes,
    Index,
    IndexName,
    Manifest,
    ManifestError,
    Partition,
    PublishTo,
    QueryIndex,
    Queue,
    QueueArn,
    QueueTrigger,
    QueueUrl,
    ReadSecret,
    Ref,
    Secret,
    SecretArn,
    SendEmail,
    SendTo,
    Setting,
    StartExecutions,
    StateMachineArn,
    Table,
    TableAccess,
    TableName,
    Topic,
    TopicArn,
    Trigger,
    WorkflowType,
)

# The resource types are workflow.resources'; callers import them from here, with the manifest.
__all__ = [
    "Access",
    "DescribeExecutions",
    "DlqAlarm",
    "Function",
    "FunctionArn",
    "HttpRoutes",
    "Index",
    "IndexName",
    "Manifest",
    "ManifestError",
    "Partition",
    "PublishTo",
    "QueryIndex",
    "Queue",
    "QueueArn",
    "QueueTrigger",
    "QueueUrl",
    "ReadSecret",
    "Ref",
    "Secret",
    "SecretArn",
    "SendEmail",
    "SendTo",
    "Setting",
    "StartExecutions",
    "StateMachineArn",
    "Table",
    "TableAccess",
    "TableName",
    "Topic",
    "TopicArn",
    "Trigger",
    "WorkflowType",
]

# Where the local system runs and the CLI looks by default, what the CDK app names the stack, the alias callers start
# executions through, and the Lambda runtime: the same on AWS and locally.
DEFAULT_REGION = "us-east-1"
STACK_NAME = "orderflow"
# Final: its literal type is one the Lambda API accepts (boto3-stubs check the local runtime's create_function).
PYTHON_RUNTIME: Final = "python3.13"
# How the state machine logs. Express workflows have no execution history, so their logs are the record; at ALL they
# can cost more than the executions themselves, so the default is ERROR (the stack's expressLogLevel). Standard keeps
# every execution's history (with its data) for 90 days and logs ALL without repeating customer data.
EXPRESS_LOG_LEVELS = ("ALL", "ERROR", "FATAL", "OFF")
DEFAULT_EXPRESS_LOG_LEVEL = "ERROR"
STANDARD_LOG_LEVEL = "ALL"


def state_machine_log_group(stack: str) -> str:
    """The state machine's log group: under /aws/vendedlogs/states/, for which Step Functions needs no entry in the
    account's CloudWatch Logs resource policy (capped at 5,120 characters, so busy accounts fail the deploy)."""
    return f"/aws/vendedlogs/states/{stack}-orders"


def logs_execution_data(workflow_type: str, level: str) -> bool:
    """Whether the state machine's log records carry execution data: an Express one at ERROR and FATAL, where they
    are the failure route's, whose inputs hold no personal data (workflow.failure_route._failure_document); at ALL every
    state's input would carry the order's email and address. Standard's history has the data already."""
    return workflow_type == "EXPRESS" and level in ("ERROR", "FATAL")


_STORE_ENV: dict[str, Ref] = {
    env.ORDERS_TABLE: TableName("orders"),
    env.IDEMPOTENCY_TABLE: TableName("idempotency"),
}

WORKER_TIMEOUT = 30
# Orders that are not terminal yet, by when they were accepted: FindStuckOrders queries it, so nothing scans the
# table. Sparse: CreateOrder writes its keys, FULFILLED and FAILED remove them (so do the stuck alert's mark).
OPEN_ORDERS_INDEX = "open-orders"
# Every order, newest first: the console's orders list queries it, one query per shard a page, instead of scanning
# the table. Every writer of an order gives it its keys (handlers.domain.listing: eight shards by the order id, then
# the acceptance time and the id); it projects what a row of the list shows, except the failure (its cause can be
# 16 KB, each write of it billed by the KB), which the list reads for its failed rows only.
ORDERS_BY_TIME_INDEX = "orders-by-time"
# How often FindStuckOrders looks; an order is stuck after STUCK_ORDER_MINUTES (default 15) without a terminal status.
STUCK_CHECK_MINUTES = 5
STUCK_CHECK_TIMEOUT = 60
# Each post may take up to a minute (3 tries of up to 10 s, Retry-After waits of up to 10 s); the AlertHandler
# starts none with less than a minute left, so what does not fit is retried rather than cut off.
ALERT_TIMEOUT = 180
# The alert targets' secrets, settings, environment, access and outputs: derived from handlers.alert_registry, where a
# target is one line.
_TARGET_SECRETS = tuple(spec.secret for spec in TARGETS if spec.secret is not None)
_ALERT_TARGET_ENV: dict[str, Ref] = {
    **{secret.arn_env: SecretArn(secret.name) for secret in _TARGET_SECRETS},
    **{setting: Setting(setting) for setting in target_settings()},
}

MANIFEST = Manifest(
    tables=(
        Table(
            "orders",
            partition_key="orderId",
            indexes=(
                Index(
                    OPEN_ORDERS_INDEX,
                    partition_key="openShard",
                    sort_key="openSince",
                    projected=("status", "updatedAt", "executionArn", "correlationId"),
                ),
                Index(
                    ORDERS_BY_TIME_INDEX,
                    partition_key=LIST_SHARD,
                    sort_key=LIST_KEY,
                    projected=("status", "updatedAt", "currency", "total"),
                ),
            ),
        ),
        Table("idempotency", partition_key="idempotencyKey", ttl_attribute="expiresAt"),
        # Alerts already delivered, by fingerprint: one alert per failure, however often it is published.
        Table("alert-log", partition_key="fingerprint", ttl_attribute="expiresAt"),
    ),
    queues=(
        # Visibility timeout is 6x the worker's timeout, as AWS recommends for Lambda event sources.
        Queue(
            "orders",
            visibility_timeout=VISIBILITY_PER_FUNCTION_TIMEOUT * WORKER_TIMEOUT,
            dead_letter_queue="orders-dlq",
            max_receive_count=5,
        ),
        Queue(
            "orders-dlq",
            retention_seconds=14 * 24 * 3600,
            alarm=DlqAlarm(
                "OrderDlqNotEmpty",
                "orders are parked in the order DLQ: inspect with `orderflow dlq list`, redrive when fixed",
                parked_reason="the worker gave up after repeated failures",
            ),
        ),
        # Alerts wait here for the AlertHandler, which takes them in batches: a storm becomes one summary. An alert
        # that cannot be delivered (Slack down) is retried, then parked in the alert DLQ, which is alarmed.
        Queue(
            "alerts",
            visibility_timeout=VISIBILITY_PER_FUNCTION_TIMEOUT * ALERT_TIMEOUT,
            dead_letter_queue="alerts-dlq",
            max_receive_count=3,
            subscribes_to="alerts",
        ),
        Queue(
            "alerts-dlq",
            retention_seconds=14 * 24 * 3600,
            alarm=DlqAlarm(
                "AlertDlqNotEmpty",
                "alerts could not be delivered (Slack down?) and are parked in the alert DLQ",
                parked_reason="not delivered to every alert target (see the AlertHandler logs)",
            ),
        ),
        Queue(
            "stuck-checks",
            visibility_timeout=VISIBILITY_PER_FUNCTION_TIMEOUT * STUCK_CHECK_TIMEOUT,
            dead_letter_queue="stuck-checks-dlq",
            max_receive_count=3,
            # A tick waits no longer than the next one: an old one would only repeat it.
            retention_seconds=STUCK_CHECK_MINUTES * 60,
            tick_minutes=STUCK_CHECK_MINUTES,
        ),
        Queue(
            "stuck-checks-dlq",
            retention_seconds=14 * 24 * 3600,
            alarm=DlqAlarm(
                "StuckCheckDlqNotEmpty",
                "the stuck-order check failed repeatedly: stuck orders are not being found (see FindStuckOrders' logs)",
                parked_reason="FindStuckOrders failed on this tick three times",
            ),
        ),
    ),
    # alerts: the failed (and stuck) orders and the alarms about the order flow, for the AlertHandler's targets.
    # alarms: the alarms about the alert path itself, by a route that does not depend on it (e-mail subscriptions).
    topics=(Topic("alerts"), Topic("order-events"), Topic("alarms")),
    functions=(
        Function(
            "StartWorkflow",
            "handlers.start_workflow.handler",
            billed_ms=45,
            environment={
                **_STORE_ENV,
                env.STATE_MACHINE_ARN: StateMachineArn(alias=LIVE_ALIAS),
                env.STATE_MACHINE_TYPE: WorkflowType(),
            },
            trigger=HttpRoutes((*ROUTES, DEFAULT_ROUTE)),
            # POST reserves the key's order id (one put; released by an update when StartExecution refused) and
            # starts the execution through the live alias; a replay reads the order or the first execution; GET
            # reads the order or, before CreateOrder ran, its execution.
            access=(
                TableAccess("idempotency", ("PutItem", "UpdateItem")),
                StartExecutions(LIVE_ALIAS),
                DescribeExecutions(),
                TableAccess("orders", ("GetItem",)),
            ),
        ),
        Function("ValidateOrder", "handlers.validate_order.handler", billed_ms=4),
        Function(
            "CreateOrder",
            "handlers.create_order.handler",
            billed_ms=25,
            environment=dict(_STORE_ENV),
            # A conditional put of the order; when it exists already, a read to replay it, and a redriven order is
            # taken over by another conditional put (handlers.adapters.orders_store: create, _existing, _adopt).
            access=(TableAccess("orders", ("PutItem", "GetItem")),),
        ),
        Function(
            "NotifyOrder",
            "handlers.notify_order.handler",
            billed_ms=20,
            environment={env.ORDER_EVENTS_TOPIC_ARN: TopicArn("order-events")},
            access=(PublishTo("order-events"),),
        ),
        Function(
            "ProcessOrderWorker",
            "handlers.process_order_worker.handler",
            billed_ms=35,
            timeout=WORKER_TIMEOUT,
            trigger=QueueTrigger("orders", batch_size=10),
            # One conditional update per message fulfils the order, with no read first (handlers.services.fulfilment);
            # an order that was alerted (it failed, then was rerun; or it was stuck) has its incident resolved through
            # the alert topic.
            environment={**_STORE_ENV, env.ALERT_TOPIC_ARN: TopicArn("alerts")},
            access=(TableAccess("orders", ("UpdateItem",)), PublishTo("alerts")),
        ),
        Function(
            "AlertHandler",
            "handlers.alert_handler.handler",
            billed_ms=250,
            timeout=ALERT_TIMEOUT,
            environment={
                env.ALERT_LOG_TABLE: TableName("alert-log"),
                env.ALERT_DLQ_URL: QueueUrl("alerts-dlq"),
                **_ALERT_TARGET_ENV,
                env.ALERT_TARGETS: Setting(env.ALERT_TARGETS),
                env.ALERT_ROUTES: Setting(env.ALERT_ROUTES),
                env.ALERT_STORM_THRESHOLD: Setting(env.ALERT_STORM_THRESHOLD),
                env.ALERT_DEDUP_SECONDS: Setting(env.ALERT_DEDUP_SECONDS),
                env.ALERT_HTTP_TIMEOUT_SECONDS: Setting(env.ALERT_HTTP_TIMEOUT_SECONDS),
                env.SLACK_MAX_ATTEMPTS: Setting(env.SLACK_MAX_ATTEMPTS),
                env.CONSOLE_URL: Setting(env.CONSOLE_URL),
            },
            trigger=QueueTrigger("alerts", batch_size=100, batch_window=20, max_concurrency=2),
            # Reads its targets' secrets; claims, marks and releases deliveries in the alert log; parks an alert a
            # target refused for good in the alert DLQ; e-mails through SES from the configured sender.
            access=(
                *(ReadSecret(secret.name) for secret in _TARGET_SECRETS),
                TableAccess("alert-log", ("PutItem", "UpdateItem", "DeleteItem")),
                SendTo("alerts-dlq"),
                SendEmail(),
            ),
        ),
        Function(
            "FindStuckOrders",
            "handlers.find_stuck_orders.handler",
            timeout=STUCK_CHECK_TIMEOUT,
            environment={
                env.ORDERS_TABLE: TableName("orders"),
                env.OPEN_ORDERS_INDEX: IndexName("orders", OPEN_ORDERS_INDEX),
                env.ALERT_TOPIC_ARN: TopicArn("alerts"),
                env.STUCK_ORDER_MINUTES: Setting(env.STUCK_ORDER_MINUTES),
            },
            trigger=QueueTrigger("stuck-checks", batch_size=1),
            # Queries the open orders' index, alerts each stuck one through the alert topic, then marks it alerted
            # (a conditional update that also takes it out of the index).
            access=(
                QueryIndex("orders", OPEN_ORDERS_INDEX),
                PublishTo("alerts"),
                TableAccess("orders", ("UpdateItem",)),
            ),
        ),
    ),
    secrets=tuple(
        Secret(secret.name, description=f"orderflow: {secret.holds}", local_value_from=secret.local_env)
        for secret in _TARGET_SECRETS
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
        **{secret.output: SecretArn(secret.name) for secret in _TARGET_SECRETS},
        "AlertLogTableName": TableName("alert-log"),
        "AlarmTopicArn": TopicArn("alarms"),
        "StuckCheckQueueUrl": QueueUrl("stuck-checks"),
        "StuckCheckDlqUrl": QueueUrl("stuck-checks-dlq"),
    },
)
