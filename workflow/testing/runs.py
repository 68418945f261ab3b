"""Whole executions through the kit: `run_definition` (as it is) and `run_case` (with mocked integrations, in virtual
time), each returning a Run: the path taken, each state's input and output, the events.

`run_case` runs a Step Functions Local mock file's test case
(https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-mock-cfg-file.html), or the same mocks given inline:

    run = run_case(definition, "RetryPath", mock_config="MockConfigFile.json", machine="LambdaSQSIntegration")
    run = run_case(order_workflow(), "CreateOrderFlaky", mocks={
        "CreateOrder": {"0-1": {"Throw": {"Error": "OrderStoreUnavailable", "Cause": "down"}},
                        "2": {"Return": {"StatusCode": 200, "Payload": {"orderId": "ord_1"}}}},
    })

The mocks come from a configuration (`mock_config`: a file's path, its parsed JSON, or a MockConfig; else the one
`SFN_MOCK_CONFIG` names), where `machine` is the name the file lists the case under (it may be left out when the
file lists one machine), or inline (`mocks`: state name -> the invocations of a MockedResponses entry). States without
a mock run for real on the local engine. Waits and retry backoff take no wall time; the events' timestamps show the
times AWS would.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workflow.emulator import express
from workflow.emulator import mock_config as mocks_module
from workflow.emulator.mock_config import MockConfig
from workflow.testing.endpoint import ROLE_ARN, as_text, parsed, using
from workflow.testing.observers import Heard, tell

# --- as it is ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Step:
    """One state the execution entered: its input, and its output (None if it did not exit: it failed)."""

    name: str
    input: Any
    output: Any = None
    exited: bool = False


@dataclass(frozen=True)
class Run:
    """One execution, run to its end: its status, output (parsed), error and cause, every state entered in order,
    and the raw history events (oldest first)."""

    execution_arn: str
    status: str
    output: Any
    error: str | None
    cause: str | None
    steps: tuple[Step, ...]
    events: tuple[Mapping[str, Any], ...] = field(repr=False)

    @property
    def path(self) -> tuple[str, ...]:
        """The names of the states entered, in order (a state entered twice appears twice)."""
        return tuple(step.name for step in self.steps)

    def step(self, name: str) -> Step:
        """The first entry into the state of this name."""
        found = next((step for step in self.steps if step.name == name), None)
        if found is None:
            raise KeyError(f"the execution never entered {name}; its path: {' -> '.join(self.path)}")
        return found


def _steps(events: list[Mapping[str, Any]]) -> tuple[Step, ...]:
    steps: list[Step] = []
    for event in events:
        entered = event.get("stateEnteredEventDetails")
        exited = event.get("stateExitedEventDetails")
        if entered is not None:
            steps.append(Step(entered["name"], parsed(entered.get("input"))))
        elif exited is not None:
            # The latest entry of that name not exited yet (a Parallel's or a Map's states nest).
            index = next(
                i for i in range(len(steps) - 1, -1, -1) if steps[i].name == exited["name"] and not steps[i].exited
            )
            steps[index] = Step(steps[index].name, steps[index].input, parsed(exited.get("output")), True)
    return tuple(steps)


def run_definition(
    definition: Mapping[str, Any] | str,
    input: Any = None,
    *,
    timeout: float = 30.0,
    role_arn: str = ROLE_ARN,
    client: Any | None = None,
) -> Run:
    """Creates the definition as a Standard state machine, starts one execution with `input` and waits for its end;
    the state machine is deleted again."""
    with using(client) as sfn:
        machine = sfn.create_state_machine(
            name=f"testing-{uuid.uuid4().hex[:16]}", definition=as_text(definition), roleArn=role_arn
        )["stateMachineArn"]
        try:
            arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps({} if input is None else input))[
                "executionArn"
            ]
            described, events = _finished(sfn, arn, "STANDARD", timeout)
        finally:
            sfn.delete_state_machine(stateMachineArn=machine)
    return _told(definition, arn, described, events)


def _told(definition: Mapping[str, Any] | str, arn: str, described: Mapping[str, Any], events: list[Any]) -> Run:
    """The finished execution as a Run, told to the observers."""
    run = Run(
        execution_arn=arn,
        status=described["status"],
        output=parsed(described.get("output")),
        error=described.get("error"),
        cause=described.get("cause"),
        steps=_steps(events),
        events=tuple(events),
    )
    tell(Heard(as_text(definition), None, run=run))
    return run


# --- with mocked integrations --------------------------------------------------------------------------------------


ConfigSource = str | os.PathLike[str] | Mapping[str, Any] | MockConfig


def _config(source: ConfigSource | None) -> MockConfig:
    if isinstance(source, MockConfig):
        return source
    if isinstance(source, Mapping):
        return mocks_module.parse(dict(source))
    if source is not None:
        return mocks_module.load(source)
    found = mocks_module.current()
    if found is None:
        raise ValueError(
            f"run_case needs mocks: give mock_config= or mocks=, or set {mocks_module.ENVIRONMENT_VARIABLE}"
        )
    return found


def _case_config(
    case: str, machine: str | None, mocks: Mapping[str, Any] | None, source: ConfigSource | None, name: str
) -> MockConfig:
    """A configuration holding only this case, under the name of the machine the run creates."""
    if mocks is not None:
        if source is not None:
            raise ValueError("give mocks= or mock_config=, not both")
        responses = {f"{state}@{case}": invocations for state, invocations in mocks.items()}
        document = {
            "StateMachines": {name: {"TestCases": {case: {state: f"{state}@{case}" for state in mocks}}}},
            "MockedResponses": responses,
        }
        return mocks_module.parse(document, "mocks=")
    config = _config(source)
    if machine is None:
        if len(config.state_machines) != 1:
            listed = ", ".join(sorted(config.state_machines)) or "none"
            raise ValueError(f"say which state machine of the mock configuration runs (machine=): {listed}")
        machine = next(iter(config.state_machines))
    config.test_case(machine, case)  # KeyError names what is missing
    return MockConfig({name: {case: config.state_machines[machine][case]}}, config.responses, config.source)


def run_case(
    definition: Mapping[str, Any] | str,
    case: str,
    *,
    machine: str | None = None,
    mock_config: ConfigSource | None = None,
    mocks: Mapping[str, Any] | None = None,
    input: Any = None,
    workflow_type: str = "STANDARD",
    timeout: float = 30.0,
    role_arn: str = ROLE_ARN,
    client: Any | None = None,
) -> Run:
    """Creates the definition as a state machine, starts `<its ARN>#<case>` with `input`, waits for the end (at most
    `timeout` wall seconds) and returns the Run; the state machine is deleted again. An Express run's events are
    the engine's own record (AWS serves none for Express; its log records hold them)."""
    name = f"testing-{uuid.uuid4().hex[:16]}"
    config = _case_config(case, machine, mocks, mock_config, name)
    with using(client) as sfn:
        arn_of_machine = sfn.create_state_machine(
            name=name, definition=as_text(definition), roleArn=role_arn, type=workflow_type
        )["stateMachineArn"]
        try:
            with mocks_module.using(config):
                arn = sfn.start_execution(
                    stateMachineArn=f"{arn_of_machine}#{case}", input=json.dumps({} if input is None else input)
                )["executionArn"]
            described, events = _finished(sfn, arn, workflow_type, timeout)
        finally:
            sfn.delete_state_machine(stateMachineArn=arn_of_machine)
    return _told(definition, arn, described, events)


def _express(sfn: Any, arn: str) -> tuple[dict[str, Any], list[Any]]:
    """An Express execution as the engine records it (AWS serves no history for Express: this is the kit's view)."""
    found = express.execution_by_arn(arn.split(":")[4], sfn.meta.region_name, arn)
    if found is None:
        return {"status": "RUNNING"}, []
    events = express.history(found)
    for event in events:  # as boto3 parses GetExecutionHistory's timestamps
        if isinstance(event.get("timestamp"), str):
            event["timestamp"] = datetime.datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00"))
    return express.described(found), events


def _stop(sfn: Any, arn: str, workflow_type: str = "STANDARD") -> None:
    """An execution that ran past its test's timeout is stopped, so that it does not go on behind the next test (an
    Express execution cannot be: AWS's StopExecution refuses it)."""
    if workflow_type != "EXPRESS":
        with contextlib.suppress(Exception):
            sfn.stop_execution(executionArn=arn, error="TimedOutInTest")


def _finished(sfn: Any, arn: str, workflow_type: str, timeout: float) -> tuple[dict[str, Any], list[Any]]:
    deadline = time.monotonic() + timeout
    while True:
        if workflow_type == "EXPRESS":
            described, events = _express(sfn, arn)
        else:
            described, events = dict(sfn.describe_execution(executionArn=arn)), []
        if described["status"] != "RUNNING":
            break
        if time.monotonic() > deadline:
            _stop(sfn, arn, workflow_type)
            raise TimeoutError(f"the execution {arn} still runs after {timeout} s")
        time.sleep(0.002)
    if workflow_type != "EXPRESS":
        for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn):
            events.extend(page["events"])
    return described, events
