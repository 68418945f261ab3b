"""The order workflow, written with the `stepfunctions` DSL. A pure function: building it does no I/O.

    ValidateOrder -> CreateOrder -> EnqueueOrder -> NotifyOrder              (4 billed transitions)
    CreateOrder finds the order another execution wrote (Catch OrderHandledElsewhere) -> HandledElsewhere
    any of them fails (Catch) -> <Step>Failed -> RecordFailure -> PublishFailure -> OrderFailed
    RecordFailure finds the order another execution's (its condition fails) -> HandledElsewhere
    (NotifyOrderFailed skips RecordFailure: the order is already with the worker.)

Every state on the happy path does work: the path ends on its last task, the ownership check is CreateOrder's Catch
rather than a Choice, and QUEUED is recorded by the worker (at the message's SentTimestamp) rather than by a state.
A Standard execution is billed per state transition, so each state left out is a quarter of the workflow's bill.

Retries (with backoff and full jitter) and error routing live here, not in the Lambdas. Error names in Retry are
the domain exception class names from `handlers.domain.errors` (the Lambda runtime reports them as `errorType`).

Each workflow type has its retry policy (`POLICIES`). An Express execution ends after five minutes, and one cut off
there never reaches RecordFailure and PublishFailure (no FAILED status, no alert): its every Task has a timeout and
fewer, shorter retries, so the worst path fits (workflow.asl.check_budget refuses an Express compile that does not).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stepfunctions.steps import Chain, Fail, Pass, Succeed

from handlers.domain import errors
from handlers.domain.order import OrderStatus
from workflow.dsl import Catch, DynamoDBUpdateItem, LambdaInvoke, Retry, SnsPublish, SqsSendMessage
from workflow.manifest import MANIFEST

# Errors of the Lambda service itself (not of our code): always worth retrying. The names AWS documents for the
# Lambda integration (https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html).
LAMBDA_SERVICE_ERRORS = [
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
]
# Our transient errors, by class name (ErrorEquals matches names exactly, not base classes).
TRANSIENT_ERRORS = [
    errors.OrderStoreUnavailable.__name__,
    errors.NotificationUnavailable.__name__,
]
# The DynamoDB integration reports a service error as "DynamoDB." + its error code (botocore's error shapes), so
# these are the throttling and server codes. Not DynamoDB.AmazonDynamoDBException: the SDK's base class, under which
# a permanent error (a validation error) would be retried too.
DYNAMODB_TRANSIENT = [
    "DynamoDB.ProvisionedThroughputExceededException",
    "DynamoDB.ThrottlingException",
    "DynamoDB.RequestLimitExceeded",
    "DynamoDB.InternalServerError",
]
# The SQS integration reports every failure under one of two names: a client-side one (SdkClientException: the
# network, throttling answered to the client) and the service's (AmazonSQSException).
SQS_TRANSIENT = ["SQS.SdkClientException", "SQS.AmazonSQSException"]
# The SNS integration names an error code C "SNS.CException" (Throttled, InternalError, KMSThrottling).
SNS_TRANSIENT = [
    "SNS.SdkClientException",
    "SNS.ThrottledException",
    "SNS.InternalErrorException",
    "SNS.KMSThrottlingException",
]

LAMBDA_TASK_TIMEOUT = 30


@dataclass(frozen=True)
class RetryPolicy:
    """How long a Task may take and how often it is retried, per kind of Task."""

    # A Lambda Task's TimeoutSeconds; None: its function's own timeout (a Task must not give up before it).
    lambda_timeout: int | None
    lambda_service_attempts: int  # Lambda's own errors
    transient_attempts: int  # our transient errors (the store or the notifier was unavailable)
    store_attempts: int  # the native DynamoDB and SQS steps
    publish_attempts: int  # the alert's SNS publish: the last step of the failure route
    # The native integrations' TimeoutSeconds; None sets none (Standard: a year is not its limit to fear).
    service_timeout: int | None
    max_delay: int


POLICIES = {
    "STANDARD": RetryPolicy(
        lambda_timeout=LAMBDA_TASK_TIMEOUT,
        lambda_service_attempts=3,
        transient_attempts=4,
        store_attempts=4,
        publish_attempts=6,
        service_timeout=None,
        max_delay=10,
    ),
    # Worst path (workflow.asl.budget): 213 s of Express's 300.
    "EXPRESS": RetryPolicy(
        lambda_timeout=None,
        lambda_service_attempts=2,
        transient_attempts=2,
        store_attempts=2,
        publish_attempts=3,
        service_timeout=5,
        max_delay=4,
    ),
}


def _backoff(error_equals: list[str], policy: RetryPolicy, *, max_attempts: int) -> Retry:
    return Retry(
        error_equals=error_equals,
        interval_seconds=1,
        backoff_rate=2.0,
        max_attempts=max_attempts,
        max_delay_seconds=policy.max_delay,
        jitter_strategy="FULL",
    )


def _lambda_retries(policy: RetryPolicy) -> list[Retry]:
    return [
        _backoff(LAMBDA_SERVICE_ERRORS, policy, max_attempts=policy.lambda_service_attempts),
        _backoff(TRANSIENT_ERRORS, policy, max_attempts=policy.transient_attempts),
    ]


def _timeout(policy: RetryPolicy) -> dict[str, int]:
    return {"timeout_seconds": policy.service_timeout} if policy.service_timeout is not None else {}


def _lambda(
    name: str, payload: dict[str, Any], result_selector: dict[str, str], result_path: str, policy: RetryPolicy
) -> LambdaInvoke:
    return LambdaInvoke(
        name,
        parameters={"FunctionName": f"${{{name}FunctionArn}}", "Payload": payload},
        result_selector=result_selector,
        result_path=result_path,
        timeout_seconds=policy.lambda_timeout or MANIFEST.function(name).timeout,
        retry=_lambda_retries(policy),
    )


def _update_order(
    name: str,
    update: str,
    condition: str,
    values: dict[str, Any],
    policy: RetryPolicy,
    names: dict[str, str] | None = None,
) -> DynamoDBUpdateItem:
    """A native DynamoDB UpdateItem on the order named by $.orderId, keeping the state's input as its output."""
    return DynamoDBUpdateItem(
        name,
        parameters={
            "TableName": "${OrdersTableName}",
            "Key": {"orderId": {"S.$": "$.orderId"}},
            "UpdateExpression": update,
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {"#s": "status", **(names or {})},
            "ExpressionAttributeValues": values,
        },
        result_path=None,
        retry=[_backoff(DYNAMODB_TRANSIENT, policy, max_attempts=policy.store_attempts)],
        **_timeout(policy),
    )


def _history_entry(status: OrderStatus) -> dict[str, Any]:
    return {"L": [{"M": {"status": {"S": status.value}, "at": {"S.$": "$$.State.EnteredTime"}}}]}


# Who and what an order is, as the API started its execution: what CreateOrder writes and the failure route records.
_ORDER_IDENTITY = {
    "orderId.$": "$.orderId",
    "owner.$": "$.owner",
    "idempotencyKey.$": "$.idempotencyKey",
    "requestHash.$": "$.requestHash",
    "correlationId.$": "$.correlationId",
    "submittedAt.$": "$.submittedAt",
}


def _failure_document(state: str) -> dict[str, Any]:
    """What the failure route works with: the order's identity and the failure, but not the order itself. Its email
    and address stay out of every later state's input, so no failure path logs them (Express logs ERROR with data:
    FailStateEntered carries its input)."""
    return {
        **_ORDER_IDENTITY,
        "total.$": "$.total",
        "currency.$": "$.order.currency",
        "failure": {"state": state, "error.$": "$.caught"},
    }


def order_workflow(workflow_type: str = "STANDARD") -> Chain:
    """The whole state machine as a DSL chain, with the workflow type's retry policy."""
    policy = POLICIES[workflow_type]
    validate = _lambda(
        "ValidateOrder",
        payload={"orderId.$": "$.orderId", "correlationId.$": "$.correlationId", "order.$": "$.order"},
        result_selector={"total.$": "$.Payload.total"},
        result_path="$.validation",
        policy=policy,
    )
    create = _lambda(
        "CreateOrder",
        payload={
            **_ORDER_IDENTITY,
            "executionArn.$": "$$.Execution.Id",
            "order.$": "$.order",
        },
        result_selector={"orderId.$": "$.Payload.orderId", "created.$": "$.Payload.created"},
        result_path="$.created",
        policy=policy,
    )
    # Step Functions may run an order twice (Express is at-least-once; a duplicate start): only the execution
    # that wrote the order carries it on. The others end here, through CreateOrder's Catch.
    handled_elsewhere = Succeed(
        "HandledElsewhere", comment="Another execution wrote this order and carries it on; nothing to do here."
    )
    create.add_catch(
        Catch(error_equals=[errors.OrderHandledElsewhere.__name__], next_step=handled_elsewhere, result_path=None)
    )
    enqueue = SqsSendMessage(
        "EnqueueOrder",
        parameters={
            "QueueUrl": "${OrderQueueUrl}",
            "MessageBody": {"orderId.$": "$.orderId", "correlationId.$": "$.correlationId"},
            "MessageAttributes": {"correlationId": {"DataType": "String", "StringValue.$": "$.correlationId"}},
        },
        result_selector={"messageId.$": "$.MessageId"},
        result_path="$.enqueued",
        retry=[_backoff(SQS_TRANSIENT, policy, max_attempts=policy.store_attempts)],
        **_timeout(policy),
    )
    notify = _lambda(
        "NotifyOrder",
        payload={"orderId.$": "$.orderId", "correlationId.$": "$.correlationId", "order.$": "$.order"},
        result_selector={"messageId.$": "$.Payload.messageId"},
        result_path="$.notified",
        policy=policy,
    )

    # The failure route. RecordFailure upserts: validation can fail before CreateOrder wrote anything.
    record_failure = _update_order(
        "RecordFailure",
        update=(
            "SET #s = :failed, updatedAt = :now, failure = :failure, "
            "correlationId = if_not_exists(correlationId, :cid), "
            "executionArn = if_not_exists(executionArn, :arn), "
            # What a rerun needs, also when the order failed before CreateOrder wrote it.
            "idempotencyKey = if_not_exists(idempotencyKey, :key), requestHash = if_not_exists(requestHash, :hash), "
            # Who may read it, also when it failed before CreateOrder wrote it.
            "#owner = if_not_exists(#owner, :owner), "
            "history = list_append(if_not_exists(history, :pending), :entry)"
        ),
        # Only an order the worker has not fulfilled may be marked FAILED, and only by the execution that owns it
        # (another execution of the same order must not fail it), or one being redriven (before its new execution
        # took it over).
        condition="attribute_not_exists(orderId) OR #s = :redriving OR (#s = :created AND executionArn = :arn)",
        values={
            ":failed": {"S": OrderStatus.FAILED.value},
            ":created": {"S": OrderStatus.CREATED.value},
            ":redriving": {"S": OrderStatus.REDRIVING.value},
            ":key": {"S.$": "$.idempotencyKey"},
            ":owner": {"S.$": "$.owner"},
            ":hash": {"S.$": "$.requestHash"},
            ":now": {"S.$": "$$.State.EnteredTime"},
            ":cid": {"S.$": "$.correlationId"},
            ":arn": {"S.$": "$$.Execution.Id"},
            ":failure": {
                "M": {
                    "state": {"S.$": "$.failure.state"},
                    "error": {"S.$": "$.failure.error.Error"},
                    "cause": {"S.$": "$.failure.error.Cause"},
                }
            },
            ":pending": {"L": [{"M": {"status": {"S": OrderStatus.PENDING.value}, "at": {"S.$": "$.submittedAt"}}}]},
            ":entry": _history_entry(OrderStatus.FAILED),
        },
        policy=policy,
        # OWNER is one of DynamoDB's reserved words.
        names={"#owner": "owner"},
    )
    publish_failure = SnsPublish(
        "PublishFailure",
        parameters={
            "TopicArn": "${AlertTopicArn}",
            "Message": {
                "type": "ORDER_FAILED",
                "orderId.$": "$.orderId",
                "failedState.$": "$.failure.state",
                "error.$": "$.failure.error.Error",
                "cause.$": "$.failure.error.Cause",
                "executionArn.$": "$$.Execution.Id",
                "correlationId.$": "$.correlationId",
                "total.$": "$.total",
                "currency.$": "$.currency",
                "at.$": "$$.State.EnteredTime",
            },
            "MessageAttributes": {
                "failedState": {"DataType": "String", "StringValue.$": "$.failure.state"},
                "correlationId": {"DataType": "String", "StringValue.$": "$.correlationId"},
            },
        },
        result_path=None,
        retry=[_backoff(SNS_TRANSIENT, policy, max_attempts=policy.publish_attempts)],
        **_timeout(policy),
    )
    order_failed = Fail("OrderFailed", error="OrderFailed", cause="The order failed; an alert was published.")

    # Its condition failing means the order is another execution's (a duplicate start wrote or failed it first, or it
    # is fulfilled): that one alerts if it fails, so this one ends without an alert. Whatever else RecordFailure
    # does, the alert still goes out.
    record_failure.add_catch(
        Catch(error_equals=["DynamoDB.ConditionalCheckFailedException"], next_step=handled_elsewhere, result_path=None)
    )
    record_failure.add_catch(Catch(error_equals=["States.ALL"], next_step=publish_failure, result_path="$.recordError"))
    Chain([record_failure, publish_failure, order_failed])

    for step, route in (
        (validate, record_failure),
        (create, record_failure),
        (enqueue, record_failure),
        # The order is already with the worker: alert, but do not mark it FAILED.
        (notify, publish_failure),
    ):
        caught = Pass(f"{step.state_id}Failed", parameters=_failure_document(step.state_id))
        caught.next(route)
        step.add_catch(Catch(error_equals=["States.ALL"], next_step=caught, result_path="$.caught"))

    return Chain([validate, create, enqueue, notify])
