"""JSONata and Variables on the local AWS endpoint, case by case, as AWS documents them.

Each case is a state machine a user could write, created and run through `orderflow up`'s endpoint by plain boto3
(nothing of orderflow's own in between), and what AWS's documentation says it does: its output, its error, or what
its Catch makes of the error. Each cites the page it follows. What stays different from AWS is listed in
docs/local-aws.md ("JSONata and variables").
"""

from __future__ import annotations

import hashlib
import json
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from mypy_boto3_stepfunctions import SFNClient

from tests.support.fixtures import local_sfn
from tests.support.machines import priced_orders
from workflow import asl
from workflow.local.runtime import LocalRuntime

DOCS = "https://docs.aws.amazon.com/step-functions/latest/dg/"
JSONATA = DOCS + "transforming-data.html"
VARIABLES = DOCS + "workflow-variables.html"
ERRORS = DOCS + "concepts-error-handling.html"
CONTEXT = DOCS + "input-output-contextobject.html"
ROLE = "arn:aws:iam::123456789012:role/conformance"


@dataclass(frozen=True)
class Case:
    id: str
    doc: str  # the AWS page the expected behaviour is taken from
    states: dict[str, Any]
    input: Any = field(default_factory=dict)
    output: Any = None  # the execution's output (SUCCEEDED), when `check` is not given
    error: str | None = None  # the execution's error (FAILED)
    cause: str | None = None  # a regular expression the cause must match
    check: Callable[[Any], None] | None = None
    language: str = "JSONata"


def machine(states: dict[str, Any], language: str = "JSONata") -> dict[str, Any]:
    return {"QueryLanguage": language, "StartAt": next(iter(states)), "States": states}


def _uuid(value: Any) -> None:
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", value["id"]), value
    assert value["seeded"][0] == value["seeded"][1], value
    assert 0 <= value["seeded"][0] < 1, value
    assert 0 <= value["unseeded"] < 1, value


CASES = [
    # --- Pass -------------------------------------------------------------------------------------------------
    Case(
        "pass-output-object",
        DOCS + "state-pass.html",
        {"P": {"Type": "Pass", "Output": {"sum": "{% $states.input.a + $states.input.b %}", "k": "lit"}, "End": True}},
        input={"a": 1, "b": 2},
        output={"sum": 3, "k": "lit"},
    ),
    Case(
        "pass-output-expression",
        JSONATA,
        {"P": {"Type": "Pass", "Output": "{% $states.input.items[price > 5].name %}", "End": True}},
        input={"items": [{"name": "a", "price": 3}, {"name": "b", "price": 7}, {"name": "c", "price": 9}]},
        output=["b", "c"],
    ),
    Case(
        "pass-no-output-passes-input",
        JSONATA,
        {"P": {"Type": "Pass", "End": True}},
        input={"keep": [1, {"x": None}]},
        output={"keep": [1, {"x": None}]},
    ),
    Case(
        "pass-context-object",
        CONTEXT,
        {
            "P": {
                "Type": "Pass",
                "Output": {
                    "input": "{% $states.context.Execution.Input.n %}",
                    "state": "{% $states.context.State.Name %}",
                },
                "End": True,
            }
        },
        input={"n": 7},
        output={"input": 7, "state": "P"},
    ),
    Case(
        "pass-undefined-output-fails",
        JSONATA,
        {"P": {"Type": "Pass", "Output": "{% $states.input.missing %}", "End": True}},
        error="States.QueryEvaluationError",
        cause=r"returned nothing \(undefined\)",
    ),
    Case(
        "pass-runtime-error-fails",
        JSONATA,
        {"P": {"Type": "Pass", "Output": "{% 1 + $states.input.s %}", "End": True}},
        input={"s": "a"},
        error="States.QueryEvaluationError",
        cause=r"\+ operator",
    ),
    # --- Variables ----------------------------------------------------------------------------------------------
    Case(
        "assign-read-later",
        VARIABLES,
        {
            "A": {"Type": "Pass", "Assign": {"x": "{% $states.input.n * 2 %}", "fixed": [1, True, None]}, "Next": "B"},
            "B": {"Type": "Pass", "Next": "C"},
            "C": {"Type": "Pass", "Output": {"x": "{% $x %}", "fixed": "{% $fixed %}"}, "End": True},
        },
        input={"n": 21},
        output={"x": 42, "fixed": [1, True, None]},
    ),
    Case(
        # "Assign … the new values are available in the next state": the same state's Output sees the old value.
        "assign-takes-effect-after-output",
        VARIABLES,
        {
            "A": {"Type": "Pass", "Assign": {"x": 1}, "Next": "B"},
            "B": {"Type": "Pass", "Assign": {"x": 2}, "Output": {"seen": "{% $x %}"}, "Next": "C"},
            "C": {"Type": "Pass", "Output": {"before": "{% $states.input.seen %}", "now": "{% $x %}"}, "End": True},
        },
        output={"before": 1, "now": 2},
    ),
    Case(
        # Every expression in one Assign reads the values the state was entered with.
        "assign-values-from-state-entry",
        VARIABLES,
        {
            "A": {"Type": "Pass", "Assign": {"a": 1, "b": 10}, "Next": "B"},
            "B": {"Type": "Pass", "Assign": {"a": "{% $b %}", "b": "{% $a %}"}, "Next": "C"},
            "C": {"Type": "Pass", "Output": {"a": "{% $a %}", "b": "{% $b %}"}, "End": True},
        },
        output={"a": 10, "b": 1},
    ),
    Case(
        "assign-string-with-quotes",
        VARIABLES,
        {
            "A": {"Type": "Pass", "Assign": {"s": 'say "hi" \\ to\nall'}, "Next": "B"},
            "B": {"Type": "Pass", "Output": "{% $s & '!' %}", "End": True},
        },
        output='say "hi" \\ to\nall!',
    ),
    Case(
        "jsonpath-choice-reads-variable",
        VARIABLES,
        {
            "A": {"Type": "Pass", "Assign": {"counter": 5}, "Next": "C"},
            "C": {
                "Type": "Choice",
                "Choices": [{"Variable": "$counter", "NumericGreaterThan": 3, "Next": "Big"}],
                "Default": "Small",
            },
            "Big": {"Type": "Pass", "Parameters": {"counter.$": "$counter"}, "End": True},
            "Small": {"Type": "Fail", "Error": "TookDefault"},
        },
        output={"counter": 5},
        language="JSONPath",
    ),
    # --- Choice ---------------------------------------------------------------------------------------------------
    Case(
        "choice-condition",
        DOCS + "state-choice.html",
        {
            "C": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% $states.input.n > 10 %}", "Next": "Big"}],
                "Default": "Small",
                "Output": {"went": "default"},
            },
            "Big": {"Type": "Succeed", "Output": {"went": "big"}},
            "Small": {"Type": "Succeed"},
        },
        input={"n": 3},
        output={"went": "default"},
    ),
    Case(
        "choice-rule-assign-output",
        DOCS + "state-choice.html",
        {
            "C": {
                "Type": "Choice",
                "Choices": [
                    {
                        "Condition": "{% $states.input.n > 10 %}",
                        "Assign": {"size": "big"},
                        "Output": {"n": "{% $states.input.n %}"},
                        "Next": "D",
                    }
                ],
                "Default": "D",
                "Assign": {"size": "small"},
            },
            "D": {"Type": "Pass", "Output": {"size": "{% $size %}", "in": "{% $states.input %}"}, "End": True},
        },
        input={"n": 30},
        output={"size": "big", "in": {"n": 30}},
    ),
    # --- Map and Parallel -------------------------------------------------------------------------------------------
    Case(
        "map-items-itemselector",
        DOCS + "state-map-inline.html",
        {
            "A": {"Type": "Pass", "Assign": {"factor": 10}, "Next": "M"},
            "M": {
                "Type": "Map",
                "Items": "{% $states.input.values %}",
                "ItemSelector": {
                    "value": "{% $states.context.Map.Item.Value %}",
                    "index": "{% $states.context.Map.Item.Index %}",
                },
                "ItemProcessor": {
                    "ProcessorConfig": {"Mode": "INLINE"},
                    "StartAt": "Times",
                    "States": {
                        "Times": {
                            "Type": "Pass",
                            "Assign": {"inner": 1},
                            "Output": "{% $states.input.value * $factor + $states.input.index %}",
                            "End": True,
                        }
                    },
                },
                "Output": {"results": "{% $states.result %}", "sum": "{% $sum($states.result) %}"},
                "End": True,
            },
        },
        input={"values": [1, 2, 3]},
        output={"results": [10, 21, 32], "sum": 63},
    ),
    Case(
        "parallel-arguments-result",
        DOCS + "state-parallel.html",
        {
            "P": {
                "Type": "Parallel",
                "Arguments": {"who": "{% $states.input.name %}"},
                "Branches": [
                    {
                        "StartAt": "Hi",
                        "States": {"Hi": {"Type": "Pass", "Output": "{% 'hi ' & $states.input.who %}", "End": True}},
                    },
                    {
                        "StartAt": "Len",
                        "States": {"Len": {"Type": "Pass", "Output": "{% $length($states.input.who) %}", "End": True}},
                    },
                ],
                "Assign": {"both": "{% $states.result %}"},
                "Next": "Z",
            },
            "Z": {"Type": "Succeed", "Output": "{% $both %}"},
        },
        input={"name": "ada"},
        output=["hi ada", 3],
    ),
    # --- Wait, Fail, Succeed ------------------------------------------------------------------------------------------
    Case(
        "wait-seconds-expression",
        DOCS + "state-wait.html",
        {
            "W": {
                "Type": "Wait",
                "Seconds": "{% $states.input.s %}",
                "Output": {"waited": "{% $states.input.s %}"},
                "End": True,
            }
        },
        input={"s": 0},
        output={"waited": 0},
    ),
    Case(
        "fail-error-cause-expressions",
        DOCS + "state-fail.html",
        {
            "F": {
                "Type": "Fail",
                "Error": "{% 'Order.' & $states.input.code %}",
                "Cause": "{% 'order ' & $states.input.id & ' was refused' %}",
            }
        },
        input={"code": "Refused", "id": "o-1"},
        error="Order.Refused",
        cause=r"^order o-1 was refused$",
    ),
    # --- The functions Step Functions adds --------------------------------------------------------------------------
    Case(
        "functions-partition-range-hash-parse",
        JSONATA,
        {
            "P": {
                "Type": "Pass",
                "Output": {
                    "partition": "{% $partition([1,2,3,4,5], 2) %}",
                    "range": "{% $range(0, 10, 5) %}",
                    "hash": "{% $hash('orderflow', 'SHA-256') %}",
                    "parse": "{% $parse($states.input.json).a %}",
                },
                "End": True,
            }
        },
        input={"json": '{"a": [1, null]}'},
        output={
            "partition": [[1, 2], [3, 4], [5]],
            "range": [0, 5, 10],
            "hash": hashlib.sha256(b"orderflow").hexdigest(),
            "parse": [1, None],
        },
    ),
    Case(
        "functions-uuid-random",
        JSONATA,
        {
            "P": {
                "Type": "Pass",
                "Output": {
                    "id": "{% $uuid() %}",
                    "seeded": "{% [$random(42), $random(42)] %}",
                    "unseeded": "{% $random() %}",
                },
                "End": True,
            }
        },
        check=_uuid,
    ),
    # AWS accepts a definition reading a variable no state in scope assigns; the read fails when it runs (recorded
    # on AWS, November 2024: "The JSONata expression '$doesNotExist' specified for the field 'Output/result'
    # returned nothing (undefined).").
    Case(
        "unassigned-variable",
        VARIABLES,
        {"P": {"Type": "Pass", "Output": "{% $nobody %}", "End": True}},
        error="States.QueryEvaluationError",
        cause=r"'\$nobody' specified for the field 'Output' returned nothing \(undefined\)",
    ),
    Case(
        "inner-scope-variable-read-outside",
        VARIABLES,
        {
            "M": {
                "Type": "Map",
                "Items": "{% [1] %}",
                "ItemProcessor": {
                    "StartAt": "I",
                    "States": {"I": {"Type": "Pass", "Assign": {"inner": 1}, "End": True}},
                },
                "Next": "After",
            },
            "After": {"Type": "Pass", "Output": "{% $inner %}", "End": True},
        },
        error="States.QueryEvaluationError",
        cause=r"'\$inner' specified for the field 'Output' returned nothing \(undefined\)",
    ),
    Case(
        "function-argument-error",
        JSONATA,
        {"P": {"Type": "Pass", "Output": "{% $hash('x', 'CRC32') %}", "End": True}},
        error="States.QueryEvaluationError",
        cause=r"algorithm",
    ),
]


@pytest.fixture(scope="module")
def sfn(runtime: LocalRuntime) -> SFNClient:
    return local_sfn(runtime)


@pytest.fixture(scope="module")
def dynamodb(runtime: LocalRuntime) -> Iterator[Any]:
    endpoint = runtime.aws_endpoint or runtime.serve_aws(port=0)
    client = boto3.client(
        "dynamodb",
        endpoint_url=endpoint,
        region_name=runtime.config.region,
        aws_access_key_id="conformance",
        aws_secret_access_key="conformance",
    )
    table = f"conformance-{uuid.uuid4().hex[:8]}"
    client.create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    yield table
    client.delete_table(TableName=table)


def execute(sfn: SFNClient, definition: dict[str, Any], execution_input: Any) -> dict[str, Any]:
    arn = sfn.create_state_machine(
        name=f"conformance-{uuid.uuid4().hex[:12]}", definition=json.dumps(definition), roleArn=ROLE
    )["stateMachineArn"]
    try:
        execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(execution_input))["executionArn"]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            described = sfn.describe_execution(executionArn=execution)
            if described["status"] != "RUNNING":
                return dict(described)
            time.sleep(0.02)
        raise AssertionError(f"{execution} still running after 20 s")
    finally:
        sfn.delete_state_machine(stateMachineArn=arn)


def why(described: dict[str, Any]) -> tuple[str, str, str]:
    return described["status"], described.get("error", ""), described.get("cause", "")


def _outcome(case: Case, described: dict[str, Any]) -> None:
    if case.error is not None:
        assert described["status"] == "FAILED", described
        assert described.get("error") == case.error, described
        if case.cause is not None:
            assert re.search(case.cause, described.get("cause", "")), described
        return
    assert described["status"] == "SUCCEEDED", why(described)
    output = json.loads(described["output"])
    if case.check is not None:
        case.check(output)
    else:
        assert output == case.output


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_state_machine(sfn: SFNClient, case: Case) -> None:
    _outcome(case, execute(sfn, machine(case.states, case.language), case.input))


# --- Task states: Arguments, Output, Assign and Catch around a real service integration -----------------------------


def task_machine(table: str, arguments: dict[str, Any], catch: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    task: dict[str, Any] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::dynamodb:putItem",
        "Arguments": {"TableName": table, **arguments},
        "Output": {"written": "{% $states.input.id %}", "result": "{% $type($states.result) %}"},
        "Assign": {"wrote": "{% $states.input.id %}"},
        "Next": "Read",
    }
    if catch is not None:
        task["Catch"] = catch
    return machine(
        {
            "Write": task,
            "Read": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:getItem",
                "Arguments": {"TableName": table, "Key": {"id": {"S": "{% $wrote %}"}}},
                "Output": {"item": "{% $states.result.Item %}", "before": "{% $states.input %}"},
                "End": True,
            },
            "Caught": {"Type": "Pass", "Output": {"caught": "{% $states.input %}", "why": "{% $why %}"}, "End": True},
        }
    )


def test_task_arguments_output_assign(sfn: SFNClient, dynamodb: str) -> None:
    """DOCS state-task.html + connect-ddb.html: Arguments build the request, $states.result is the response."""
    definition = task_machine(
        dynamodb,
        {"Item": {"id": {"S": "{% $states.input.id %}"}, "n": {"N": "{% $string($states.input.n) %}"}}},
        catch=[{"ErrorEquals": ["States.ALL"], "Assign": {"why": "unused"}, "Next": "Caught"}],
    )
    described = execute(sfn, definition, {"id": "item-1", "n": 5})
    assert described["status"] == "SUCCEEDED", why(described)
    assert json.loads(described["output"]) == {
        "item": {"id": {"S": "item-1"}, "n": {"N": "5"}},
        "before": {"written": "item-1", "result": "object"},
    }


def test_arguments_failure_is_catchable_query_evaluation_error(sfn: SFNClient, dynamodb: str) -> None:
    """ERRORS: States.QueryEvaluationError is raised when a JSONata expression fails, and can be caught (moto alone
    reports a DynamoDB task's as DynamoDB.AmazonDynamoDBException)."""
    definition = task_machine(
        dynamodb,
        {"Item": {"id": {"S": "{% $states.input.missing.id %}"}}},
        catch=[
            {
                "ErrorEquals": ["States.QueryEvaluationError"],
                "Assign": {"why": "{% $states.errorOutput.Error %}"},
                "Output": "{% $states.errorOutput %}",
                "Next": "Caught",
            }
        ],
    )
    described = execute(sfn, definition, {"id": "item-2"})
    assert described["status"] == "SUCCEEDED", why(described)
    output = json.loads(described["output"])
    assert output["why"] == "States.QueryEvaluationError"
    assert output["caught"]["Error"] == "States.QueryEvaluationError"
    assert "returned nothing" in output["caught"]["Cause"]


def test_service_error_caught_with_error_output(sfn: SFNClient, dynamodb: str) -> None:
    """ERRORS + VARIABLES: a Catch's Output and Assign read $states.errorOutput; its Assign reaches the next state."""
    definition = task_machine(
        f"{dynamodb}-absent",
        {"Item": {"id": {"S": "{% $states.input.id %}"}}},
        catch=[
            {
                "ErrorEquals": ["States.ALL"],
                "Assign": {"why": "{% $states.errorOutput.Error %}"},
                "Output": {"error": "{% $states.errorOutput.Error %}", "input": "{% $states.input %}"},
                "Next": "Caught",
            }
        ],
    )
    described = execute(sfn, definition, {"id": "item-3"})
    assert described["status"] == "SUCCEEDED", why(described)
    output = json.loads(described["output"])
    assert output["why"] == "DynamoDB.ResourceNotFoundException"
    assert output["caught"] == {"error": "DynamoDB.ResourceNotFoundException", "input": {"id": "item-3"}}


def test_hand_written_order_machine(sfn: SFNClient) -> None:
    """A user's JSONata state machine end to end: Pass, Choice, Map, Assign and Catch, as AWS's pages describe each."""
    definition = machine(
        {
            "Start": {
                "Type": "Pass",
                "Assign": {"customer": "{% $states.input.customer %}", "limit": 100},
                "Output": {"lines": "{% $states.input.lines %}"},
                "Next": "Price",
            },
            "Price": {
                "Type": "Map",
                "Items": "{% $states.input.lines %}",
                "ItemProcessor": {
                    "StartAt": "Line",
                    "States": {
                        "Line": {
                            "Type": "Pass",
                            "Output": "{% $states.input.qty * $states.input.price %}",
                            "End": True,
                        }
                    },
                },
                "Assign": {"total": "{% $sum($states.result) %}"},
                "Catch": [
                    {
                        "ErrorEquals": ["States.QueryEvaluationError"],
                        "Assign": {"total": 0},
                        "Output": {"rejected": "{% $customer %}", "why": "{% $states.errorOutput.Error %}"},
                        "Next": "Rejected",
                    }
                ],
                "Next": "Check",
            },
            "Check": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% $total > $limit %}", "Next": "TooBig"}],
                "Default": "Done",
            },
            "TooBig": {"Type": "Fail", "Error": "OverLimit", "Cause": "{% $customer & ': ' & $string($total) %}"},
            "Rejected": {"Type": "Pass", "Output": "{% $merge([$states.input, {'total': $total}]) %}", "End": True},
            "Done": {"Type": "Succeed", "Output": {"customer": "{% $customer %}", "total": "{% $total %}"}},
        }
    )
    small = execute(sfn, definition, {"customer": "ada", "lines": [{"qty": 2, "price": 10}, {"qty": 1, "price": 5}]})
    assert small["status"] == "SUCCEEDED", why(small)
    assert json.loads(small["output"]) == {"customer": "ada", "total": 25}
    big = execute(sfn, definition, {"customer": "bob", "lines": [{"qty": 20, "price": 10}]})
    assert (big["status"], big.get("error"), big.get("cause")) == ("FAILED", "OverLimit", "bob: 200"), (
        big.get("error"),
        big.get("cause"),
    )
    # A line without a price: its iteration's Output is undefined, the Map fails, its Catch takes over.
    broken = execute(sfn, definition, {"customer": "cy", "lines": [{"qty": 1, "price": 1}, {"qty": 2}]})
    assert broken["status"] == "SUCCEEDED", why(broken)
    assert json.loads(broken["output"]) == {"rejected": "cy", "why": "States.QueryEvaluationError", "total": 0}


# --- What CreateStateMachine and UpdateStateMachine refuse --------------------------------------------------------

REFUSED = [
    ("syntax", {"P": {"Type": "Pass", "Output": "{% 1 + %}", "End": True}}, r"does not parse"),
    ("eval", {"P": {"Type": "Pass", "Output": "{% $eval('1') %}", "End": True}}, r"\$eval"),
    (
        "jsonpath-field-in-jsonata",
        {"P": {"Type": "Pass", "ResultPath": "$.x", "End": True}},
        r"ResultPath|JSONPath",
    ),
    (
        "reserved-variable-name",
        {"P": {"Type": "Pass", "Assign": {"states": 1}, "End": True}},
        r"reserved",
    ),
    (
        "invalid-variable-name",
        {"P": {"Type": "Pass", "Assign": {"1st": 1}, "End": True}},
        r"not a variable name",
    ),
]


@pytest.mark.parametrize(("states", "message"), [(s, m) for _, s, m in REFUSED], ids=[i for i, _, _ in REFUSED])
def test_create_refuses(sfn: SFNClient, states: dict[str, Any], message: str) -> None:
    """JSONATA + VARIABLES: AWS validates a definition's expressions and variable names when it is created (a read of
    a variable no state assigns is not refused: it fails at run time, see the unassigned-variable cases)."""
    with pytest.raises(ClientError) as refused:
        sfn.create_state_machine(
            name=f"refused-{uuid.uuid4().hex[:8]}", definition=json.dumps(machine(states)), roleArn=ROLE
        )
    assert refused.value.response["Error"]["Code"] == "InvalidDefinition"
    assert re.search(message, refused.value.response["Error"]["Message"]), refused.value.response


def test_jsonata_field_in_jsonpath_state_refused(sfn: SFNClient) -> None:
    definition = {"StartAt": "P", "States": {"P": {"Type": "Pass", "Output": {"a": 1}, "End": True}}}
    with pytest.raises(ClientError) as refused:
        sfn.create_state_machine(
            name=f"refused-{uuid.uuid4().hex[:8]}", definition=json.dumps(definition), roleArn=ROLE
        )
    assert refused.value.response["Error"]["Code"] == "InvalidDefinition"


def test_update_refuses_a_bad_expression(sfn: SFNClient) -> None:
    good = machine({"P": {"Type": "Pass", "Output": "{% 1 %}", "End": True}})
    arn = sfn.create_state_machine(name=f"update-{uuid.uuid4().hex[:8]}", definition=json.dumps(good), roleArn=ROLE)[
        "stateMachineArn"
    ]
    try:
        bad = machine({"P": {"Type": "Pass", "Output": "{% ( %}", "End": True}})
        with pytest.raises(ClientError) as refused:
            sfn.update_state_machine(stateMachineArn=arn, definition=json.dumps(bad))
        assert refused.value.response["Error"]["Code"] == "InvalidDefinition"
        assert json.loads(sfn.describe_state_machine(stateMachineArn=arn)["definition"]) == good
    finally:
        sfn.delete_state_machine(stateMachineArn=arn)


def test_a_refused_definition_leaves_nothing_behind(sfn: SFNClient) -> None:
    """moto's parser kept a refused definition's query-language scope, so the next JSONPath definition was read as
    JSONata (and refused, or run wrongly)."""
    refused = machine({"P": {"Type": "Pass", "ResultPath": "$.x", "End": True}})
    with pytest.raises(ClientError):
        sfn.create_state_machine(name=f"refused-{uuid.uuid4().hex[:8]}", definition=json.dumps(refused), roleArn=ROLE)
    jsonpath = machine({"P": {"Type": "Pass", "Parameters": {"a.$": "$.a"}, "End": True}}, language="JSONPath")
    described = execute(sfn, jsonpath, {"a": 1})
    assert described["status"] == "SUCCEEDED", why(described)
    assert json.loads(described["output"]) == {"a": 1}


def test_a_dsl_authored_jsonata_machine_runs(sfn: SFNClient) -> None:
    """The same kind of machine written in Python with workflow.dsl, compiled and run on the local endpoint."""
    definition = asl.compile_chain(priced_orders(), query_language="JSONata")
    small = execute(sfn, definition, {"customer": "ada", "lines": [{"qty": 2}, {"qty": 3}]})
    assert small["status"] == "SUCCEEDED", why(small)
    assert json.loads(small["output"]) == {"customer": "ada", "total": 10}
    big = execute(sfn, definition, {"customer": "bob", "lines": [{"qty": 60}]})
    assert (big["status"], big.get("error")) == ("FAILED", "Over"), why(big)


def test_a_failed_attempts_assign_never_happens(sfn: SFNClient, dynamodb: str) -> None:
    """VARIABLES: a state's Assign takes effect only when the state succeeds. Here the task's Assign is evaluated,
    then its ResultSelector fails and a Catch (without an Assign of its own) takes over: x keeps its old value."""
    definition = {
        "StartAt": "Set",
        "States": {
            "Set": {"Type": "Pass", "Assign": {"x": 1}, "Next": "Get"},
            "Get": {
                "Type": "Task",
                "Resource": "arn:aws:states:::dynamodb:getItem",
                "Parameters": {"TableName": dynamodb, "Key": {"id": {"S": "absent"}}},
                "Assign": {"x": 2},
                "ResultSelector": {"item.$": "$.Item.id"},
                "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": None, "Next": "Read"}],
                "Next": "Read",
            },
            "Read": {"Type": "Pass", "Parameters": {"x.$": "$x"}, "End": True},
        },
    }
    described = execute(sfn, definition, {})
    assert described["status"] == "SUCCEEDED", why(described)
    assert json.loads(described["output"]) == {"x": 1}
