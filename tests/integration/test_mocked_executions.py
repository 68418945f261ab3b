"""Whole executions with Step Functions Local's mocked service integrations, in virtual time, on the local engine
(workflow.testing.run_case; the rows in workflow/emulator/mocked_runs.py and virtual_time.py).

What each case expects comes from AWS's pages on Step Functions Local's mocks
(https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-mock-cfg-file.html, MOCK_FILE below;
https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-test-sm-exec.html, MOCK_RUNS) and on the states
(https://docs.aws.amazon.com/step-functions/latest/dg/state-wait.html, WAIT;
https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html, ERRORS).
"""

from __future__ import annotations

import datetime
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from workflow.emulator import mock_config
from workflow.testing import Run, local_stepfunctions, run_case, run_definition

JSONATA = {"QueryLanguage": "JSONata"}
FUNCTION = "arn:aws:lambda:us-east-1:123456789012:function:Anything"


@pytest.fixture(scope="module", autouse=True)
def _local() -> Iterator[None]:
    with local_stepfunctions():
        yield


def _task(next_state: str | None = None, **more: Any) -> dict[str, Any]:
    task: dict[str, Any] = {
        "Type": "Task",
        "Resource": "arn:aws:states:::lambda:invoke",
        "Arguments": {"FunctionName": FUNCTION, "Payload": "{% $states.input %}"},
        "Output": "{% $states.result.Payload %}",
        **more,
    }
    task.update({"Next": next_state} if next_state else {"End": True})
    return task


def _returns(*payloads: Any) -> dict[str, Any]:
    return {str(i): {"Return": {"StatusCode": 200, "Payload": p}} for i, p in enumerate(payloads)}


def _throws(error: str, times: int, then: Any = None) -> dict[str, Any]:
    responses: dict[str, Any] = {f"0-{times - 1}": {"Throw": {"Error": error, "Cause": f"{error} (mocked)"}}}
    if then is not None:
        responses[str(times)] = {"Return": {"StatusCode": 200, "Payload": then}}
    return responses


def _stamps(run: Run, kind: str) -> list[datetime.datetime]:
    return [event["timestamp"] for event in run.events if event["type"] == kind]


def _span(run: Run) -> float:
    return float((run.events[-1]["timestamp"] - run.events[0]["timestamp"]).total_seconds())


def test_invocations_are_numbered_over_the_execution_not_per_entry() -> None:
    # MOCK_FILE: "You specify the invocation number": a state entered three times gets "0", "1", "2".
    definition = {
        **JSONATA,
        "StartAt": "Call",
        "States": {
            "Call": _task("Again"),
            "Again": {
                "Type": "Choice",
                "Choices": [{"Condition": "{% $states.input.n < 3 %}", "Next": "Call"}],
                "Default": "Done",
            },
            "Done": {"Type": "Succeed"},
        },
    }
    run = run_case(definition, "Counts", mocks={"Call": _returns({"n": 1}, {"n": 2}, {"n": 3})})
    assert run.status == "SUCCEEDED"
    assert [step.output for step in run.steps if step.name == "Call"] == [{"n": 1}, {"n": 2}, {"n": 3}]


def test_a_maps_iterations_share_the_count_in_order_with_max_concurrency_1() -> None:
    # MOCK_FILE: "If you are using a Map state, and want to ensure predictable responses ... set maxConcurrency to 1".
    definition = {
        **JSONATA,
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "Items": "{% [1, 2, 3] %}",
                "MaxConcurrency": 1,
                "ItemProcessor": {"StartAt": "Call", "States": {"Call": _task()}},
                "End": True,
            }
        },
    }
    run = run_case(definition, "Map", mocks={"Call": _returns("a", "b", "c")})
    assert (run.status, run.output) == ("SUCCEEDED", ["a", "b", "c"])


def test_an_invocation_with_no_response_fails_the_execution_uncaught() -> None:
    # MOCK_FILE: "If you do not specify a mocked response, the state machine execution will fail." States.ALL does
    # not catch States.Runtime (ERRORS).
    definition = {
        **JSONATA,
        "StartAt": "Call",
        "States": {
            "Call": _task(
                Retry=[{"ErrorEquals": ["Flaky"], "MaxAttempts": 3}],
                Catch=[{"ErrorEquals": ["States.ALL"], "Next": "Caught"}],
            ),
            "Caught": {"Type": "Succeed"},
        },
    }
    run = run_case(definition, "Short", mocks={"Call": _throws("Flaky", 2)})
    assert (run.status, run.error) == ("FAILED", "States.Runtime")
    assert "invocation 2 of state 'Call'" in str(run.cause)
    assert "defines invocations 0 to 1" in str(run.cause)
    assert "Caught" not in run.path


def test_a_thrown_error_meets_the_retry_and_catch_rules_by_name() -> None:
    # MOCK_FILE: Throw's "Error ... must match the errors handled in the Retry and Catch sections"; ERRORS:
    # States.TaskFailed matches every error but States.Timeout.
    definition = {
        **JSONATA,
        "StartAt": "Call",
        "States": {
            "Call": _task(
                Retry=[{"ErrorEquals": ["States.TaskFailed"], "MaxAttempts": 5}, {"ErrorEquals": ["States.Timeout"]}],
                Catch=[{"ErrorEquals": ["States.Timeout"], "Next": "TimedOut"}],
            ),
            "TimedOut": {"Type": "Pass", "End": True},
        },
    }
    run = run_case(definition, "Timeout", mocks={"Call": _throws("States.Timeout", 4)})
    # Retried by the second rule (3 attempts by default) then caught: four invocations, all of them mocked.
    assert run.path == ("Call", "TimedOut")
    assert [e["taskFailedEventDetails"]["error"] for e in run.events if e["type"] == "TaskFailed"] == [
        "States.Timeout"
    ] * 4


@pytest.mark.parametrize(
    ("thrown", "caught_by", "path"),
    [
        ("States.Http.Socket", ["States.ALL"], ("Call", "Caught")),  # a States.* name moto does not list is itself
        ("States.Runtime", ["States.Runtime"], ("Call",)),  # "will always cause the execution to fail" (ERRORS)
    ],
)
def test_a_thrown_states_error_is_itself(thrown: str, caught_by: list[str], path: tuple[str, ...]) -> None:
    definition = {
        **JSONATA,
        "StartAt": "Call",
        "States": {"Call": _task(Catch=[{"ErrorEquals": caught_by, "Next": "Caught"}]), "Caught": {"Type": "Succeed"}},
    }
    run = run_case(definition, "Thrown", mocks={"Call": _throws(thrown, 1)})
    assert run.path == path
    assert [e["taskFailedEventDetails"]["error"] for e in run.events if e["type"] == "TaskFailed"] == [thrown]


def test_states_without_a_mock_run_for_real() -> None:
    # MOCK_RUNS: "HybridPath": a state the case does not mock calls its service (here moto's SQS, in-process).
    sqs = boto3.client("sqs", region_name="us-east-1")
    queue = sqs.create_queue(QueueName=f"hybrid-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    send = {
        "Type": "Task",
        "Resource": "arn:aws:states:::sqs:sendMessage",
        "Arguments": {"QueueUrl": queue, "MessageBody": "{% $string($states.input) %}"},
        "End": True,
    }
    definition = {**JSONATA, "StartAt": "Mocked", "States": {"Mocked": _task("Real"), "Real": send}}
    run = run_case(definition, "Hybrid", mocks={"Mocked": _returns({"ok": 1})})
    assert run.status == "SUCCEEDED"
    assert run.output["MessageId"]
    bodies = [m["Body"] for m in sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages", [])]
    assert bodies == ['{"ok":1}']


def test_a_one_day_wait_and_backoff_show_in_the_history_not_on_the_clock() -> None:
    # WAIT: "Seconds ... waits"; ERRORS: the interval is IntervalSeconds x BackoffRate^n, at most MaxDelaySeconds.
    definition = {
        **JSONATA,
        "StartAt": "Call",
        "States": {
            "Call": _task(
                "Pause",
                Retry=[
                    {
                        "ErrorEquals": ["Flaky"],
                        "IntervalSeconds": 5,
                        "BackoffRate": 2,
                        "MaxAttempts": 6,
                        "MaxDelaySeconds": 20,
                    }
                ],
            ),
            "Pause": {"Type": "Wait", "Seconds": 86400, "Next": "Seen"},
            "Seen": {"Type": "Pass", "Output": "{% $states.context.State.EnteredTime %}", "End": True},
        },
    }
    run = run_case(definition, "Slow", mocks={"Call": _throws("Flaky", 6, then={"ok": True})}, timeout=10)
    assert run.status == "SUCCEEDED"
    failed, scheduled = _stamps(run, "TaskFailed"), _stamps(run, "TaskScheduled")
    gaps = [round((scheduled[i + 1] - failed[i]).total_seconds()) for i in range(6)]
    assert gaps == [5, 10, 20, 20, 20, 20]
    waited = _stamps(run, "WaitStateExited")[0] - _stamps(run, "WaitStateEntered")[0]
    assert round(waited.total_seconds()) == 86400
    # The context object's EnteredTime is the virtual time too (AWS's form, a day after the start).
    started = run.events[0]["timestamp"]
    entered = datetime.datetime.fromisoformat(str(run.output).replace("Z", "+00:00"))
    assert datetime.timedelta(seconds=86400 + 95) <= entered - started < datetime.timedelta(seconds=86400 + 100)


def test_full_jitter_stays_within_each_interval() -> None:
    # ERRORS: JitterStrategy FULL picks a random interval between 0 and the computed one.
    retry = {
        "ErrorEquals": ["Flaky"],
        "IntervalSeconds": 8,
        "BackoffRate": 2,
        "MaxAttempts": 4,
        "JitterStrategy": "FULL",
    }
    definition = {**JSONATA, "StartAt": "Call", "States": {"Call": _task(Retry=[retry])}}
    run = run_case(definition, "Jitter", mocks={"Call": _throws("Flaky", 4, then=1)})
    failed, scheduled = _stamps(run, "TaskFailed"), _stamps(run, "TaskScheduled")
    gaps = [(scheduled[i + 1] - failed[i]).total_seconds() for i in range(4)]
    assert all(0 <= gap <= 8 * 2**i + 0.5 for i, gap in enumerate(gaps)), gaps


def test_parallel_branches_wait_at_the_same_time() -> None:
    # Branches run concurrently: two branches that each wait a day take a day.
    branch = {"StartAt": "W", "States": {"W": {"Type": "Wait", "Seconds": 86400, "End": True}}}
    other = {"StartAt": "V", "States": {"V": {"Type": "Wait", "Seconds": 3600, "Next": "C"}, "C": _task()}}
    definition = {
        **JSONATA,
        "StartAt": "Both",
        "States": {
            "Both": {"Type": "Parallel", "Branches": [branch, other], "Next": "After"},
            "After": {"Type": "Wait", "Seconds": 60, "End": True},
        },
    }
    run = run_case(definition, "Parallel", mocks={"C": _returns(1)})
    assert run.status == "SUCCEEDED"
    assert 86400 + 60 <= _span(run) < 86400 + 60 + 5  # the virtual day and minute, and the wall time the run took


def test_a_timestamp_wait_ends_when_the_virtual_clock_reaches_it() -> None:
    # WAIT: "Timestamp ... waits until an absolute time".
    target = (datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    definition = {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": FUNCTION},
                "ResultPath": None,
                "Next": "Until",
            },
            "Until": {"Type": "Wait", "Timestamp": target, "Next": "Again"},
            "Again": {"Type": "Wait", "TimestampPath": "$.until", "End": True},
        },
    }
    run = run_case(definition, "Until", mocks={"Call": _returns(None)}, input={"until": target}, timeout=10)
    assert run.status == "SUCCEEDED"
    left = _stamps(run, "WaitStateExited")
    expected = datetime.datetime.fromisoformat(target.replace("Z", "+00:00"))
    assert all(abs((moment - expected).total_seconds()) < 2 for moment in left)


def test_a_callback_task_is_answered_by_its_mock_at_once() -> None:
    # MOCK_FILE: "Step Functions Local will automatically generate a task token when you mock a Task using the
    # .waitForTaskToken".
    definition = {
        "StartAt": "Ask",
        "States": {
            "Ask": {
                "Type": "Task",
                "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
                "Parameters": {
                    "QueueUrl": "https://sqs.us-east-1.amazonaws.com/123456789012/q",
                    "MessageBody": {"token.$": "$$.Task.Token"},
                },
                "HeartbeatSeconds": 600,
                "End": True,
            }
        },
    }
    run = run_case(definition, "Callback", mocks={"Ask": {"0": {"Return": {"approved": True}}}}, timeout=10)
    assert (run.status, run.output) == ("SUCCEEDED", {"approved": True})


def test_a_mock_of_a_state_that_is_no_task_is_refused_before_anything_runs() -> None:
    definition = {**JSONATA, "StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}
    with pytest.raises(ClientError) as refused:
        run_case(definition, "Wrong", mocks={"P": _returns(1)})
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "mocks 'P', which is not a Task state" in str(refused.value)


def test_an_unknown_case_or_no_configuration_is_refused(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    definition = {**JSONATA, "StartAt": "Call", "States": {"Call": _task()}}
    with pytest.raises(KeyError, match="test case 'Missing' is not defined"):
        run_case(definition, "Missing", mock_config={"StateMachines": {"M": {"TestCases": {}}}}, machine="M")
    monkeypatch.delenv(mock_config.ENVIRONMENT_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match="run_case needs mocks"):
        run_case(definition, "Any")


def test_a_broken_file_named_by_the_variable_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    broken = tmp_path / "mocks.json"
    broken.write_text(json.dumps({"StateMachines": {}, "MockedResponses": {"R": {"1": {"Return": 1}}}}))
    monkeypatch.setenv(mock_config.ENVIRONMENT_VARIABLE, str(broken))
    with local_stepfunctions() as sfn:
        machine = sfn.create_state_machine(
            name="broken-mocks",
            definition=json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}}),
            roleArn="arn:aws:iam::123456789012:role/r",
        )["stateMachineArn"]
        try:
            with pytest.raises(ClientError) as refused:
                sfn.start_execution(stateMachineArn=f"{machine}#Case")
        finally:
            sfn.delete_state_machine(stateMachineArn=machine)
    assert refused.value.response["Error"]["Code"] == "ValidationException"
    assert "consecutively from 0" in refused.value.response["Error"]["Message"]


def test_express_runs_a_case_too() -> None:
    definition = {
        **JSONATA,
        "StartAt": "Call",
        "States": {"Call": _task("Pause"), "Pause": {"Type": "Wait", "Seconds": 3600, "End": True}},
    }
    run = run_case(definition, "Express", mocks={"Call": _returns({"ok": 1})}, workflow_type="EXPRESS")
    assert (run.status, run.output, run.path) == ("SUCCEEDED", {"ok": 1}, ("Call", "Pause"))
    assert 3600 <= _span(run) < 3600 + 5


def test_an_execution_started_without_a_case_keeps_the_wall_clock() -> None:
    # Every non-mocked execution runs as before: its Wait really waits.
    definition = {**JSONATA, "StartAt": "Pause", "States": {"Pause": {"Type": "Wait", "Seconds": 1, "End": True}}}
    run = run_definition(definition)
    assert run.status == "SUCCEEDED"
    assert _span(run) >= 1.0
