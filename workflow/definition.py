"""The order workflow, written with the `stepfunctions` DSL. A pure function: building it does no I/O.

    ValidateOrder -> CreateOrder -> EnqueueOrder -> NotifyOrder              (4 billed transitions)
    CreateOrder finds the order another execution wrote (Catch OrderHandledElsewhere) -> HandledElsewhere
    any of them fails (Catch, whose Output is the failure document) -> RecordFailure -> PublishFailure -> OrderFailed
    RecordFailure finds the order another execution's (its condition fails) -> HandledElsewhere
    (NotifyOrder's Catch skips RecordFailure: the order is already with the worker.)

It is written in JSONata (what ships) and compiles to JSONPath as well (`query_language`): the requests are written
once, with `Input`/`Context` references that become `{% $states.input.x %}` or `"x.$": "$.x"`. Every state sees the
execution's input (a task's output is its input: no later state reads a result), so a Catch builds the failure
document from it and `$states.errorOutput`; JSONPath needs a `<Step>Failed` Pass state for that, a transition more
on every failure path.

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

import json
from dataclasses import dataclass
from typing import Any

from stepfunctions.steps import Chain

from handlers.domain import errors
from handlers.domain.order import OrderStatus
from workflow.dsl import (
    Catch,
    DynamoDBUpdateItem,
    Fail,
    LambdaInvoke,
    Pass,
    Retry,
    SnsPublish,
    SqsSendMessage,
    Succeed,
    Task,
)
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


@dataclass(frozen=True)
class Input:
    """A value the state reads from its input, by dotted path: JSONata's `$states.input.<path>`, JSONPath's
    `$.<path>` (the key then ends in `.$`). The definition is written once and compiled to either language."""

    path: str


@dataclass(frozen=True)
class Text:
    """A string read on the failure route, where nothing may be missing: a field that is absent reads as "" and any
    other value as its string (a JSON Cause stays its text), cut to `limit` characters with a marker. On AWS an
    expression that evaluates to nothing raises States.QueryEvaluationError, and an error output may lack its Cause
    (a timeout, a runtime error, some service errors): on the failure route that would end the execution with no
    alert. `source` is the state's `input` or, in a Catch's Output, the caught `errorOutput`.

    JSONPath cannot default a missing field: there it is the plain `$.path` (the JSONPath edition's failure route
    fails on a missing field, where AlertNotPublished's alarm is what is left)."""

    path: str
    limit: int | None = None
    source: str = "input"
    # What a missing field reads as: "" where an empty string is accepted, a word where it is not (SNS refuses an
    # empty message attribute).
    default: str = ""

    def expression(self) -> str:
        """The JSONata expression, without its `{% %}`."""
        value = f"$states.{self.source}.{self.path}"
        text = f"$string({value})"
        if self.limit is not None:
            text = (
                f"($length({text}) > {self.limit} ? $substring({text}, 0, {self.limit}) & "
                f'"{CUT_MARKER}" & $string($length({text})) & " characters]" : {text})'
            )
        present = f"$exists({value})" if not self.default else f'($exists({value}) and {text} != "")'
        return f"{present} ? {text} : {json.dumps(self.default)}"


# A Cause is cut to this many characters on the failure route: 64 KB at most in UTF-8, far inside what an SNS message
# (256 KiB) and a DynamoDB item (400 KB) hold beside the rest of the failure document.
CAUSE_LIMIT = 16_000
CUT_MARKER = "… [cut, of "


@dataclass(frozen=True)
class Context:
    """A value from the context object: JSONata's `$states.context.<path>`, JSONPath's `$$.<path>`."""

    path: str


_EXECUTION_ARN = Context("Execution.Id")
# The failure route's last state when the alert could not be published (an alarm watches for it by this name).
ALERT_NOT_PUBLISHED = "AlertNotPublished"
_ENTERED_AT = Context("State.EnteredTime")
JSONATA, JSONPATH = "JSONata", "JSONPath"
QUERY_LANGUAGES = (JSONATA, JSONPATH)


def _written(value: Any, language: str) -> Any:
    """A template in the query language: every Input and Context in it becomes a `{% %}` (JSONata) or a `.$` key
    (JSONPath); everything else is a literal."""
    if isinstance(value, dict):
        written: dict[str, Any] = {}
        for key, item in value.items():
            if isinstance(item, Input | Text | Context) and language == JSONPATH:
                if isinstance(item, Text) and item.source != "input":
                    raise ValueError(f"JSONPath reads only the state's input, not {item}")
                written[f"{key}.$"] = f"$$.{item.path}" if isinstance(item, Context) else f"$.{item.path}"
            else:
                written[key] = _written(item, language)
        return written
    if isinstance(value, list):
        return [_written(item, language) for item in value]
    if isinstance(value, Input | Text | Context) and language == JSONPATH:
        raise ValueError(f"JSONPath reads {value} only as an object's field (a `.$` key), not inside an array")
    if isinstance(value, Text):
        return f"{{% {value.expression()} %}}"
    if isinstance(value, Input):
        return f"{{% $states.input.{value.path} %}}"
    if isinstance(value, Context):
        return f"{{% $states.context.{value.path} %}}"
    return value


def _request(request: dict[str, Any], language: str) -> dict[str, Any]:
    """A Task's request, and its output: the state's own input, unchanged. No later state reads a task's result
    (it is in the history's TaskSucceeded event), so none is carried on: every state sees the execution's input."""
    if language == JSONATA:
        return {"arguments": _written(request, language), "output": "{% $states.input %}"}
    return {"parameters": _written(request, language), "result_path": None}


def _lambda(name: str, payload: dict[str, Any], policy: RetryPolicy, language: str) -> LambdaInvoke:
    return LambdaInvoke(
        name,
        **_request({"FunctionName": f"${{{name}FunctionArn}}", "Payload": payload}, language),
        timeout_seconds=policy.lambda_timeout or MANIFEST.function(name).timeout,
        retry=_lambda_retries(policy),
    )


def _update_order(
    name: str,
    update: str,
    condition: str,
    values: dict[str, Any],
    policy: RetryPolicy,
    language: str,
    names: dict[str, str] | None = None,
) -> DynamoDBUpdateItem:
    """A native DynamoDB UpdateItem on the order named by the input's orderId, keeping the state's input as its
    output."""
    request = {
        "TableName": "${OrdersTableName}",
        "Key": {"orderId": {"S": Text("orderId")}},
        "UpdateExpression": update,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": {"#s": "status", **(names or {})},
        "ExpressionAttributeValues": values,
    }
    return DynamoDBUpdateItem(
        name,
        **_request(request, language),
        retry=[_backoff(DYNAMODB_TRANSIENT, policy, max_attempts=policy.store_attempts)],
        **_timeout(policy),
    )


def _history_entry(status: OrderStatus) -> dict[str, Any]:
    return {"L": [{"M": {"status": {"S": status.value}, "at": {"S": _ENTERED_AT}}}]}


# Who and what an order is, as the API started its execution: what CreateOrder writes and the failure route records.
_ORDER_IDENTITY = {
    key: Input(key) for key in ("orderId", "owner", "idempotencyKey", "requestHash", "correlationId", "submittedAt")
}


_IDENTITY_KEYS = ("orderId", "owner", "idempotencyKey", "requestHash", "correlationId", "submittedAt")
_ORDER_IDENTITY = {key: Input(key) for key in _IDENTITY_KEYS}


def _failure_document(state: str, error: Any) -> dict[str, Any]:
    """What the failure route works with: the order's identity and the failure (`error`: the caught error output),
    but not the order itself. Its email and address stay out of every later state's input, so no failure path logs
    them (Express logs ERROR with data: FailStateEntered carries its input). Every field is a Text: the route runs on
    whatever input and error output reached it."""
    return {
        **{key: Text(key) for key in _IDENTITY_KEYS},
        "total": Text("total"),
        "currency": Text("order.currency"),
        "failure": {"state": state, "error": error},
    }


# The caught error output as the failure document keeps it: both fields always there, the Cause cut.
_CAUGHT_ERROR = {
    "Error": Text("Error", source="errorOutput"),
    "Cause": Text("Cause", limit=CAUSE_LIMIT, source="errorOutput"),
}


def _caught(step: Task, route: Task, language: str) -> None:
    """`step` fails (any error): the failure route goes on from `route` with the failure document. JSONata's Catch
    writes it itself (its Output, from `$states.errorOutput`); JSONPath's needs a Pass state for it (<Step>Failed),
    one more billed transition."""
    name = step.state_id
    if language == JSONATA:
        document = _written(_failure_document(name, _CAUGHT_ERROR), language)
        step.add_catch(Catch(error_equals=["States.ALL"], next_step=route, output=document))
        return
    caught = Pass(f"{name}Failed", parameters=_written(_failure_document(name, Input("caught")), language))
    caught.next(route)
    step.add_catch(Catch(error_equals=["States.ALL"], next_step=caught, result_path="$.caught"))


def _alert_not_published(language: str) -> Fail:
    """Where the failure route ends when the alert itself could not be published after its retries: a failure of its
    own name, naming the order, which an alarm of its own watches (infra: AlertNotPublished), since no order alert
    will tell anyone."""
    if language != JSONATA:
        return Fail(
            ALERT_NOT_PUBLISHED, error=ALERT_NOT_PUBLISHED, cause="An order failed and its alert was not published."
        )
    order, step = Text("orderId").expression(), Text("failure.state").expression()
    reason = Text("alertError.Error").expression()
    cause = f'{{% "order " & ({order}) & " failed at " & ({step}) & "; its alert was not published: " & ({reason}) %}}'
    return Fail(ALERT_NOT_PUBLISHED, error=ALERT_NOT_PUBLISHED, cause=cause)


def order_workflow(workflow_type: str = "STANDARD", query_language: str = JSONATA) -> Chain:
    """The whole state machine as a DSL chain, with the workflow type's retry policy, in either query language
    (compile it with the same `query_language`: workflow.asl.compile_order_workflow)."""
    if query_language not in QUERY_LANGUAGES:
        raise ValueError(f"the query language is one of {', '.join(QUERY_LANGUAGES)}, not {query_language!r}")
    policy, language = POLICIES[workflow_type], query_language
    order = {"orderId": Input("orderId"), "correlationId": Input("correlationId"), "order": Input("order")}
    validate = _lambda("ValidateOrder", payload=order, policy=policy, language=language)
    create = _lambda(
        "CreateOrder",
        payload={**_ORDER_IDENTITY, "executionArn": _EXECUTION_ARN, "order": Input("order")},
        policy=policy,
        language=language,
    )
    # Step Functions may run an order twice (Express is at-least-once; a duplicate start): only the execution
    # that wrote the order carries it on. The others end here, through CreateOrder's Catch.
    handled_elsewhere = Succeed(
        "HandledElsewhere", comment="Another execution wrote this order and carries it on; nothing to do here."
    )
    elsewhere = {} if language == JSONATA else {"result_path": None}
    create.add_catch(
        Catch(error_equals=[errors.OrderHandledElsewhere.__name__], next_step=handled_elsewhere, **elsewhere)
    )
    enqueue = SqsSendMessage(
        "EnqueueOrder",
        **_request(
            {
                "QueueUrl": "${OrderQueueUrl}",
                "MessageBody": {"orderId": Input("orderId"), "correlationId": Input("correlationId")},
                "MessageAttributes": {"correlationId": {"DataType": "String", "StringValue": Input("correlationId")}},
            },
            language,
        ),
        retry=[_backoff(SQS_TRANSIENT, policy, max_attempts=policy.store_attempts)],
        **_timeout(policy),
    )
    notify = _lambda("NotifyOrder", payload=order, policy=policy, language=language)

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
            "history = list_append(if_not_exists(history, :pending), :entry) "
            # A FAILED order leaves the open-orders index (FindStuckOrders looks there).
            "REMOVE openShard, openSince"
        ),
        # Only an order the worker has not fulfilled may be marked FAILED, and only by the execution that owns it
        # (another execution of the same order must not fail it), or one being redriven (before its new execution
        # took it over).
        condition="attribute_not_exists(orderId) OR #s = :redriving OR (#s = :created AND executionArn = :arn)",
        values={
            ":failed": {"S": OrderStatus.FAILED.value},
            ":created": {"S": OrderStatus.CREATED.value},
            ":redriving": {"S": OrderStatus.REDRIVING.value},
            ":key": {"S": Text("idempotencyKey")},
            ":owner": {"S": Text("owner")},
            ":hash": {"S": Text("requestHash")},
            ":now": {"S": _ENTERED_AT},
            ":cid": {"S": Text("correlationId")},
            ":arn": {"S": _EXECUTION_ARN},
            ":failure": {
                "M": {
                    "state": {"S": Text("failure.state")},
                    "error": {"S": Text("failure.error.Error")},
                    "cause": {"S": Text("failure.error.Cause")},
                }
            },
            ":pending": {"L": [{"M": {"status": {"S": OrderStatus.PENDING.value}, "at": {"S": Text("submittedAt")}}}]},
            ":entry": _history_entry(OrderStatus.FAILED),
        },
        policy=policy,
        language=language,
        # OWNER is one of DynamoDB's reserved words.
        names={"#owner": "owner"},
    )
    publish_failure = SnsPublish(
        "PublishFailure",
        **_request(
            {
                "TopicArn": "${AlertTopicArn}",
                "Message": {
                    "type": "ORDER_FAILED",
                    "orderId": Text("orderId"),
                    "failedState": Text("failure.state"),
                    "error": Text("failure.error.Error"),
                    "cause": Text("failure.error.Cause"),
                    "executionArn": _EXECUTION_ARN,
                    "correlationId": Text("correlationId"),
                    "total": Text("total"),
                    "currency": Text("currency"),
                    "at": _ENTERED_AT,
                },
                "MessageAttributes": {
                    "failedState": {"DataType": "String", "StringValue": Text("failure.state", default="unknown")},
                    "correlationId": {"DataType": "String", "StringValue": Text("correlationId", default="unknown")},
                },
            },
            language,
        ),
        retry=[_backoff(SNS_TRANSIENT, policy, max_attempts=policy.publish_attempts)],
        **_timeout(policy),
    )
    order_failed = Fail("OrderFailed", error="OrderFailed", cause="The order failed; an alert was published.")

    # Its condition failing means the order is another execution's (a duplicate start wrote or failed it first, or it
    # is fulfilled): that one alerts if it fails, so this one ends without an alert. Whatever else RecordFailure
    # does, the alert still goes out, with the failure document and what RecordFailure met.
    record_failure.add_catch(
        Catch(error_equals=["DynamoDB.ConditionalCheckFailedException"], next_step=handled_elsewhere, **elsewhere)
    )
    record_error = (
        {"output": '{% $merge([$states.input, {"recordError": $states.errorOutput}]) %}'}
        if language == JSONATA
        else {"result_path": "$.recordError"}
    )
    record_failure.add_catch(Catch(error_equals=["States.ALL"], next_step=publish_failure, **record_error))
    # The alert could not be published after its retries: the execution ends in a failure of its own, not silently.
    alert_error = (
        {"output": '{% $merge([$states.input, {"alertError": $states.errorOutput}]) %}'}
        if language == JSONATA
        else {"result_path": "$.alertError"}
    )
    publish_failure.add_catch(
        Catch(error_equals=["States.ALL"], next_step=_alert_not_published(language), **alert_error)
    )
    Chain([record_failure, publish_failure, order_failed])

    for step, route in (
        (validate, record_failure),
        (create, record_failure),
        (enqueue, record_failure),
        # The order is already with the worker: alert, but do not mark it FAILED.
        (notify, publish_failure),
    ):
        _caught(step, route, language)

    return Chain([validate, create, enqueue, notify])
