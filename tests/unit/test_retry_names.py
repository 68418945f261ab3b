"""Every ErrorEquals name of the compiled workflow is one Step Functions can raise: a name that never matches is
ignored silently, and gives false confidence."""

from __future__ import annotations

import inspect

import pytest
from botocore.loaders import Loader

from handlers.domain import errors
from workflow import asl

# https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html#error-handling-error-representation
STATES_ERRORS = {
    "States.ALL", "States.DataLimitExceeded", "States.ExceedToleratedFailureThreshold", "States.HeartbeatTimeout",
    "States.Http.Socket", "States.IntrinsicFailure", "States.ItemReaderFailed", "States.NoChoiceMatched",
    "States.ParameterPathFailure", "States.Permissions", "States.QueryEvaluationError", "States.ResultPathMatchFailure",
    "States.ResultWriterFailed", "States.Runtime", "States.TaskFailed", "States.Timeout", "States.BranchFailed",
}  # fmt: skip
# The Lambda service errors AWS documents for the Lambda integration (bp-lambda-serviceexception.html) and the
# Lambda API's throttling error.
LAMBDA_ERRORS = {
    "Lambda.ClientExecutionTimeoutException",
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
}
OURS = {name for name, cls in inspect.getmembers(errors, inspect.isclass) if issubclass(cls, Exception)}


def error_shapes(service: str) -> set[str]:
    model = Loader().load_service_model(service, "service-2")
    return {name for name, shape in model["shapes"].items() if shape.get("exception")}


def known(name: str) -> bool:
    service, _, error = name.partition(".")
    if name in STATES_ERRORS or name in LAMBDA_ERRORS or name in OURS:
        return True
    if service == "DynamoDB":  # "DynamoDB." + the error code, as the service answers it
        return error in error_shapes("dynamodb")
    if service == "SNS":  # "SNS." + the code, with "Exception" added where it lacks it
        return error == "SdkClientException" or error in {s if s.endswith("Exception") else f"{s}Exception"
                                                           for s in error_shapes("sns")}  # fmt: skip
    if service == "SQS":  # the two names the SQS integration reports
        return error in {"SdkClientException", "AmazonSQSException"}
    return False


@pytest.mark.parametrize("workflow_type", asl.WORKFLOW_TYPES)
def test_every_error_name_can_be_raised(workflow_type: str) -> None:
    names = {
        name
        for state in asl.compile_order_workflow(workflow_type)["States"].values()
        for rule in [*state.get("Retry", []), *state.get("Catch", [])]
        for name in rule["ErrorEquals"]
    }
    assert names
    assert sorted(n for n in names if not known(n)) == []


def test_the_names_that_never_matched_are_refused() -> None:
    assert not known("DynamoDB.InternalServerErrorException")  # the code is InternalServerError
    assert not known("States.Timeot")
    assert not known("Lambda.Unknown")
    assert not known("NoSuchDomainError")
    assert known("DynamoDB.RequestLimitExceeded")
