"""workflow.testing, the pytest kit: its in-process endpoint installs the emulator's patch table and undoes it (or
leaves a running local system's alone), TestState answers come back typed, and a whole definition runs to its end
with its path, each state's input and output, and its events. In-process moto: no port, no network."""

from __future__ import annotations

import pytest

from workflow.emulator import patches
from workflow.testing import StateResult, local_stepfunctions, run_definition, test_state

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
