"""The order workflow, written with the `stepfunctions` DSL. A pure function: building it does no I/O.

    ValidateOrder -> CreateOrder -> EnqueueOrder -> NotifyOrder              (4 billed transitions)
    CreateOrder finds the order another execution wrote (Catch OrderHandledElsewhere) -> HandledElsewhere
    any of them fails (Catch, whose Output is the failure document) -> RecordFailure -> PublishFailure -> OrderFailed
    RecordFailure finds the order another execution's (its condition fails) -> HandledElsewhere
    (NotifyOrder's Catch skips RecordFailure: the order is already with the worker.)

This module composes the happy path with its parts:
- workflow.retries: the retry policies (`POLICIES`, one per workflow type) and the error names they retry;
- workflow.failure_route: the failure route's states and the Catch that leads each step into it;
- workflow.query_language: the requests, written once in either query language.

It is written in JSONata (what ships) and compiles to JSONPath as well (`query_language`): the requests are written
once, with `Input`/`Context` references that become `{% $states.input.x %}` or `"x.$": "$.x"`. Every state sees the
execution's input (a task's output is its input: no later state reads a result), so a Catch builds the failure
document from it and `$states.errorOutput`; JSONPath needs a `<Step>Failed` Pass state for that, a transition more
on every failure path.

Every state on the happy path does work: the path ends on its last task, the ownership check is CreateOrder's Catch
rather than a Choice, and QUEUED is recorded by the worker (at the message's SentTimestamp) rather than by a state.
A Standard execution is billed per state transition, so each state left out is a quarter of the workflow's bill.

Retries (with backoff and full jitter) and error routing live in the workflow, not in the Lambdas. Our errors are
named in Retry and Catch by their domain exception class names from `handlers.domain.errors` (the Lambda runtime
reports them as `errorType`).
"""

from __future__ import annotations

from typing import Any

from stepfunctions.steps import Chain

from handlers.domain import errors
from workflow.dsl import Catch, LambdaInvoke, SqsSendMessage, Succeed
from workflow.failure_route import IDENTITY_KEYS, caught, failure_route
from workflow.manifest import MANIFEST
from workflow.query_language import EXECUTION_ARN, JSONATA, JSONPATH, QUERY_LANGUAGES, Input, request
from workflow.retries import POLICIES, SQS_TRANSIENT, RetryPolicy, backoff, lambda_retries, service_timeout

# The query languages `order_workflow` takes are importable from here, where its callers look for them.
__all__ = ["JSONATA", "JSONPATH", "QUERY_LANGUAGES", "order_workflow"]

_ORDER_IDENTITY = {key: Input(key) for key in IDENTITY_KEYS}


def _lambda(name: str, payload: dict[str, Any], policy: RetryPolicy, language: str) -> LambdaInvoke:
    return LambdaInvoke(
        name,
        **request({"FunctionName": f"${{{name}FunctionArn}}", "Payload": payload}, language),
        timeout_seconds=policy.lambda_timeout or MANIFEST.function(name).timeout,
        retry=lambda_retries(policy),
    )


def _enqueue(policy: RetryPolicy, language: str) -> SqsSendMessage:
    """EnqueueOrder: the order handed to the worker through the order queue."""
    return SqsSendMessage(
        "EnqueueOrder",
        **request(
            {
                "QueueUrl": "${OrderQueueUrl}",
                "MessageBody": {"orderId": Input("orderId"), "correlationId": Input("correlationId")},
                "MessageAttributes": {"correlationId": {"DataType": "String", "StringValue": Input("correlationId")}},
            },
            language,
        ),
        retry=[backoff(SQS_TRANSIENT, policy, max_attempts=policy.store_attempts)],
        **service_timeout(policy),
    )


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
        payload={**_ORDER_IDENTITY, "executionArn": EXECUTION_ARN, "order": Input("order")},
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
    enqueue = _enqueue(policy, language)
    notify = _lambda("NotifyOrder", payload=order, policy=policy, language=language)

    record_failure, publish_failure = failure_route(policy, language, handled_elsewhere)
    for step, route in (
        (validate, record_failure),
        (create, record_failure),
        (enqueue, record_failure),
        # The order is already with the worker: alert, but do not mark it FAILED.
        (notify, publish_failure),
    ):
        caught(step, route, language)

    return Chain([validate, create, enqueue, notify])
