"""The workflow's retry policies and the error names they retry (workflow.definition and workflow.failure_route use
them on every Task).

Retries (with backoff and full jitter) and error routing live in the workflow, not in the Lambdas. Error names in
Retry are the domain exception class names from `handlers.domain.errors` (the Lambda runtime reports them as
`errorType`), and the names AWS documents for each service integration's errors.

Each workflow type has its retry policy (`POLICIES`). An Express execution ends after five minutes, and one cut off
there never reaches RecordFailure and PublishFailure (no FAILED status, no alert): its every Task has a timeout and
fewer, shorter retries, so the worst path fits (workflow.asl.check_budget refuses an Express compile that does not).
"""

from __future__ import annotations

from dataclasses import dataclass

from handlers.domain import errors
from workflow.dsl import Retry

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
    # Worst path: `orderflow asl --workflow-type EXPRESS --budget` (workflow.asl.budget; the compiler refuses > 300 s).
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


def backoff(error_equals: list[str], policy: RetryPolicy, *, max_attempts: int) -> Retry:
    """A Retry of `error_equals` with exponential backoff and full jitter, capped at the policy's max delay."""
    return Retry(
        error_equals=error_equals,
        interval_seconds=1,
        backoff_rate=2.0,
        max_attempts=max_attempts,
        max_delay_seconds=policy.max_delay,
        jitter_strategy="FULL",
    )


def lambda_retries(policy: RetryPolicy) -> list[Retry]:
    """A Lambda Task's retries: the Lambda service's own errors, then our transient ones."""
    return [
        backoff(LAMBDA_SERVICE_ERRORS, policy, max_attempts=policy.lambda_service_attempts),
        backoff(TRANSIENT_ERRORS, policy, max_attempts=policy.transient_attempts),
    ]


def service_timeout(policy: RetryPolicy) -> dict[str, int]:
    """A native integration Task's TimeoutSeconds keyword, when the policy sets one."""
    return {"timeout_seconds": policy.service_timeout} if policy.service_timeout is not None else {}
