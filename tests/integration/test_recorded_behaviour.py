"""JSONata, the context object and the history API on the local AWS endpoint, as AWS records them (issue 24).

Plain boto3 against `orderflow up`'s endpoint, as tests/integration/test_jsonata_conformance.py does. Each test cites
the AWS page, or the answer recorded on AWS, it holds the endpoint to.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from mypy_boto3_stepfunctions import SFNClient

from tests.support.executions import ROLE, execute, history
from tests.support.fixtures import local_sfn
from workflow.local.runtime import LocalRuntime

DOCS = "https://docs.aws.amazon.com/step-functions/latest/dg/"
CONTEXT = DOCS + "input-output-contextobject.html"
VARIABLES = DOCS + "workflow-variables.html"
HISTORY = "https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html"
# AWS's timestamps in the context object, e.g. "2024-11-05T10:12:24.539Z" (recorded on AWS, November 2024).
AWS_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


@pytest.fixture(scope="module")
def sfn(runtime: LocalRuntime) -> SFNClient:
    return local_sfn(runtime)


@pytest.fixture
def machines(sfn: SFNClient) -> Iterator[list[str]]:
    made: list[str] = []
    yield made
    for arn in made:
        sfn.delete_state_machine(stateMachineArn=arn)


def jsonata(states: dict[str, Any]) -> dict[str, Any]:
    return {"QueryLanguage": "JSONata", "StartAt": next(iter(states)), "States": states}


def _execution_fields(execution: dict[str, Any], arn: str, given: Any) -> None:
    assert execution["Id"] == arn
    assert execution["Input"] == given
    assert execution["Name"] == arn.rsplit(":", 1)[1]
    assert execution["RoleArn"] == ROLE
    assert AWS_TIMESTAMP.fullmatch(execution["StartTime"]), execution
    assert execution["RedriveCount"] == 0
    assert "RedriveTime" not in execution  # only after a redrive


def test_context_fields_are_typed_as_aws_types_them(sfn: SFNClient, machines: list[str]) -> None:
    """CONTEXT: Execution {Id, Input, Name, RoleArn, StartTime, RedriveCount}, State {EnteredTime, Name} (RetryCount
    only in a state that retries: a Pass state's recorded on AWS has none, tests/integration/recorded_aws/cases.json),
    StateMachine {Id, Name}; Map.Item {Index, Value} inside a Map; Task only for a callback. Timestamps are ISO 8601
    with milliseconds and Z, as recorded on AWS ("2024-11-05T10:12:24.539Z"); `$states.context.Execution.StartTime`
    alone is that string (it failed with States.QueryEvaluationError)."""
    given = {"n": 1, "items": ["a"]}
    definition = jsonata(
        {
            "Start": {
                "Type": "Pass",
                "Output": {
                    "started": "{% $states.context.Execution.StartTime %}",
                    "redrives": "{% $states.context.Execution.RedriveCount %}",
                    "context": "{% $states.context %}",
                },
                "Next": "Map",
            },
            "Map": {
                "Type": "Map",
                "Items": "{% $states.context.Execution.Input.items %}",
                "ItemSelector": {"item": "{% $states.context.Map.Item %}"},
                "ItemProcessor": {
                    "StartAt": "Inner",
                    "States": {"Inner": {"Type": "Pass", "End": True}},
                },
                "Output": {"first": "{% $states.input %}", "items": "{% $states.result %}"},
                "End": True,
            },
        }
    )
    arn, described = execute(sfn, machines, definition, given)
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    first, items = output["first"], output["items"]
    assert AWS_TIMESTAMP.fullmatch(first["started"]), first
    assert first["redrives"] == 0
    context = first["context"]
    _execution_fields(context["Execution"], arn, given)
    assert context["Execution"]["StartTime"] == first["started"]
    state = context["State"]
    assert state["Name"] == "Start"
    assert "RetryCount" not in state
    assert AWS_TIMESTAMP.fullmatch(state["EnteredTime"]), state
    assert context["StateMachine"]["Id"] == machines[-1]
    assert context["StateMachine"]["Name"] == machines[-1].rsplit(":", 1)[1]
    assert "Task" not in context
    assert "Map" not in context
    assert items == [{"item": {"Index": 0, "Value": "a"}}]


def test_jsonpath_context_fields_are_the_same(sfn: SFNClient, machines: list[str]) -> None:
    """CONTEXT: `$$` in a JSONPath state is the same object, typed the same way."""
    given = {"k": "v"}
    definition = {
        "StartAt": "P",
        "States": {
            "P": {
                "Type": "Pass",
                "Parameters": {"started.$": "$$.Execution.StartTime", "context.$": "$$"},
                "End": True,
            }
        },
    }
    arn, described = execute(sfn, machines, definition, given)
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    _execution_fields(output["context"]["Execution"], arn, given)
    assert output["started"] == output["context"]["Execution"]["StartTime"]
    assert output["context"]["State"] == {
        "EnteredTime": output["context"]["State"]["EnteredTime"],
        "Name": "P",
    }


def test_every_context_field_survives_the_api(sfn: SFNClient, machines: list[str]) -> None:
    """No 5xx from the local AWS endpoint, whatever an execution produced: every context field (a Map's, a Task's
    included) goes into an execution's output, its Assign and its history, and DescribeExecution and
    GetExecutionHistory answer them as JSON (an output holding StartTime answered HTTP 500 InternalFailure)."""
    definition = jsonata(
        {
            "Whole": {
                "Type": "Pass",
                "Assign": {"seen": "{% $states.context %}"},
                "Output": "{% $states.context %}",
                "Next": "Map",
            },
            "Map": {
                "Type": "Map",
                "Items": "{% [1, 2] %}",
                "ItemProcessor": {
                    "StartAt": "Inner",
                    "States": {"Inner": {"Type": "Pass", "Output": "{% $states.context %}", "End": True}},
                },
                "Output": {"outer": "{% $seen %}", "inner": "{% $states.result %}", "here": "{% $states.context %}"},
                "End": True,
            },
        }
    )
    arn, described = execute(sfn, machines, definition, {"deep": {"list": [1, None, "x"]}})
    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])
    contexts = [output["outer"], output["here"], *output["inner"]]
    for context in contexts:
        _execution_fields(context["Execution"], arn, {"deep": {"list": [1, None, "x"]}})
        assert AWS_TIMESTAMP.fullmatch(context["State"]["EnteredTime"]), context
    assert [inner["Map"]["Item"] for inner in output["inner"]] == [{"Index": 0, "Value": 1}, {"Index": 1, "Value": 2}]
    events = history(sfn, arn, maxResults=3)
    for event in events:
        for details in event.values():
            if isinstance(details, dict):
                for key in ("input", "output"):
                    if isinstance(details.get(key), str):
                        json.loads(details[key])  # every payload in the history is JSON
    assert events[-1]["type"] == "ExecutionSucceeded"
    assert json.loads(events[-1]["executionSucceededEventDetails"]["output"]) == output


def test_range_unwraps_a_single_item(sfn: SFNClient, machines: list[str]) -> None:
    """Recorded on AWS: `$range(1, 9, 9)` outputs 1, not [1] (JSONata unwraps a one-item sequence); an empty range
    is nothing, so `$exists` says false and an array constructor keeps [] (DOCS transforming-data.html)."""
    definition = jsonata(
        {
            "P": {
                "Type": "Pass",
                "Output": {
                    "one": "{% $range(1, 9, 9) %}",
                    "wrapped": "{% [$range(1, 9, 9)] %}",
                    "many": "{% $range(0, 9, 3) %}",
                    "empty": "{% [$range(3, 0, 1)] %}",
                    "emptyExists": "{% $exists($range(3, 0, 1)) %}",
                },
                "End": True,
            }
        }
    )
    _, described = execute(sfn, machines, definition, {})
    assert described["status"] == "SUCCEEDED", described
    assert json.loads(described["output"]) == {
        "one": 1,
        "wrapped": [1],
        "many": [0, 3, 6, 9],
        "empty": [],
        "emptyExists": False,
    }


@pytest.mark.parametrize(
    ("state", "field"),
    [
        ({"Type": "Pass", "Output": {"result": "{% $doesNotExist %}"}, "End": True}, "Output/result"),
        ({"Type": "Pass", "Output": "{% $doesNotExist %}", "End": True}, "Output"),
        ({"Type": "Pass", "Assign": {"x": "{% $doesNotExist %}"}, "End": True}, "Assign/x"),
        (
            {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage",
                "Arguments": {"QueueUrl": "{% $doesNotExist %}", "MessageBody": "m"},
                "End": True,
            },
            "Arguments/QueueUrl",
        ),
    ],
    ids=["output-field", "output", "assign", "arguments-field"],
)
def test_an_undefined_variable_fails_at_run_time(
    sfn: SFNClient, machines: list[str], state: dict[str, Any], field: str
) -> None:
    """VARIABLES (scope errors are run-time errors) and the answer recorded on AWS (November 2024): the definition is
    accepted and the execution fails with States.QueryEvaluationError, "An error occurred while executing the state
    'S' (entered at the event id #2). The JSONata expression '$doesNotExist' specified for the field 'Output/result'
    returned nothing (undefined)." The prefix is said once."""
    _, described = execute(sfn, machines, jsonata({"S": state}), {})
    assert (described["status"], described.get("error")) == ("FAILED", "States.QueryEvaluationError"), described
    assert described["cause"] == (
        "An error occurred while executing the state 'S' (entered at the event id #2). The JSONata expression "
        f"'$doesNotExist' specified for the field '{field}' returned nothing (undefined)."
    )


def test_an_undefined_variable_in_a_later_state_fails_there(sfn: SFNClient, machines: list[str]) -> None:
    """VARIABLES: a variable assigned by a state that did not run is not there when a later state reads it."""
    definition = jsonata(
        {
            "C": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% false %}", "Assign": {"x": 1}, "Next": "Read"}],
                "Default": "Read",
            },
            "Read": {"Type": "Pass", "Output": {"x": "{% $x %}"}, "End": True},
        }
    )
    _, described = execute(sfn, machines, definition, {})
    assert described.get("error") == "States.QueryEvaluationError", described
    assert described["cause"].startswith("An error occurred while executing the state 'Read' (entered at the event id")
    assert described["cause"].count("An error occurred") == 1
    assert "specified for the field 'Output/x' returned nothing (undefined)." in described["cause"]


def test_history_reverse_order_max_results_and_paging(sfn: SFNClient, machines: list[str]) -> None:
    """HISTORY: reverseOrder lists the newest event first; maxResults bounds a page; nextToken gives the next one
    (clients read the last event cheaply with reverseOrder and maxResults=1)."""
    states: dict[str, Any] = {f"S{i}": {"Type": "Pass", "Next": f"S{i + 1}"} for i in range(5)}
    states["S5"] = {"Type": "Pass", "End": True}
    arn, described = execute(sfn, machines, jsonata(states), {})
    assert described["status"] == "SUCCEEDED", described
    everything = sfn.get_execution_history(executionArn=arn, maxResults=1000)
    ids = [event["id"] for event in everything["events"]]
    assert ids == list(range(1, len(ids) + 1))
    assert "nextToken" not in everything
    last = sfn.get_execution_history(executionArn=arn, reverseOrder=True, maxResults=1)
    assert [event["type"] for event in last["events"]] == ["ExecutionSucceeded"]
    assert "nextToken" in last
    assert [event["id"] for event in history(sfn, arn, maxResults=4)] == ids
    assert [event["id"] for event in history(sfn, arn, maxResults=5, reverseOrder=True)] == ids[::-1]
    page = sfn.get_execution_history(executionArn=arn, maxResults=4)
    assert len(page["events"]) == 4
    with pytest.raises(sfn.exceptions.InvalidToken):
        sfn.get_execution_history(executionArn=arn, maxResults=4, nextToken="not-a-token")
