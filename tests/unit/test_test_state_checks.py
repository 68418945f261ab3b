"""TestState's request checks that need no running state: a mocked result against its API's output shape
(workflow.emulator.test_state_shapes), stateConfiguration and a Map's tolerance (test_state_config), the mock's form
and what moto parses (test_state_request). The expected answers are AWS's (API_MockInput, API_TestStateConfiguration;
the messages as AWS answered them, recorded 2025-11 and 2025-12)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from workflow.emulator.test_state_config import (
    THRESHOLD_CAUSE,
    Configuration,
    inner_states,
    read_configuration,
    threshold_exceeded,
)
from workflow.emulator.test_state_request import (
    HTTP_STAND_IN,
    InvalidDefinition,
    ValidationException,
    backoff_seconds,
    first_matching,
    read_definition,
    read_mock,
)
from workflow.emulator.test_state_shapes import api_of, botocore_service, check_result

MAP: dict[str, Any] = {
    "Type": "Map",
    "ItemProcessor": {
        "StartAt": "Outer",
        "States": {
            "Outer": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "Deep", "States": {"Deep": {"Type": "Pass", "End": True}}}],
                "End": True,
            }
        },
    },
    "End": True,
}


@pytest.mark.parametrize(
    ("resource", "api"),
    [
        ("arn:aws:states:::lambda:invoke", ("lambda", "Invoke")),
        ("arn:aws:states:::sqs:sendMessage", ("sqs", "SendMessage")),
        ("arn:aws:states:::sns:publish", ("sns", "Publish")),
        ("arn:aws:states:::dynamodb:updateItem", ("dynamodb", "UpdateItem")),
        ("arn:aws:states:::states:startExecution", ("stepfunctions", "StartExecution")),
        ("arn:aws:states:::states:startExecution.sync:2", ("stepfunctions", "DescribeExecution")),
        ("arn:aws:states:::aws-sdk:sfn:startSyncExecution", ("stepfunctions", "StartSyncExecution")),
        ("arn:aws:states:::aws-sdk:eventbridge:putEvents", ("events", "PutEvents")),
        ("arn:aws:states:::aws-sdk:s3:listObjectsV2", ("s3", "ListObjectsV2")),
        ("arn:aws-cn:states:::aws-sdk:dynamodb:getItem", ("dynamodb", "GetItem")),
        ("arn:aws:states:::lambda:invoke.waitForTaskToken", None),
        ("arn:aws:states:::ecs:runTask.sync", None),
        ("arn:aws:states:::http:invoke", None),
        ("arn:aws:lambda:us-east-1:123456789012:function:ValidateOrder", None),
        ("arn:aws:states:us-east-1:123456789012:activity:Approve", None),
        ("arn:aws:states:::aws-sdk:s3:noSuchAction", None),
    ],
)
def test_the_api_a_resource_calls(resource: str, api: tuple[str, str] | None) -> None:
    assert api_of(resource) == api


def test_step_functions_service_names_are_found_in_botocore() -> None:
    assert botocore_service("sfn") == "stepfunctions"
    assert botocore_service("apigatewayv2") == "apigatewayv2"
    assert botocore_service("acmpca") == "acm-pca"  # the name without its dash
    assert botocore_service("cloudwatchlogs") == "logs"  # named otherwise by the SDK Step Functions follows
    assert botocore_service("nosuchservice") is None  # not checked: no model read to look for it


def _refusal(resource: str, result: Any, mode: str = "STRICT") -> str | None:
    try:
        check_result(resource, result, mode)
    except ValidationException as error:
        return str(error.message)
    return None


def test_strict_needs_the_required_fields_and_present_does_not() -> None:
    start = "arn:aws:states:::states:startExecution"
    missing = "Mock result schema validation error: Required field 'ExecutionArn' is missing"
    assert _refusal(start, {"StartDate": "2026-01-01T00:00:00Z"}) == missing
    assert _refusal(start, {"StartDate": "2026-01-01T00:00:00Z"}, "PRESENT") is None
    assert _refusal(start, {"ExecutionArn": "a", "StartDate": "2026-01-01T00:00:00Z"}) is None


@pytest.mark.parametrize("mode", ["STRICT", "PRESENT"])
@pytest.mark.parametrize(
    ("result", "problem"),
    [
        ({"StatusCode": "200"}, "Field 'StatusCode' must be a number"),
        ({"StatusCode": True}, "Field 'StatusCode' must be a number"),
        ({"StatusCode": 200.5}, "Field 'StatusCode' must be an integer"),
        ({"FunctionError": 1}, "Field 'FunctionError' must be a string"),
        ({"ExecutedVersion": ""}, "Field 'ExecutedVersion' is smaller than the minimum length"),
        ({"StatusCode": 200.0, "Payload": "text", "Other": [1]}, None),
        ({"StatusCode": 200, "Payload": {"any": ["json"]}}, None),
    ],
)
def test_present_fields_conform_in_both_modes(mode: str, result: dict[str, Any], problem: str | None) -> None:
    refusal = _refusal("arn:aws:states:::lambda:invoke", result, mode)
    assert refusal == (None if problem is None else f"Mock result schema validation error: {problem}")


def test_nested_fields_maps_and_booleans_are_checked() -> None:
    get_item = "arn:aws:states:::dynamodb:getItem"
    assert _refusal(get_item, {"Item": {"id": {"S": "o-1"}, "paid": {"BOOL": True}}}) is None
    assert _refusal(get_item, {"Item": {"paid": {"BOOL": "yes"}}}) == (
        "Mock result schema validation error: Field 'BOOL' must be a boolean"
    )
    assert _refusal(get_item, {"Item": []}) == "Mock result schema validation error: Field 'Item' must be an object"


def test_none_checks_nothing_and_unmodelled_results_are_not_checked() -> None:
    assert _refusal("arn:aws:states:::lambda:invoke", "not an object", "NONE") is None
    assert _refusal("arn:aws:states:::lambda:invoke.waitForTaskToken", {"StatusCode": "x"}) is None
    assert _refusal("arn:aws:states:::lambda:invoke", [1]) == (
        "Mock result schema validation error: Mocked result must be a JSON object"
    )


def test_a_mock_is_read_with_its_validation_mode() -> None:
    task = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke"}
    assert read_mock({"result": "{}"}, task) == {"result": {}, "mode": "STRICT"}
    assert read_mock({"errorOutput": {"error": "E"}, "fieldValidationMode": "NONE"}, task) == {
        "error": ("E", ""),
        "mode": "NONE",
    }


@pytest.mark.parametrize(
    ("mock", "state", "reveal", "message"),
    [
        ({"result": "{}"}, {"Type": "Pass"}, False, "State type 'Pass' is not supported when a mock is specified"),
        (
            {"result": "{}", "errorOutput": {"error": "E"}},
            {"Type": "Task"},
            False,
            "A test mock should have only one of the following fields: [result, errorOutput].",
        ),
        (
            {"result": "{}"},
            {"Type": "Task"},
            True,
            "TestState does not support RevealSecrets when a mock is specified.",
        ),
        ({"result": "{}"}, MAP, False, "Mocked result must be an array."),
        ({"result": "[1]"}, {**MAP, "ResultWriter": {}}, False, "Mocked result must be a JSON object."),
        (
            {"result": "[1, 2]"},
            {"Type": "Parallel", "Branches": [{}]},
            False,
            "Mocked result must contain the same number of items as number of Parallel branches.",
        ),
    ],
)
def test_a_mock_is_refused_as_aws_refuses_it(
    mock: dict[str, Any], state: dict[str, Any], reveal: bool, message: str
) -> None:
    with pytest.raises(ValidationException) as error:
        read_mock(mock, state, reveal)
    assert error.value.message == message


def test_what_needs_a_mock() -> None:
    with pytest.raises(InvalidDefinition):
        read_mock(None, MAP)
    for resource in ("arn:aws:states:::http:invoke", "arn:aws:states:::sqs:sendMessage.waitForTaskToken"):
        with pytest.raises(ValidationException):
            read_mock(None, {"Type": "Task", "Resource": resource})
    assert read_mock(None, {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke"}) is None


def test_moto_parses_what_test_state_reads() -> None:
    http = {"Type": "Task", "Resource": "arn:aws:states:::http:invoke", "End": True}
    tolerant = {**MAP, "ToleratedFailurePercentage": 40}
    machine = {"StartAt": "H", "States": {"H": http, "M": tolerant}}
    definition = read_definition(json.dumps(machine), "H")
    parsed = json.loads(definition.text)["States"]
    assert parsed["H"]["Resource"] == HTTP_STAND_IN
    assert json.dumps(parsed["M"]["ToleratedFailurePercentage"]) == "40.0"
    assert definition.state["Resource"] == "arn:aws:states:::http:invoke"  # the state as asked, for its rules


def test_the_states_a_map_runs_at_any_depth() -> None:
    assert inner_states(MAP) == {"Outer", "Deep"}


def test_a_configuration_is_read_for_the_state_it_fits() -> None:
    error = {"error": ("E", ""), "mode": "STRICT"}
    reader = {**MAP, "ItemReader": {"ReaderConfig": {"InputType": "CSV"}}}
    configured = read_configuration(
        {"retrierRetryCount": 2, "errorCausedByState": "Deep", "mapIterationFailureCount": 1}, MAP, error
    )
    assert configured == Configuration(retry_count=2, error_caused_by="Deep", map_failures=1)
    assert read_configuration({"mapItemReaderData": "a,b\n1,2\n3,4\n"}, reader, None).reader_items == [
        ["1", "2"],
        ["3", "4"],
    ]
    with pytest.raises(ValidationException):
        read_configuration({"errorCausedByState": "Nowhere"}, MAP, error)
    with pytest.raises(ValidationException):
        read_configuration({"mapItemReaderData": "[1]"}, MAP, None)
    with pytest.raises(ValidationException):
        read_configuration({"retrierRetryCount": -1}, MAP, None)


@pytest.mark.parametrize(
    ("fields", "failures", "exceeded"),
    [
        ({"toleratedFailureCount": 1}, 1, False),
        ({"toleratedFailureCount": 1}, 2, True),
        ({"toleratedFailurePercentage": 50.0, "items": [1, 2, 3, 4]}, 2, False),
        ({"toleratedFailurePercentage": 50.0, "items": [1, 2, 3, 4]}, 3, True),
        ({"toleratedFailureCount": 5, "toleratedFailurePercentage": 10.0, "items": [1, 2]}, 1, True),
        ({}, 100, False),  # a Map that sets no tolerance
    ],
)
def test_a_maps_tolerance(fields: dict[str, Any], failures: int, exceeded: bool) -> None:
    assert threshold_exceeded(fields, failures, mocked=[]) is exceeded
    assert THRESHOLD_CAUSE == "The specified tolerated failure threshold was exceeded"


def test_the_backoff_leaves_out_jitter() -> None:
    retrier = {"ErrorEquals": ["E"], "IntervalSeconds": 2, "BackoffRate": 3, "MaxDelaySeconds": 30}
    assert [backoff_seconds({**retrier, "JitterStrategy": "FULL"}, n) for n in range(4)] == [2, 6, 18, 30]


@pytest.mark.parametrize(
    ("rule", "error", "matched"),
    [
        (["States.ALL"], "Anything", True),
        (["States.ALL"], "States.Timeout", True),
        (["States.ALL"], "States.Runtime", False),  # "cannot catch ... the Runtime error type"
        (["States.ALL"], "States.DataLimitExceeded", False),  # "a terminal error that can't be caught by States.ALL"
        (["States.Runtime"], "States.Runtime", False),  # "isn't retriable, and will always cause the execution to fail"
        (["States.DataLimitExceeded"], "States.DataLimitExceeded", True),
        (["States.TaskFailed"], "Lambda.ServiceException", True),
        (["States.TaskFailed"], "States.Http.Socket", True),
        (["States.TaskFailed"], "States.Timeout", False),
        (["States.TaskFailed"], "States.Runtime", False),
        (["Other", "Flaky"], "Flaky", True),
        (["Other"], "Flaky", False),
    ],
)
def test_error_equals_matches_as_aws_documents(rule: list[str], error: str, matched: bool) -> None:
    # https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html
    assert (first_matching([{"ErrorEquals": rule}], error) == 0) is matched
