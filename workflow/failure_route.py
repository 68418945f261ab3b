"""The order workflow's failure route (workflow.definition composes it with the happy path):

    any step fails (Catch, whose Output is the failure document) -> RecordFailure -> PublishFailure -> OrderFailed
    RecordFailure finds the order another execution's (its condition fails) -> HandledElsewhere
    PublishFailure cannot publish after its retries -> AlertNotPublished

JSONata's Catch builds the failure document from the state's input and `$states.errorOutput`; JSONPath needs a
`<Step>Failed` Pass state for that, a transition more on every failure path. Every field the route reads is a
`Text` (workflow.query_language): it runs on whatever input and error output reached it.
"""

from __future__ import annotations

from typing import Any

from stepfunctions.steps import Chain

from handlers.domain import listing
from handlers.domain.order import OrderStatus
from workflow.dsl import Catch, DynamoDBUpdateItem, Fail, Pass, SnsPublish, Succeed, Task
from workflow.query_language import ENTERED_AT, EXECUTION_ARN, JSONATA, Computed, Input, Text, request, written
from workflow.retries import DYNAMODB_TRANSIENT, SNS_TRANSIENT, RetryPolicy, backoff, service_timeout

# The failure route's last state when the alert could not be published (an alarm watches for it by this name).
ALERT_NOT_PUBLISHED = "AlertNotPublished"
# A Cause is cut to this many characters on the failure route: 64 KB at most in UTF-8, far inside what an SNS message
# (256 KiB) and a DynamoDB item (400 KB) hold beside the rest of the failure document.
CAUSE_LIMIT = 16_000
# Who and what an order is, as the API started its execution: what CreateOrder writes and the failure route records.
IDENTITY_KEYS = ("orderId", "owner", "idempotencyKey", "requestHash", "correlationId", "submittedAt")


_ORDER_ID = f"({Text('orderId').expression()})"
_ACCEPTED_AT = (
    '($exists($states.input.submittedAt) and $type($states.input.submittedAt) = "string" and '
    '$states.input.submittedAt != "" ? $substring($states.input.submittedAt, 0, 40) : '
    "$states.context.Execution.StartTime)"
)
# An index key holds at most 1,024 bytes: the key's id is cut (no order id the API makes comes near; a hand-started
# execution's might) so that RecordFailure's write cannot fail on it. 180 characters are 720 bytes at most in UTF-8.
LIST_KEY_ID_LIMIT = 180
# The order's keys in the orders-by-time index (handlers.domain.listing), which RecordFailure writes when it writes
# the order first (it failed before CreateOrder): in JSONata the shard is listing.list_shard's, computed the same way;
# JSONPath has no substring, so its edition puts such an order in a random shard (the list reads every shard). A key
# is never empty (DynamoDB refuses an empty index key): without a submission time (or one that is no string, or null),
# the execution's start is used.
LIST_SHARD = Computed(
    jsonata=(
        f'"{listing.SHARD_PREFIX}" & $string($length($substringBefore("{listing.ID_ALPHABET}", '
        f"$substring({_ORDER_ID}, -1))) % {listing.LIST_SHARDS})"
    ),
    jsonpath=f"States.Format('{listing.SHARD_PREFIX}{{}}', States.MathRandom(0, {listing.LIST_SHARDS - 1}))",
)
LIST_KEY = Computed(
    jsonata=f'{_ACCEPTED_AT} & "{listing.SEPARATOR}" & $substring({_ORDER_ID}, 0, {LIST_KEY_ID_LIMIT})',
    jsonpath=f"States.Format('{{}}{listing.SEPARATOR}{{}}', $.submittedAt, $.orderId)",
)


def _failure_document(state: str, error: Any) -> dict[str, Any]:
    """What the failure route works with: the order's identity and the failure (`error`: the caught error output),
    but not the order itself. Its email and address stay out of every later state's input, so no failure path logs
    them (Express logs ERROR with data: FailStateEntered carries its input). Every field is a Text: the route runs on
    whatever input and error output reached it."""
    return {
        **{key: Text(key) for key in IDENTITY_KEYS},
        "total": Text("total"),
        "currency": Text("order.currency"),
        "failure": {"state": state, "error": error},
    }


# The caught error output as the failure document keeps it: both fields always there, the Cause cut.
_CAUGHT_ERROR = {
    "Error": Text("Error", source="errorOutput"),
    "Cause": Text("Cause", limit=CAUSE_LIMIT, source="errorOutput"),
}


def caught(step: Task, route: Task, language: str) -> None:
    """`step` fails (any error): the failure route goes on from `route` with the failure document. JSONata's Catch
    writes it itself (its Output, from `$states.errorOutput`); JSONPath's needs a Pass state for it (<Step>Failed),
    one more billed transition."""
    name = step.state_id
    if language == JSONATA:
        document = written(_failure_document(name, _CAUGHT_ERROR), language)
        step.add_catch(Catch(error_equals=["States.ALL"], next_step=route, output=document))
        return
    failed = Pass(f"{name}Failed", parameters=written(_failure_document(name, Input("caught")), language))
    failed.next(route)
    step.add_catch(Catch(error_equals=["States.ALL"], next_step=failed, result_path="$.caught"))


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
    fields = {
        "TableName": "${OrdersTableName}",
        "Key": {"orderId": {"S": Text("orderId")}},
        "UpdateExpression": update,
        "ConditionExpression": condition,
        "ExpressionAttributeNames": {"#s": "status", **(names or {})},
        "ExpressionAttributeValues": values,
    }
    return DynamoDBUpdateItem(
        name,
        **request(fields, language),
        retry=[backoff(DYNAMODB_TRANSIENT, policy, max_attempts=policy.store_attempts)],
        **service_timeout(policy),
    )


def _history_entry(status: OrderStatus) -> dict[str, Any]:
    return {"L": [{"M": {"status": {"S": status.value}, "at": {"S": ENTERED_AT}}}]}


def record_failure(policy: RetryPolicy, language: str) -> DynamoDBUpdateItem:
    """RecordFailure: the order marked FAILED with its failure. It upserts: validation can fail before CreateOrder
    wrote anything."""
    return _update_order(
        "RecordFailure",
        update=(
            "SET #s = :failed, updatedAt = :now, failure = :failure, "
            "correlationId = if_not_exists(correlationId, :cid), "
            "executionArn = if_not_exists(executionArn, :arn), "
            # What a rerun needs, also when the order failed before CreateOrder wrote it.
            "idempotencyKey = if_not_exists(idempotencyKey, :key), requestHash = if_not_exists(requestHash, :hash), "
            # Who may read it, also when it failed before CreateOrder wrote it.
            "#owner = if_not_exists(#owner, :owner), "
            "history = list_append(if_not_exists(history, :pending), :entry), "
            # Listed by when it was accepted, also when it failed before CreateOrder wrote it.
            f"{listing.LIST_SHARD} = if_not_exists({listing.LIST_SHARD}, :shard), "
            f"{listing.LIST_KEY} = if_not_exists({listing.LIST_KEY}, :listed) "
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
            ":now": {"S": ENTERED_AT},
            ":cid": {"S": Text("correlationId")},
            ":arn": {"S": EXECUTION_ARN},
            ":failure": {
                "M": {
                    "state": {"S": Text("failure.state")},
                    "error": {"S": Text("failure.error.Error")},
                    "cause": {"S": Text("failure.error.Cause")},
                }
            },
            ":pending": {"L": [{"M": {"status": {"S": OrderStatus.PENDING.value}, "at": {"S": Text("submittedAt")}}}]},
            ":entry": _history_entry(OrderStatus.FAILED),
            ":shard": {"S": LIST_SHARD},
            ":listed": {"S": LIST_KEY},
        },
        policy=policy,
        language=language,
        # OWNER is one of DynamoDB's reserved words.
        names={"#owner": "owner"},
    )


def publish_failure(policy: RetryPolicy, language: str) -> SnsPublish:
    """PublishFailure: the ORDER_FAILED alert on the alert topic (the AlertHandler sends it to its targets)."""
    return SnsPublish(
        "PublishFailure",
        **request(
            {
                "TopicArn": "${AlertTopicArn}",
                "Message": {
                    "type": "ORDER_FAILED",
                    "orderId": Text("orderId"),
                    "failedState": Text("failure.state"),
                    "error": Text("failure.error.Error"),
                    "cause": Text("failure.error.Cause"),
                    "executionArn": EXECUTION_ARN,
                    "correlationId": Text("correlationId"),
                    "total": Text("total"),
                    "currency": Text("currency"),
                    "at": ENTERED_AT,
                },
                "MessageAttributes": {
                    "failedState": {"DataType": "String", "StringValue": Text("failure.state", default="unknown")},
                    "correlationId": {"DataType": "String", "StringValue": Text("correlationId", default="unknown")},
                },
            },
            language,
        ),
        retry=[backoff(SNS_TRANSIENT, policy, max_attempts=policy.publish_attempts)],
        **service_timeout(policy),
    )


def failure_route(
    policy: RetryPolicy, language: str, handled_elsewhere: Succeed
) -> tuple[DynamoDBUpdateItem, SnsPublish]:
    """RecordFailure -> PublishFailure -> OrderFailed with their Catches; returns the two states a step's failure
    goes on from (`caught`): RecordFailure, and PublishFailure for a step after which the order is the worker's."""
    record, publish = record_failure(policy, language), publish_failure(policy, language)
    order_failed = Fail("OrderFailed", error="OrderFailed", cause="The order failed; an alert was published.")
    elsewhere = {} if language == JSONATA else {"result_path": None}

    # Its condition failing means the order is another execution's (a duplicate start wrote or failed it first, or it
    # is fulfilled): that one alerts if it fails, so this one ends without an alert. Whatever else RecordFailure
    # does, the alert still goes out, with the failure document and what RecordFailure met.
    record.add_catch(
        Catch(error_equals=["DynamoDB.ConditionalCheckFailedException"], next_step=handled_elsewhere, **elsewhere)
    )
    record_error = (
        {"output": '{% $merge([$states.input, {"recordError": $states.errorOutput}]) %}'}
        if language == JSONATA
        else {"result_path": "$.recordError"}
    )
    record.add_catch(Catch(error_equals=["States.ALL"], next_step=publish, **record_error))
    # The alert could not be published after its retries: the execution ends in a failure of its own, not silently.
    alert_error = (
        {"output": '{% $merge([$states.input, {"alertError": $states.errorOutput}]) %}'}
        if language == JSONATA
        else {"result_path": "$.alertError"}
    )
    publish.add_catch(Catch(error_equals=["States.ALL"], next_step=_alert_not_published(language), **alert_error))
    Chain([record, publish, order_failed])
    return record, publish
