"""workflow.testing, the pytest kit: its in-process endpoint installs the emulator's patch table and undoes it (or
leaves a running local system's alone), TestState answers come back typed, and a whole definition runs to its end
with its path, each state's input and output, and its events. In-process moto: no port, no network."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from workflow.emulator import patches
from workflow.testing import StateResult, local_stepfunctions, run_case, run_definition, test_state

MACHINE = {
    "QueryLanguage": "JSONata",
    "StartAt": "Add",
    "States": {
        "Add": {"Type": "Pass", "Output": {"n": "{% $states.input.n + 1 %}"}, "Next": "Big?"},
        "Big?": {
            "Type": "Choice",
            "Choices": [{"Condition": "{% $states.input.n > 1 %}", "Next": "Done"}],
            "Default": "TooSmall",
        },
        "Done": {"Type": "Succeed"},
        "TooSmall": {"Type": "Fail", "Error": "TooSmall", "Cause": "n stayed small"},
    },
}


def test_the_endpoint_installs_the_patch_table_and_undoes_it() -> None:
    before = patches.installed()
    with local_stepfunctions():
        outer = patches.installed()
        assert outer
        with local_stepfunctions():  # nested: the outer block's table serves it, untouched
            assert patches.installed() == outer
        assert patches.installed() == outer  # leaving the inner block undid nothing of the outer's
    assert patches.installed() == before


def test_test_state_returns_a_typed_result() -> None:
    task = {
        "Type": "Task",
        "QueryLanguage": "JSONata",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Arguments": {"FunctionName": "f", "Payload": "{% $states.input %}"},
        "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 3, "BackoffRate": 2, "MaxAttempts": 2}],
        "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed"}],
        "Next": "Then",
    }
    with local_stepfunctions():
        done = test_state(task, {"a": 1}, mock_result={"StatusCode": 200, "Payload": 7})
        retried = test_state(task, {}, mock_error=("Busy", "later"), retrier_retry_count=1)
        caught = test_state(task, {}, mock_error=("Busy", "later"), retrier_retry_count=2)
    assert isinstance(done, StateResult)
    assert (done.status, done.next_state, done.output) == ("SUCCEEDED", "Then", {"StatusCode": 200, "Payload": 7})
    assert done.inspection is not None
    assert done.inspection.after_arguments == {"FunctionName": "f", "Payload": {"a": 1}}
    assert (retried.status, retried.retry_index, retried.retry_backoff_seconds) == ("RETRIABLE", 0, 6)
    assert (caught.status, caught.catch_index, caught.next_state) == ("CAUGHT_ERROR", 0, "Failed")
    assert caught.output == {"Error": "Busy", "Cause": "later"}


def test_test_state_is_not_collected_as_a_test() -> None:
    assert test_state.__test__ is False  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("n", "path", "status"), [(1, ("Add", "Big?", "Done"), "SUCCEEDED"), (0, ("Add", "Big?", "TooSmall"), "FAILED")]
)
def test_run_definition_returns_the_path_each_state_and_the_events(n: int, path: tuple[str, ...], status: str) -> None:
    with local_stepfunctions():
        run = run_definition(MACHINE, {"n": n})
    assert (run.path, run.status) == (path, status)
    assert run.step("Add").input == {"n": n}
    assert run.step("Add").output == {"n": n + 1}
    assert run.events[0]["type"] == "ExecutionStarted"
    if status == "FAILED":
        assert (run.error, run.cause, run.steps[-1].exited) == ("TooSmall", "n stayed small", False)
    else:
        assert run.output == {"n": n + 1}


def test_a_call_outside_a_block_opens_one_for_itself() -> None:
    before = patches.installed()
    result = test_state({"Type": "Pass", "End": True}, {"x": 1})
    assert (result.status, result.output, result.next_state) == ("SUCCEEDED", {"x": 1}, None)
    assert patches.installed() == before


def test_state_configuration_and_reveal_secrets_reach_test_state() -> None:
    # API_TestStateConfiguration: a Map's failed iterations past its tolerance fail it; API_TestState: revealSecrets
    # is refused together with a mock.
    each = {
        "Type": "Map",
        "QueryLanguage": "JSONata",
        "ToleratedFailureCount": 1,
        "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}},
        "End": True,
    }
    with local_stepfunctions():
        tolerated = test_state(each, mock_result=[1, 2], state_configuration={"mapIterationFailureCount": 1})
        failed = test_state(each, mock_result=[1, 2], state_configuration={"mapIterationFailureCount": 2})
        with pytest.raises(ClientError, match="RevealSecrets"):
            test_state(each, mock_result=[1], reveal_secrets=True, inspection_level="TRACE")
    assert tolerated.status == "SUCCEEDED"
    assert (failed.status, failed.error) == ("FAILED", "States.ExceedToleratedFailureThreshold")


def test_run_case_runs_inline_mocks_in_virtual_time() -> None:
    definition = {
        "QueryLanguage": "JSONata",
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Arguments": {"FunctionName": "f", "Payload": "{% $states.input %}"},
                "Output": "{% $states.result.Payload %}",
                "Retry": [{"ErrorEquals": ["Busy"], "IntervalSeconds": 30, "BackoffRate": 2}],
                "Next": "Later",
            },
            "Later": {"Type": "Wait", "Seconds": 3600, "End": True},
        },
    }
    mocks = {
        "Call": {
            "0-1": {"Throw": {"Error": "Busy", "Cause": "later"}},
            "2": {"Return": {"StatusCode": 200, "Payload": {"done": True}}},
        }
    }
    with local_stepfunctions():
        run = run_case(definition, "BusyTwice", mocks=mocks)
    assert (run.status, run.output, run.path) == ("SUCCEEDED", {"done": True}, ("Call", "Later"))
    spent = (run.events[-1]["timestamp"] - run.events[0]["timestamp"]).total_seconds()
    assert 3600 + 30 + 60 <= spent < 3600 + 30 + 60 + 5  # two backoffs and the Wait, in the history only


def test_run_case_takes_a_mock_file_and_names_what_is_missing(tmp_path: Path) -> None:
    path = tmp_path / "MockConfigFile.json"
    path.write_text(json.dumps({"StateMachines": {"A": {"TestCases": {}}, "B": {"TestCases": {}}}}), encoding="utf-8")
    with local_stepfunctions(), pytest.raises(ValueError, match=r"say which state machine.*: A, B"):
        run_case(MACHINE, "Any", mock_config=path)
    with pytest.raises(ValueError, match="not both"):
        run_case(MACHINE, "Any", mock_config=path, mocks={})
