"""TestState on the local AWS endpoint, case by case, as AWS documents it.

Each case is a TestState request a user could send through `orderflow up`'s endpoint by plain boto3 and the answer
AWS's documentation gives for it; each cites the page it follows. botocore sends TestState to its model's host
prefix (`sync-states...`, `sync-127.0.0.1` for a local endpoint), so a client of a local endpoint turns host prefix
injection off (`Config(inject_host_prefix=False)`), as docs/local-aws.md says.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from workflow.local.runtime import LocalRuntime
from workflow.local.samples import sample_order

API = "https://docs.aws.amazon.com/step-functions/latest/apireference/"
TEST_STATE = API + "API_TestState.html"
MOCK = API + "API_MockInput.html"
MOCK_ERROR = API + "API_MockErrorOutput.html"
CONFIGURATION = API + "API_TestStateConfiguration.html"
INSPECTION = API + "API_InspectionData.html"
ERROR_DETAILS = API + "API_InspectionErrorDetails.html"
ERRORS = "https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html"
WAIT = "https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html"
ROLE = "arn:aws:iam::123456789012:role/conformance"
LAMBDA = "arn:aws:states:::lambda:invoke"
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:NotCalled"


@pytest.fixture(scope="module")
def sfn(runtime: LocalRuntime) -> Any:
    return boto3.client(
        "stepfunctions",
        endpoint_url=runtime.aws_endpoint or runtime.serve_aws(port=0),
        region_name=runtime.config.region,
        aws_access_key_id="local",
        aws_secret_access_key="local",
        config=Config(inject_host_prefix=False, retries={"total_max_attempts": 1}),
    )


def task(language: str = "JSONPath", **fields: Any) -> dict[str, Any]:
    arguments = {"Arguments": {"FunctionName": FUNCTION, "Payload": "{% $states.input %}"}}
    parameters = {"Parameters": {"FunctionName": FUNCTION, "Payload.$": "$"}}
    return {
        "Type": "Task",
        "QueryLanguage": language,
        "Resource": LAMBDA,
        **(arguments if language == "JSONata" else parameters),
        **fields,
    }


@dataclass(frozen=True)
class Case:
    id: str
    doc: str  # the AWS page the expected answer is taken from
    request: dict[str, Any]
    expected: dict[str, Any]  # each key of the answer that is checked (output and inspection stages parsed)
    inspection: dict[str, Any] = field(default_factory=dict)


def error_of(payload: str, cause: str = "c") -> dict[str, Any]:
    return {"errorOutput": {"error": payload, "cause": cause}, "fieldValidationMode": "NONE"}


CASES = [
    Case(
        # A States.* error given as the mock's errorOutput is that error: a rule naming it retries it (it was
        # refused as a custom error name, States.Runtime, which nothing catches).
        "a-mocked-states-timeout-is-retried-by-its-rule",
        ERRORS,
        {
            "definition": task(
                Retry=[{"ErrorEquals": ["States.Timeout"], "IntervalSeconds": 3}],
                Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
                End=True,
            ),
            "mock": error_of("States.Timeout"),
            "inspectionLevel": "DEBUG",
        },
        {"status": "RETRIABLE", "error": "States.Timeout"},
        {"errorDetails": {"retryIndex": 0, "retryBackoffIntervalSeconds": 3}},
    ),
    Case(
        "pass-succeeds-with-next-state",
        TEST_STATE,
        {"definition": {"Type": "Pass", "Result": {"r": 1}, "ResultPath": "$.out", "Next": "Then"}, "input": {"a": 1}},
        {"status": "SUCCEEDED", "nextState": "Then", "output": {"a": 1, "out": {"r": 1}}},
    ),
    Case(
        "end-state-has-no-next-state",
        TEST_STATE,
        {"definition": {"Type": "Pass", "End": True}, "input": {"a": 1}},
        {"status": "SUCCEEDED", "nextState": None, "output": {"a": 1}},
    ),
    Case(
        "jsonata-pass-with-variables",
        TEST_STATE,
        {
            "definition": {
                "Type": "Pass",
                "QueryLanguage": "JSONata",
                "Output": "{% $states.input.a + $base %}",
                "Assign": {"seen": "{% $states.input.a %}"},
                "End": True,
            },
            "input": {"a": 2},
            "variables": {"base": 40},
            "inspectionLevel": "DEBUG",
        },
        {"status": "SUCCEEDED", "output": 42},
        {"input": {"a": 2}, "variables": {"base": 40, "seen": 2}},
    ),
    Case(
        "choice-names-the-matched-rule's-next-state",
        TEST_STATE,
        {
            "definition": {
                "Type": "Choice",
                "Choices": [{"Variable": "$.n", "NumericGreaterThan": 5, "Next": "Big"}],
                "Default": "Small",
            },
            "input": {"n": 9},
        },
        {"status": "SUCCEEDED", "nextState": "Big", "output": {"n": 9}},
    ),
    Case(
        "jsonata-choice-default",
        TEST_STATE,
        {
            "definition": {
                "Type": "Choice",
                "QueryLanguage": "JSONata",
                "Choices": [{"Condition": "{% $states.input.n > 5 %}", "Next": "Big"}],
                "Default": "Small",
            },
            "input": {"n": 1},
        },
        {"status": "SUCCEEDED", "nextState": "Small"},
    ),
    Case(
        "wait-does-not-wait",
        WAIT,
        {"definition": {"Type": "Wait", "Seconds": 3600, "Next": "Later"}, "input": {"a": 1}},
        {"status": "SUCCEEDED", "nextState": "Later", "output": {"a": 1}},
    ),
    Case(
        "fail-state-fails-with-its-error",
        TEST_STATE,
        {"definition": {"Type": "Fail", "Error": "OrderRejected", "Cause": "no stock"}, "input": {}},
        {"status": "FAILED", "error": "OrderRejected", "cause": "no stock", "output": None, "nextState": None},
    ),
    Case(
        "succeed-state",
        TEST_STATE,
        {"definition": {"Type": "Succeed"}, "input": {"done": True}},
        {"status": "SUCCEEDED", "output": {"done": True}, "nextState": None},
    ),
    Case(
        "mocked-result-through-jsonpath-stages",
        INSPECTION,
        {
            "definition": task(ResultSelector={"v.$": "$.Payload.v"}, ResultPath="$.got", InputPath="$.in", Next="N"),
            "input": {"in": {"k": 1}},
            "mock": {"result": json.dumps({"Payload": {"v": 7}, "StatusCode": 200}), "fieldValidationMode": "NONE"},
            "inspectionLevel": "DEBUG",
        },
        # ResultPath writes into the state's raw input, not InputPath's selection.
        {"status": "SUCCEEDED", "nextState": "N", "output": {"in": {"k": 1}, "got": {"v": 7}}},
        {
            "input": {"in": {"k": 1}},
            "afterInputPath": {"k": 1},
            "afterParameters": {"FunctionName": FUNCTION, "Payload": {"k": 1}},
            "result": {"Payload": {"v": 7}, "StatusCode": 200},
            "afterResultSelector": {"v": 7},
            "afterResultPath": {"in": {"k": 1}, "got": {"v": 7}},
        },
    ),
    Case(
        "mocked-result-through-jsonata-stages",
        INSPECTION,
        {
            "definition": task("JSONata", Output="{% $states.result.Payload.v %}", End=True),
            "input": {"k": 1},
            "mock": {"result": json.dumps({"Payload": {"v": 7}}), "fieldValidationMode": "PRESENT"},
            "inspectionLevel": "DEBUG",
        },
        {"status": "SUCCEEDED", "output": 7},
        {
            "input": {"k": 1},
            "afterArguments": {"FunctionName": FUNCTION, "Payload": {"k": 1}},
            "result": {"Payload": {"v": 7}},
        },
    ),
    Case(
        "mocked-error-without-retry-or-catch-fails",
        MOCK_ERROR,
        {"definition": task(End=True), "input": {}, "mock": error_of("Lambda.ServiceException", "down")},
        {"status": "FAILED", "error": "Lambda.ServiceException", "cause": "down"},
    ),
    Case(
        "first-retry-is-retriable",
        ERROR_DETAILS,
        {
            "definition": task(
                Retry=[
                    {"ErrorEquals": ["Other"]},
                    {"ErrorEquals": ["Lambda.TooManyRequestsException"], "IntervalSeconds": 2, "BackoffRate": 3},
                ],
                End=True,
            ),
            "input": {},
            "mock": error_of("Lambda.TooManyRequestsException"),
            "inspectionLevel": "DEBUG",
        },
        {"status": "RETRIABLE", "error": "Lambda.TooManyRequestsException"},
        {"errorDetails": {"retryIndex": 1, "retryBackoffIntervalSeconds": 2}},
    ),
    Case(
        "backoff-after-retries-behind",
        CONFIGURATION,
        {
            "definition": task(
                Retry=[{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 2, "BackoffRate": 3}], End=True
            ),
            "input": {},
            "mock": error_of("Boom"),
            "stateConfiguration": {"retrierRetryCount": 2},
            "inspectionLevel": "DEBUG",
        },
        {"status": "RETRIABLE"},
        {"errorDetails": {"retryIndex": 0, "retryBackoffIntervalSeconds": 18}},
    ),
    Case(
        "backoff-capped-by-max-delay",
        ERRORS,
        {
            "definition": task(
                Retry=[{"ErrorEquals": ["Boom"], "IntervalSeconds": 10, "BackoffRate": 4, "MaxDelaySeconds": 60}],
                End=True,
            ),
            "input": {},
            "mock": error_of("Boom"),
            "stateConfiguration": {"retrierRetryCount": 2},
            "inspectionLevel": "DEBUG",
        },
        {"status": "RETRIABLE"},
        {"errorDetails": {"retryIndex": 0, "retryBackoffIntervalSeconds": 60}},
    ),
    Case(
        "retries-exhausted-then-caught",
        CONFIGURATION,
        {
            "definition": task(
                Retry=[{"ErrorEquals": ["Boom"], "MaxAttempts": 2}],
                Catch=[
                    {"ErrorEquals": ["Other"], "Next": "Elsewhere"},
                    {"ErrorEquals": ["States.ALL"], "ResultPath": "$.failure", "Next": "RecordFailure"},
                ],
                Next="Done",
            ),
            "input": {"order": "o-1"},
            "mock": error_of("Boom", "it broke"),
            "stateConfiguration": {"retrierRetryCount": 2},
            "inspectionLevel": "DEBUG",
        },
        {
            "status": "CAUGHT_ERROR",
            "nextState": "RecordFailure",
            "error": "Boom",
            "cause": "it broke",
            "output": {"order": "o-1", "failure": {"Error": "Boom", "Cause": "it broke"}},
        },
        {"errorDetails": {"catchIndex": 1}},
    ),
    Case(
        "jsonata-catch-output",
        ERRORS,
        {
            "definition": task(
                "JSONata",
                Catch=[
                    {
                        "ErrorEquals": ["Boom"],
                        "Output": {"failed": "{% $states.errorOutput.Error %}", "order": "{% $states.input.order %}"},
                        "Next": "RecordFailure",
                    }
                ],
                End=True,
            ),
            "input": {"order": "o-2"},
            "mock": error_of("Boom"),
            "inspectionLevel": "DEBUG",
        },
        {"status": "CAUGHT_ERROR", "nextState": "RecordFailure", "output": {"failed": "Boom", "order": "o-2"}},
        {"errorDetails": {"catchIndex": 0}},
    ),
    Case(
        "state-name-in-a-whole-machine",
        TEST_STATE,
        {
            "definition": {
                "QueryLanguage": "JSONata",
                "StartAt": "A",
                "States": {
                    "A": {"Type": "Pass", "Next": "B"},
                    "B": {"Type": "Pass", "Output": "{% $states.input.n * 2 %}", "Next": "C"},
                    "C": {"Type": "Succeed"},
                },
            },
            "stateName": "B",
            "input": {"n": 21},
        },
        {"status": "SUCCEEDED", "nextState": "C", "output": 42},
    ),
]


def _send(sfn: Any, request: dict[str, Any]) -> dict[str, Any]:
    sent = dict(request)
    sent["definition"] = (
        json.dumps(sent["definition"]) if not isinstance(sent["definition"], str) else sent["definition"]
    )
    for name in ("input", "variables"):
        if name in sent:
            sent[name] = json.dumps(sent[name])
    if "roleArn" not in sent and "mock" not in sent:
        sent["roleArn"] = ROLE
    answer: dict[str, Any] = sfn.test_state(**sent)
    return answer


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_test_state_answers_as_aws_documents(sfn: Any, case: Case) -> None:
    answer = _send(sfn, case.request)
    for key, expected in case.expected.items():
        got = answer.get(key)
        if key == "output" and got is not None:
            got = json.loads(got)
        assert got == expected, f"{case.id}: {key} is {got!r}, {case.doc} says {expected!r}"
    data = answer.get("inspectionData", {})
    for stage, expected in case.inspection.items():
        got = data.get(stage)
        if isinstance(got, str):
            got = json.loads(got)
        assert got == expected, f"{case.id}: inspectionData.{stage} is {got!r}, {case.doc} says {expected!r}"
    if case.request.get("inspectionLevel", "INFO") == "INFO":
        assert "inspectionData" not in answer


def test_jsonpath_stages_are_not_populated_for_jsonata(sfn: Any) -> None:
    # INSPECTION: afterInputPath, afterParameters, afterResultSelector, afterResultPath are "Not populated when
    # QueryLanguage is JSONata"; afterArguments is "only present when QueryLanguage ... is set to JSONata".
    jsonata = _send(
        sfn,
        {"definition": task("JSONata", End=True), "input": {}, "mock": {"result": "{}"}, "inspectionLevel": "DEBUG"},
    )["inspectionData"]
    jsonpath = _send(
        sfn, {"definition": task(End=True), "input": {}, "mock": {"result": "{}"}, "inspectionLevel": "DEBUG"}
    )["inspectionData"]
    assert not {"afterInputPath", "afterParameters", "afterResultSelector", "afterResultPath"} & set(jsonata)
    assert "afterArguments" not in jsonpath


REFUSED = [
    # (id, doc, request, error code)
    (
        "mock-on-pass",
        TEST_STATE,
        {"definition": {"Type": "Pass", "End": True}, "mock": {"result": "{}"}},
        "ValidationException",
    ),
    (
        "mock-on-choice",
        TEST_STATE,
        {
            "definition": {"Type": "Choice", "Choices": [{"Variable": "$.a", "BooleanEquals": True, "Next": "X"}]},
            "mock": {"result": "{}"},
        },
        "ValidationException",
    ),
    (
        "mock-on-fail",
        TEST_STATE,
        {"definition": {"Type": "Fail", "Error": "E"}, "mock": {"result": "{}"}},
        "ValidationException",
    ),
    (
        "mock-on-succeed",
        TEST_STATE,
        {"definition": {"Type": "Succeed"}, "mock": {"result": "{}"}},
        "ValidationException",
    ),
    (
        "mock-on-wait",
        TEST_STATE,
        {"definition": {"Type": "Wait", "Seconds": 1, "End": True}, "mock": {"result": "{}"}},
        "ValidationException",
    ),
    (
        "sync-without-mock",
        TEST_STATE,
        {
            "definition": {
                "Type": "Task",
                "Resource": "arn:aws:states:::states:startExecution.sync:2",
                "Parameters": {"StateMachineArn": "arn:aws:states:us-east-1:123456789012:stateMachine:x"},
                "End": True,
            }
        },
        "ValidationException",
    ),
    (
        "wait-for-task-token-without-mock",
        TEST_STATE,
        {
            "definition": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {"QueueUrl": "q", "MessageBody.$": "$$.Task.Token"},
                "End": True,
            }
        },
        "ValidationException",
    ),
    (
        # "TestState only supports the following when a mock is specified: ... Parallel, or Map states"; AWS answers
        # InvalidDefinition (recorded 2025-12-10 and 2026-02-25).
        "map-without-mock",
        TEST_STATE,
        {
            "definition": {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
                "End": True,
            }
        },
        "InvalidDefinition",
    ),
    (
        "parallel-without-mock",
        TEST_STATE,
        {
            "definition": {
                "Type": "Parallel",
                "Branches": [{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}],
                "End": True,
            }
        },
        "InvalidDefinition",
    ),
    (
        "context-without-mock",
        TEST_STATE,
        {"definition": {"Type": "Pass", "End": True}, "context": "{}"},
        "ValidationException",
    ),
    (
        "result-and-error-output",
        MOCK,
        {"definition": task(End=True), "mock": {"result": "{}", "errorOutput": {"error": "E"}}},
        "ValidationException",
    ),
    (
        "state-name-not-in-machine",
        TEST_STATE,
        {"definition": {"StartAt": "A", "States": {"A": {"Type": "Succeed"}}}, "stateName": "B"},
        "ValidationException",
    ),
    ("definition-not-json", TEST_STATE, {"definition": "{not json"}, "InvalidDefinition"),
    ("unknown-state-type", TEST_STATE, {"definition": {"Type": "Teleport", "End": True}}, "InvalidDefinition"),
    (
        "bad-jsonata",
        TEST_STATE,
        {"definition": {"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% $states.input. %}", "End": True}},
        "InvalidDefinition",
    ),
]


# AWS's words where they were recorded (TestState answers of 2025-12-10 and 2026-02-25).
MESSAGES = {
    "mock-on-pass": "State type 'Pass' is not supported when a mock is specified",
    "mock-on-fail": "State type 'Fail' is not supported when a mock is specified",
    "mock-on-succeed": "State type 'Succeed' is not supported when a mock is specified",
    "map-without-mock": "TestState API does not support Map or Parallel states. "
    "Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]",
    "result-and-error-output": "A test mock should have only one of the following fields: [result, errorOutput].",
}


@pytest.mark.parametrize("refused", REFUSED, ids=[r[0] for r in REFUSED])
def test_test_state_refuses_what_aws_refuses(sfn: Any, refused: tuple[str, str, dict[str, Any], str]) -> None:
    name, doc, request, code = refused
    with pytest.raises(ClientError) as error:
        _send(sfn, {"input": {}, **request})
    assert error.value.response["Error"]["Code"] == code, f"{name}: {doc}"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    if name in MESSAGES:
        assert error.value.response["Error"]["Message"] == MESSAGES[name]


def test_mocked_map_and_parallel_take_the_mock_as_their_result(sfn: Any) -> None:
    # TEST_STATE: "TestState only supports the following when a mock is specified: ... Parallel, or Map states."
    # A Parallel's result holds one result per branch (recorded 2026-02-25).
    branch = {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    parallel = {"Type": "Parallel", "Branches": [branch, branch], "Next": "N"}
    answer = _send(sfn, {"definition": parallel, "input": {}, "mock": {"result": "[1, 2]"}})
    assert (answer["status"], json.loads(answer["output"]), answer["nextState"]) == ("SUCCEEDED", [1, 2], "N")


# --- mock.fieldValidationMode (MOCK): a mocked result against the output of the API its Task calls ---------------

SDK = "https://docs.aws.amazon.com/step-functions/latest/dg/supported-services-awssdk.html"
INSPECTION_REQUEST = API + "API_InspectionDataRequest.html"
SCHEMA = "Mock result schema validation error: "
START_EXECUTION = "arn:aws:states:::states:startExecution"


def _task_of(resource: str, **fields: Any) -> dict[str, Any]:
    return {"Type": "Task", "Resource": resource, "End": True, **fields}


# (id, doc, Resource, fieldValidationMode or None for STRICT by default, result, AWS's message or None: SUCCEEDED).
# The messages are AWS's answers to these mocks (recorded 2025-11-26).
VALIDATED = [
    ("strict-wrong-integer", MOCK, LAMBDA, None, {"StatusCode": "200"}, "Field 'StatusCode' must be a number"),
    ("present-wrong-integer", MOCK, LAMBDA, "PRESENT", {"StatusCode": "200"}, "Field 'StatusCode' must be a number"),
    ("none-checks-nothing", MOCK, LAMBDA, "NONE", {"StatusCode": "200"}, None),
    ("lambda-payload-is-the-function-output", MOCK, LAMBDA, None, {"StatusCode": 200, "Payload": {"a": [1]}}, None),
    ("strict-required-field-missing", MOCK, START_EXECUTION, None, {}, "Required field 'ExecutionArn' is missing"),
    # Step Functions names fields in PascalCase: the API's camelCase names are fields it does not define.
    (
        "strict-camel-case-is-not-the-field",
        SDK,
        START_EXECUTION,
        None,
        {"executionArn": "a", "startDate": "b"},
        "Required field 'ExecutionArn' is missing",
    ),
    ("present-skips-required-fields", MOCK, START_EXECUTION, "PRESENT", {"executionArn": "a"}, None),
    (
        "timestamp-is-a-string",
        MOCK,
        START_EXECUTION,
        None,
        {"ExecutionArn": "a", "StartDate": True},
        "Field 'StartDate' must be a string",
    ),
    ("field-not-in-the-api-passes", MOCK, "arn:aws:states:::events:putEvents", None, {"random": "json"}, None),
    (
        "nested-field-in-an-array",
        MOCK,
        "arn:aws:states:::events:putEvents",
        None,
        {"Entries": [{"EventId": "e-1"}, {"EventId": ["not", "a", "string"]}]},
        "Field 'EventId' must be a string",
    ),
    (
        "array-field",
        MOCK,
        "arn:aws:states:::events:putEvents",
        None,
        {"Entries": "x"},
        "Field 'Entries' must be an array",
    ),
    (
        "nested-float",
        MOCK,
        "arn:aws:states:::dynamodb:putItem",
        None,
        {"ConsumedCapacity": {"CapacityUnits": "123.45"}},
        "Field 'CapacityUnits' must be a number",
    ),
    (
        "sdk-integration-long",
        SDK,
        "arn:aws:states:::aws-sdk:s3:getObject",
        None,
        {"ContentLength": "9000"},
        "Field 'ContentLength' must be a number",
    ),
    (
        "sdk-integration-enum",
        SDK,
        "arn:aws:states:::aws-sdk:s3:getObject",
        None,
        {"StorageClass": "Papyrus"},
        "Field 'StorageClass' is not an expected value",
    ),
    (
        "blob-is-a-string",
        SDK,
        "arn:aws:states:::aws-sdk:kms:encrypt",
        "PRESENT",
        {"CiphertextBlob": 123},
        "Field 'CiphertextBlob' must be a string",
    ),
    (
        "blob-minimum-length",
        SDK,
        "arn:aws:states:::aws-sdk:kms:encrypt",
        None,
        {"CiphertextBlob": ""},
        "Field 'CiphertextBlob' is smaller than the minimum length",
    ),
    (
        "integer-minimum",
        SDK,
        "arn:aws:states:::aws-sdk:lambda:getFunction",
        None,
        {"Configuration": {"MemorySize": 127}},
        "Field 'MemorySize' is less than the minimum value",
    ),
    # The service as Step Functions names it (sfn, not botocore's stepfunctions).
    (
        "sdk-service-name",
        SDK,
        "arn:aws:states:::aws-sdk:sfn:startExecution",
        None,
        {"StartDate": "2026-01-01"},
        "Required field 'ExecutionArn' is missing",
    ),
    # What no API model holds is not checked: a function's own output, an activity worker's, a callback's.
    ("lambda-function-arn", MOCK, FUNCTION, None, {"StatusCode": "anything"}, None),
    ("activity", MOCK, "arn:aws:states:us-east-1:123456789012:activity:Approve", None, {"StatusCode": "x"}, None),
    ("wait-for-task-token", MOCK, LAMBDA + ".waitForTaskToken", None, {"StatusCode": "x"}, None),
]


@pytest.mark.parametrize("case", VALIDATED, ids=[case[0] for case in VALIDATED])
def test_a_mocked_result_is_checked_against_its_api(sfn: Any, case: tuple[Any, ...]) -> None:
    name, doc, resource, mode, result, message = case
    mock: dict[str, Any] = {"result": json.dumps(result)}
    if mode is not None:
        mock["fieldValidationMode"] = mode
    request = {"definition": _task_of(resource), "input": {}, "mock": mock}
    if message is None:
        answer = _send(sfn, request)
        assert (answer["status"], json.loads(answer["output"])) == ("SUCCEEDED", result), f"{name}: {doc}"
        return
    with pytest.raises(ClientError) as error:
        _send(sfn, request)
    assert error.value.response["Error"]["Code"] == "ValidationException", f"{name}: {doc}"
    assert error.value.response["Error"]["Message"] == SCHEMA + message, f"{name}: {doc}"


# --- revealSecrets (TEST_STATE) and HTTP Tasks ------------------------------------------------------------------------

HTTP = {
    "Type": "Task",
    "Resource": "arn:aws:states:::http:invoke",
    "Parameters": {
        "ApiEndpoint": "https://api.example.com/orders",
        "Method": "GET",
        "Authentication": {"ConnectionArn": "arn:aws:events:us-east-1:123456789012:connection/c/1"},
    },
    "End": True,
}


def test_reveal_secrets_is_refused_with_a_mock(sfn: Any) -> None:
    # TEST_STATE: revealSecrets shows what an EventBridge connection adds to an HTTP Task's real request; a mocked
    # state makes none: "TestState does not support RevealSecrets when a mock is specified." (recorded 2025-12-10).
    for definition in (task(End=True), HTTP):
        with pytest.raises(ClientError) as error:
            _send(sfn, {"definition": definition, "input": {}, "mock": {"result": "{}"}, "revealSecrets": True})
        assert error.value.response["Error"]["Code"] == "ValidationException"
        assert error.value.response["Error"]["Message"] == (
            "TestState does not support RevealSecrets when a mock is specified."
        )


def test_an_http_task_is_tested_with_a_mock(sfn: Any) -> None:
    # INSPECTION_REQUEST: inspectionData.request and .response are the raw HTTP exchange of an HTTP Task at TRACE.
    # The local endpoint makes no network call: an unmocked HTTP Task is refused, a mocked one answers its mock (no
    # API model holds an endpoint's answer: it is not checked) and, sending nothing, reports no exchange.
    with pytest.raises(ClientError) as error:
        _send(sfn, {"definition": HTTP, "input": {}, "inspectionLevel": "TRACE", "revealSecrets": True})
    assert error.value.response["Error"]["Code"] == "ValidationException"
    mocked = {"StatusCode": 200, "StatusText": "OK", "ResponseBody": {"id": "o-1"}}
    answer = _send(
        sfn, {"definition": HTTP, "input": {}, "inspectionLevel": "TRACE", "mock": {"result": json.dumps(mocked)}}
    )
    assert (answer["status"], json.loads(answer["output"])) == ("SUCCEEDED", mocked)
    assert not {"request", "response"} & set(answer["inspectionData"])


# --- stateConfiguration (CONFIGURATION): a Map's failed iterations, its reader's items, where an error arose ------

ITEMS = {"Values": ["first", "second", "third"]}
PROCESSOR = {
    "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
    "StartAt": "HandleItem",
    "States": {"HandleItem": {"Type": "Pass", "End": True}},
}


def _map(**fields: Any) -> dict[str, Any]:
    return {
        "Type": "Map",
        "QueryLanguage": "JSONata",
        "Items": "{% $states.input.Values %}",
        "ItemProcessor": PROCESSOR,
        "End": True,
        **fields,
    }


TOLERANT_MAP = _map(
    ToleratedFailureCount=1,
    Retry=[{"ErrorEquals": ["Other"]}, {"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "MaxAttempts": 2}],
    Catch=[{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "HandleThreshold"}],
)


def _configured(sfn: Any, definition: dict[str, Any], configuration: dict[str, Any], **request: Any) -> Any:
    sent = {
        "definition": definition,
        "input": ITEMS,
        "mock": {"result": "[1, 1, 1]"},
        "stateConfiguration": configuration,
        "inspectionLevel": "DEBUG",
        **request,
    }
    return _send(sfn, sent)


def test_failed_iterations_within_the_tolerance_succeed(sfn: Any) -> None:
    answer = _configured(sfn, TOLERANT_MAP, {"mapIterationFailureCount": 1})
    assert (answer["status"], json.loads(answer["output"])) == ("SUCCEEDED", [1, 1, 1])
    # INSPECTION: a Map's maxConcurrency (0: no limit) and its tolerance; no raw result (recorded 2025-11-18).
    data = answer["inspectionData"]
    assert (data["maxConcurrency"], data["toleratedFailureCount"], "result" in data) == (0, 1, False)


def test_failed_iterations_past_the_tolerance_fail_the_map_and_its_rules_handle_it(sfn: Any) -> None:
    # CONFIGURATION mapIterationFailureCount: two failures where one is tolerated is States.ExceedToleratedFailure-
    # Threshold; the second retrier matches it (backoff 1 s: IntervalSeconds' default), then the Catch takes it.
    retried = _configured(sfn, TOLERANT_MAP, {"mapIterationFailureCount": 2})
    assert (retried["status"], retried["error"]) == ("RETRIABLE", "States.ExceedToleratedFailureThreshold")
    assert retried["cause"] == "The specified tolerated failure threshold was exceeded"
    assert retried["inspectionData"]["errorDetails"] == {"retryIndex": 1, "retryBackoffIntervalSeconds": 1}
    caught = _configured(sfn, TOLERANT_MAP, {"mapIterationFailureCount": 2, "retrierRetryCount": 2})
    assert (caught["status"], caught["nextState"]) == ("CAUGHT_ERROR", "HandleThreshold")
    assert caught["inspectionData"]["errorDetails"] == {"catchIndex": 0}


def test_a_tolerated_percentage_is_a_share_of_the_items(sfn: Any) -> None:
    # 1 of 3 items is 33 %: within 40 %, past 30 %.
    within = _configured(sfn, _map(ToleratedFailurePercentage=40), {"mapIterationFailureCount": 1})
    past = _configured(sfn, _map(ToleratedFailurePercentage=30), {"mapIterationFailureCount": 1})
    assert within["status"] == "SUCCEEDED"
    assert within["inspectionData"]["toleratedFailurePercentage"] == 40.0
    assert (past["status"], past["error"]) == ("FAILED", "States.ExceedToleratedFailureThreshold")


def test_a_map_that_tolerates_nothing_declared_ignores_the_failure_count(sfn: Any) -> None:
    # Recorded 2025-11-13: a Map without ToleratedFailureCount or ...Percentage answers its mock.
    answer = _configured(sfn, _map(), {"mapIterationFailureCount": 2})
    assert (answer["status"], "toleratedFailureCount" in answer["inspectionData"]) == ("SUCCEEDED", False)


def test_a_jsonpath_map_reports_its_items_path(sfn: Any) -> None:
    machine = {
        "StartAt": "State0",
        "States": {"State0": {"Type": "Map", "ItemsPath": "$.Values", "ItemProcessor": PROCESSOR, "End": True}},
    }
    answer = _configured(sfn, machine, {}, stateName="State0")
    assert json.loads(answer["inspectionData"]["afterItemsPath"]) == ITEMS["Values"]


def test_an_error_caused_by_a_state_inside_fails_the_map_with_it(sfn: Any) -> None:
    # CONFIGURATION errorCausedByState: the mocked error arose in HandleItem; the Map fails with it, whatever it
    # tolerates (recorded 2025-11-13).
    error = {"errorOutput": {"error": "MockException", "cause": "Mock the error cause."}}
    answer = _configured(
        sfn,
        _map(ToleratedFailureCount=2),
        {"errorCausedByState": "HandleItem", "mapIterationFailureCount": 0},
        mock=error,
    )
    assert (answer["status"], answer["error"], answer["cause"]) == ("FAILED", "MockException", "Mock the error cause.")


def test_map_item_reader_data_stands_for_the_read(sfn: Any) -> None:
    # CONFIGURATION mapItemReaderData: "The data read by ItemReader ... as found in its original source".
    reader = {
        "ReaderConfig": {"InputType": "JSON"},
        "Resource": "arn:aws:states:::s3:getObject",
        "Arguments": {"Bucket": "{% $states.input.Bucket %}", "Key": "{% $states.input.Key %}"},
    }
    definition = _map(ItemReader=reader, MaxConcurrency=1, ToleratedFailurePercentage=50)
    del definition["Items"]
    bucket = {"Bucket": "test-bucket", "Key": "test-key"}
    read = json.dumps([1, 2, 3, 4])
    answer = _configured(sfn, definition, {"mapItemReaderData": read}, input=bucket, mock={"result": "[1, 4, 9, 16]"})
    assert (answer["status"], json.loads(answer["output"]), answer["inspectionData"]["maxConcurrency"]) == (
        "SUCCEEDED",
        [1, 4, 9, 16],
        1,
    )
    # 3 of the 4 items read failed: past 50 %.
    failed = _configured(
        sfn,
        definition,
        {"mapItemReaderData": read, "mapIterationFailureCount": 3},
        input=bucket,
        mock={"result": "[1]"},
    )
    assert failed["error"] == "States.ExceedToleratedFailureThreshold"


CONFIGURATION_REFUSED = [
    ("failure-count-on-a-task", task(End=True), {"mapIterationFailureCount": 1}, {"result": "{}"}),
    ("reader-data-without-a-reader", _map(), {"mapItemReaderData": "[1]"}, {"result": "[1]"}),
    ("error-caused-by-on-a-task", task(End=True), {"errorCausedByState": "X"}, {"errorOutput": {"error": "E"}}),
    ("error-caused-by-with-a-result", _map(), {"errorCausedByState": "HandleItem"}, {"result": "[1]"}),
    ("error-caused-by-an-unknown-state", _map(), {"errorCausedByState": "Nowhere"}, {"errorOutput": {"error": "E"}}),
]


@pytest.mark.parametrize("case", CONFIGURATION_REFUSED, ids=[case[0] for case in CONFIGURATION_REFUSED])
def test_a_configuration_for_another_state_is_refused(sfn: Any, case: tuple[Any, ...]) -> None:
    # CONFIGURATION: errorCausedByState is "when an error is mocked for a Map or Parallel state";
    # mapIterationFailureCount counts "Map state iterations"; mapItemReaderData is "read by ItemReader".
    name, definition, configuration, mock = case
    body = {"definition": definition, "input": ITEMS, "mock": mock, "stateConfiguration": configuration}
    with pytest.raises(ClientError) as error:
        sfn.test_state(**{**body, "definition": json.dumps(definition), "input": json.dumps(ITEMS)})
    assert error.value.response["Error"]["Code"] == "ValidationException", name


MOCK_FORMS = [
    # A Map's result is an array (an object when it has a ResultWriter); a Parallel's, one per branch (recorded
    # 2025-12-10 and 2026-02-25).
    ("map-result-not-an-array", _map(), '{"a": 1}', "Mocked result must be an array."),
    (
        "map-with-writer-not-an-object",
        _map(ResultWriter={"Resource": "arn:aws:states:::s3:putObject"}),
        "[1]",
        "Mocked result must be a JSON object.",
    ),
    (
        "parallel-branch-count",
        {
            "Type": "Parallel",
            "Branches": [{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}],
            "End": True,
        },
        "[1, 2]",
        "Mocked result must contain the same number of items as number of Parallel branches.",
    ),
]


@pytest.mark.parametrize("case", MOCK_FORMS, ids=[case[0] for case in MOCK_FORMS])
def test_a_map_or_parallel_mock_has_its_result_form(sfn: Any, case: tuple[Any, ...]) -> None:
    name, definition, result, message = case
    with pytest.raises(ClientError) as error:
        _send(sfn, {"definition": definition, "input": ITEMS, "mock": {"result": result}})
    assert error.value.response["Error"]["Message"] == message, name


def test_retries_used_up_and_nothing_caught_name_the_retrier(sfn: Any) -> None:
    # ERROR_DETAILS: the retrier that handled the error; with its retries used up (recorded 2025-11-22), FAILED with
    # its retryIndex and no backoff.
    definition = task("JSONata", Retry=[{"ErrorEquals": ["MockException"], "MaxAttempts": 5}], End=True)
    answer = _send(
        sfn,
        {
            "definition": definition,
            "input": {},
            "mock": error_of("MockException"),
            "stateConfiguration": {"retrierRetryCount": 5},
            "inspectionLevel": "DEBUG",
        },
    )
    assert (answer["status"], answer["inspectionData"]["errorDetails"]) == ("FAILED", {"retryIndex": 0})


def test_the_backoff_is_the_computed_one_with_full_jitter(sfn: Any) -> None:
    # ERRORS: JitterStrategy FULL makes a retry's wait random, between 0 and the computed backoff; ERROR_DETAILS's
    # retryBackoffIntervalSeconds is "the duration in seconds of the backoff": TestState reports the computed
    # IntervalSeconds x BackoffRate^retrierRetryCount (capped at MaxDelaySeconds), the same at every call.
    retrier = {"ErrorEquals": ["Boom"], "IntervalSeconds": 3, "BackoffRate": 2, "JitterStrategy": "FULL"}
    request = {
        "definition": task(Retry=[retrier], End=True),
        "input": {},
        "mock": error_of("Boom"),
        "stateConfiguration": {"retrierRetryCount": 2},
        "inspectionLevel": "DEBUG",
    }
    backoffs = {_send(sfn, request)["inspectionData"]["errorDetails"]["retryBackoffIntervalSeconds"] for _ in range(3)}
    assert backoffs == {12}


# --- an unmocked Task: the local system's real integration runs (TEST_STATE) --------------------------------------


def test_an_unmocked_lambda_task_runs_the_real_handler(sfn: Any, runtime: LocalRuntime) -> None:
    # TEST_STATE: "An AWS service integration request and response": without a mock the state calls the function;
    # locally the Lambda hook runs ValidateOrder's handler. Its Output passes the input on.
    definition = sfn.describe_state_machine(stateMachineArn=runtime.state_machine_arn)["definition"]
    order = {"orderId": "ord_01JTESTSTATEUNMOCKED0000000", "correlationId": "cid-unmocked", "order": sample_order()}
    request = {"definition": definition, "stateName": "ValidateOrder", "input": order, "inspectionLevel": "DEBUG"}
    answer = _send(sfn, request)
    assert (answer["status"], answer["nextState"], json.loads(answer["output"])) == ("SUCCEEDED", "CreateOrder", order)
    result = json.loads(answer["inspectionData"]["result"])
    assert result["StatusCode"] == 200
    assert result["Payload"] == {"valid": True, "total": "25.99", "currency": "EUR", "items": 2}
    # An order the handler refuses: its error is the function's, and the state's Catch takes it.
    refused = _send(sfn, {**request, "input": {**order, "order": sample_order(items=[])}})
    assert (refused["status"], refused["error"], refused["nextState"]) == (
        "CAUGHT_ERROR",
        "OrderValidationError",
        "RecordFailure",
    )
