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
        "map-without-mock",
        TEST_STATE,
        {
            "definition": {
                "Type": "Map",
                "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
                "End": True,
            }
        },
        "ValidationException",
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
        "ValidationException",
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


@pytest.mark.parametrize("refused", REFUSED, ids=[r[0] for r in REFUSED])
def test_test_state_refuses_what_aws_refuses(sfn: Any, refused: tuple[str, str, dict[str, Any], str]) -> None:
    name, doc, request, code = refused
    with pytest.raises(ClientError) as error:
        _send(sfn, {"input": {}, **request})
    assert error.value.response["Error"]["Code"] == code, f"{name}: {doc}"
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_mocked_map_and_parallel_take_the_mock_as_their_result(sfn: Any) -> None:
    # TEST_STATE: "TestState only supports the following when a mock is specified: ... Parallel, or Map states."
    parallel = {
        "Type": "Parallel",
        "Branches": [{"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}],
        "Next": "N",
    }
    answer = _send(sfn, {"definition": parallel, "input": {}, "mock": {"result": "[1, 2]"}})
    assert (answer["status"], json.loads(answer["output"]), answer["nextState"]) == ("SUCCEEDED", [1, 2], "N")
