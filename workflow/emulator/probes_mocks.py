"""Behaviour checks of the mocked-execution rows (mocked_runs.py, virtual_time.py): a tiny machine started on
`#case` under a mock configuration given in-process."""

from __future__ import annotations

import datetime
import time
from typing import Any

from workflow.emulator import mock_config
from workflow.emulator.patches import Check
from workflow.emulator.probe_system import ProbeSystem, Run, expect

_CONFIG = {
    "StateMachines": {},  # filled with the probe's machine name
    "MockedResponses": {
        "FailsOnceThenAnswers": {
            "0": {"Throw": {"Error": "Probe.Flaky", "Cause": "mocked"}},
            "1": {"Return": {"StatusCode": 200, "Payload": {"n": 1}}},
        },
        "Answers": {"0-1": {"Return": {"StatusCode": 200, "Payload": {"n": 2}}}},
        "FailsOnce": {"0": {"Throw": {"Error": "Probe.Flaky", "Cause": "mocked"}}},
    },
}


def _definition(system: ProbeSystem, wait_seconds: int) -> dict[str, Any]:
    call = {"FunctionName": system.function_arn(), "Payload.$": "$"}
    return {
        "StartAt": "Call",
        "States": {
            "Call": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": call,
                "Retry": [{"ErrorEquals": ["Probe.Flaky"], "IntervalSeconds": 100, "BackoffRate": 2}],
                "Next": "Pause",
            },
            "Pause": {"Type": "Wait", "Seconds": wait_seconds, "Next": "Unmocked"},
            "Unmocked": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "Parameters": call, "End": True},
        },
    }


def _mocked_run(system: ProbeSystem, wait_seconds: int, case: dict[str, str]) -> tuple[Run, float]:
    machine = system.machine(_definition(system, wait_seconds))
    name = machine.rsplit(":", 1)[1]
    config = mock_config.parse({**_CONFIG, "StateMachines": {name: {"TestCases": {"Case": case}}}})
    sfn = system.client("stepfunctions")
    started = time.monotonic()
    with mock_config.using(config):
        arn = sfn.start_execution(stateMachineArn=f"{machine}#Case", name=system.name())["executionArn"]
    described = system.wait(arn, within=5.0)
    took = time.monotonic() - started
    events = sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
    return Run(arn, described["status"], described.get("output"), described.get("error"), events), took


def _mock_cases(system: ProbeSystem) -> None:
    _unnamed_starts(system)
    dispatched = len(system.heard.dispatched)
    run, _ = _mocked_run(system, 0, {"Call": "FailsOnceThenAnswers"})
    kinds = [e["type"] for e in run.events if e["type"].startswith("Task") and e["type"] != "TaskStateEntered"]
    expect(
        run.status == "SUCCEEDED"
        and kinds[:5] == ["TaskScheduled", "TaskStarted", "TaskFailed", "TaskScheduled", "TaskStarted"],
        f"a mocked Throw, then Return, is not a TaskFailed retried into a TaskSucceeded ({run.status}, {kinds})",
    )
    failed = next(e["taskFailedEventDetails"] for e in run.events if e["type"] == "TaskFailed")
    expect(
        failed == {"resourceType": "lambda", "resource": "invoke", "error": "Probe.Flaky", "cause": "mocked"},
        f"a mocked Throw's TaskFailed is not AWS's ({failed})",
    )
    expect(
        len(system.heard.dispatched) == dispatched + 1,
        "the unmocked state did not run for real, or a mocked one did",
    )
    short, _ = _mocked_run(system, 0, {"Call": "Answers", "Unmocked": "Answers"})
    expect(short.status == "SUCCEEDED", f"two states sharing a response failed ({short.status}, {short.error})")
    missing, _ = _mocked_run(system, 0, {"Call": "FailsOnce"})
    expect(
        missing.status == "FAILED" and missing.error == "States.Runtime",
        f"an invocation with no mocked response did not fail the execution ({missing.status}, {missing.error})",
    )


def _unnamed_starts(system: ProbeSystem) -> None:
    sfn = system.client("stepfunctions")
    machine = system.machine({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    first, second = (sfn.start_execution(stateMachineArn=machine)["executionArn"] for _ in range(2))
    named = first.rsplit(":", 1)[1]
    expect(
        first != second and len(named) == 36 and named.count("-") == 4,
        f"an unnamed start is not a new execution named by a UUID ({first}, {second})",
    )


def _virtual_time(system: ProbeSystem) -> None:
    run, took = _mocked_run(system, 3600, {"Call": "FailsOnceThenAnswers"})
    times = {
        e["type"]: e["timestamp"]
        for e in run.events
        if e["type"] in ("TaskFailed", "WaitStateEntered", "WaitStateExited")
    }
    scheduled = [e["timestamp"] for e in run.events if e["type"] == "TaskScheduled"]
    gap = (scheduled[1] - times["TaskFailed"]).total_seconds() if len(scheduled) > 1 else -1.0
    wait = (times["WaitStateExited"] - times["WaitStateEntered"]).total_seconds()
    expect(
        run.status == "SUCCEEDED" and took < 3.0 and 100 <= gap < 105 and 3600 <= wait < 3605,
        f"a mocked execution's waits are not virtual (took {took:.1f} s; retry gap {gap} s, Wait {wait} s)",
    )
    described = system.client("stepfunctions").describe_execution(executionArn=run.arn)
    length = described["stopDate"] - described["startDate"]
    expect(length >= datetime.timedelta(seconds=3700), f"the stop date is not the virtual clock's ({length})")


MOCK_CASES = Check(
    "StartExecution on <arn>#<case> runs the case's mocks as Step Functions Local (and names an unnamed start)",
    "behaviour",
    _mock_cases,
)
VIRTUAL_TIME = Check("a mocked execution's Waits and retries take no wall time", "behaviour", _virtual_time)
