"""A pytest kit for Step Functions definitions: TestState and whole executions, offline and in-process (no ports).

    from workflow.testing import local_stepfunctions, order_workflow, run_definition, test_state

    with local_stepfunctions():                        # moto, patched as the local system patches it
        result = test_state(order_workflow(), state_name="CreateOrder", input={...},
                            mock_error=("OrderStoreUnavailable", "down"), retrier_retry_count=1)
        assert (result.status, result.retry_backoff_seconds) == ("RETRIABLE", 2)
        run = run_definition({"StartAt": "A", "States": {...}}, input={"n": 1})
        assert run.path == ("A", "B")

- `local_stepfunctions()` yields a boto3 Step Functions client served in-process by moto (`mock_aws`), with the
  emulator's patch table installed the one way the local runtime installs it (workflow.emulator.table.install with
  a Wiring), and uninstalled on exit. When this process already runs a local system (a LocalRuntime, the
  integration tier's, a notebook's), its patched moto serves the client and nothing is installed or undone.
- `test_state(...)` (also `run_test_state`, a name pytest never collects) sends one TestState request and returns
  a `StateResult` (status, next state, parsed output, error, cause, retry and catch details, the inspection data).
  `inspection_level` defaults to DEBUG, which the retry and catch details need. The request is AWS's
  (API_TestState), so the same call works against AWS's TestState with an AWS client passed as `client`.
- `run_definition(definition, input)` creates the definition as a Standard state machine, runs one execution to its
  end and returns a `Run`: the path taken (state names), each state's input and output, the raw history events.
- `order_workflow(workflow_type, query_language)` is the order workflow compiled with the local system's
  substitutions (ARNs, queue URL, table name), ready for `test_state(..., state_name=...)`.

Each TestState answer and each run is told to the callables in `OBSERVERS` (`Heard`: the definition's text, the
state's name, the result or the run), e.g. the test suite's edge coverage (tests/support/edge_coverage.py).

No Lambda function runs here: mock a Task's result or error (`mock_result`, `mock_error`), as AWS's TestState lets
you; an unmocked Lambda Task fails with the function not found. A Retry's wait is scaled by `retry_scale` (0 by
default: retries do not wait).
"""

from __future__ import annotations

import contextlib
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from moto import mock_aws

from workflow import asl
from workflow.definition import JSONATA
from workflow.emulator import patches, table
from workflow.emulator.services import InvokeResult
from workflow.emulator.wiring import Wiring
from workflow.manifest import DEFAULT_REGION, MANIFEST
from workflow.ops.local_names import ACCOUNT, LocalNames

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

__all__ = [
    "OBSERVERS",
    "Heard",
    "Inspection",
    "Run",
    "StateResult",
    "Step",
    "local_stepfunctions",
    "order_workflow",
    "run_definition",
    "run_test_state",
    "test_state",
]

ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/orderflow-testing"
STATUSES = ("SUCCEEDED", "FAILED", "RETRIABLE", "CAUGHT_ERROR")


def _no_function(function: str, event: object) -> InvokeResult:
    """The kit runs no Lambda function: a Task that reaches one fails as a Lambda error would, naming the fix."""
    error = {
        "errorType": "FunctionNotRunHere",
        "errorMessage": f"workflow.testing runs no Lambda function ({function}): mock the Task's result or error",
    }
    return json.dumps(error), True, ""


_clients: list[Any] = []  # the clients of the open local_stepfunctions() blocks, innermost last


def _client(region: str) -> SFNClient:
    client: SFNClient = boto3.client(
        "stepfunctions",
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106  # moto accepts any credentials
        # TestState's model has a host prefix (sync-states.<region>...), which moto's URL patterns do not serve.
        config=Config(inject_host_prefix=False, retries={"total_max_attempts": 1}),
    )
    return client


@contextlib.contextmanager
def local_stepfunctions(region: str = DEFAULT_REGION, retry_scale: float = 0.0) -> Iterator[SFNClient]:
    """A Step Functions client served in-process by the patched moto, for the block's duration."""
    mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
    mock.start()  # nested in a running mock, this resets nothing
    ours = not patches.installed()
    # moto logs every caught state failure at ERROR (a failure a test asks for included), as the runtime silences it.
    parser_log = logging.getLogger("moto.stepfunctions.parser")
    level = parser_log.level
    parser_log.setLevel(logging.CRITICAL)
    try:
        if ours:
            table.install(Wiring(dispatch=_no_function, retry_scale=retry_scale))
        client = _client(region)
        _clients.append(client)
        try:
            yield client
        finally:
            _clients.remove(client)
    finally:
        if ours:
            table.uninstall()
        parser_log.setLevel(level)
        mock.stop()


@contextlib.contextmanager
def _using(client: Any | None) -> Iterator[Any]:
    """The given client, else the innermost open local_stepfunctions() block's, else one opened for this call."""
    if client is not None:
        yield client
    elif _clients:
        yield _clients[-1]
    else:
        with local_stepfunctions() as opened:
            yield opened


def order_workflow(workflow_type: str = "STANDARD", query_language: str = JSONATA) -> dict[str, Any]:
    """The order workflow as the local system runs it: compiled, its placeholders filled with the local names."""
    names = LocalNames()
    values = {name: names.resolve(ref) for name, ref in MANIFEST.substitutions.items()}
    compiled: dict[str, Any] = json.loads(
        asl.substitute(asl.compile_order_workflow(workflow_type, query_language), values)
    )
    return compiled


# --- observers ------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heard:
    """One TestState answer (`result`, for `state_name` of `definition`) or one whole run (`run`, of `definition`)."""

    definition: str
    state_name: str | None
    result: StateResult | None = None
    run: Run | None = None


# Told of every TestState answer and run, in the calling thread; an observer must not raise.
OBSERVERS: list[Callable[[Heard], None]] = []


def _tell(heard: Heard) -> None:
    for observer in list(OBSERVERS):
        observer(heard)


# --- TestState -----------------------------------------------------------------------------------------------------


def _parsed(text: Any) -> Any:
    return json.loads(text) if isinstance(text, str) else None


@dataclass(frozen=True)
class Inspection:
    """TestState's inspectionData (DEBUG and TRACE), each stage parsed from its JSON; None where AWS gives none
    (https://docs.aws.amazon.com/step-functions/latest/apireference/API_InspectionData.html)."""

    input: Any = None
    after_input_path: Any = None
    after_parameters: Any = None
    after_arguments: Any = None
    result: Any = None
    after_result_selector: Any = None
    after_result_path: Any = None
    variables: Any = None
    stages: Mapping[str, Any] = field(default_factory=dict)  # every stage given, by AWS's name, parsed

    @classmethod
    def of(cls, data: Mapping[str, Any]) -> Inspection:
        stages = {key: _parsed(value) for key, value in data.items() if isinstance(value, str)}
        return cls(
            input=stages.get("input"),
            after_input_path=stages.get("afterInputPath"),
            after_parameters=stages.get("afterParameters"),
            after_arguments=stages.get("afterArguments"),
            result=stages.get("result"),
            after_result_selector=stages.get("afterResultSelector"),
            after_result_path=stages.get("afterResultPath"),
            variables=stages.get("variables"),
            stages=stages,
        )


@dataclass(frozen=True)
class StateResult:
    """TestState's answer: `status` is SUCCEEDED, FAILED, RETRIABLE or CAUGHT_ERROR; `output` is parsed (None when
    the answer has none); the retry and catch details come from inspectionData.errorDetails (DEBUG or TRACE)."""

    status: str
    next_state: str | None = None
    output: Any = None
    error: str | None = None
    cause: str | None = None
    retry_index: int | None = None
    retry_backoff_seconds: int | None = None
    catch_index: int | None = None
    inspection: Inspection | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def of(cls, answer: Mapping[str, Any]) -> StateResult:
        data = answer.get("inspectionData")
        details = data.get("errorDetails", {}) if isinstance(data, Mapping) else {}
        return cls(
            status=str(answer["status"]),
            next_state=answer.get("nextState"),
            output=_parsed(answer.get("output")),
            error=answer.get("error"),
            cause=answer.get("cause"),
            retry_index=details.get("retryIndex"),
            retry_backoff_seconds=details.get("retryBackoffIntervalSeconds"),
            catch_index=details.get("catchIndex"),
            inspection=Inspection.of(data) if isinstance(data, Mapping) else None,
            raw={k: v for k, v in answer.items() if k != "ResponseMetadata"},
        )


def _text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def run_test_state(
    definition: Mapping[str, Any] | str,
    input: Any = None,
    *,
    state_name: str | None = None,
    mock_result: Any = None,
    mock_error: tuple[str, str] | str | None = None,
    field_validation_mode: str | None = None,
    retrier_retry_count: int | None = None,
    variables: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
    inspection_level: str = "DEBUG",
    role_arn: str | None = None,
    client: Any | None = None,
) -> StateResult:
    """One state run once by TestState: `definition` is a state, or a whole machine with `state_name`; `input` and
    `mock_result` are JSON values (the kit serializes them); `mock_error` is (error, cause) or an error name;
    `retrier_retry_count` is how many retries the state has already made (stateConfiguration)."""
    request: dict[str, Any] = {
        "definition": _text(definition),
        "input": json.dumps({} if input is None else input),
        "inspectionLevel": inspection_level,
    }
    if state_name is not None:
        request["stateName"] = state_name
    if mock_result is not None and mock_error is not None:
        raise ValueError("mock a result or an error, not both")
    mock: dict[str, Any] = {}
    if mock_result is not None:
        mock["result"] = json.dumps(mock_result)
    elif mock_error is not None:
        error, cause = (mock_error, "") if isinstance(mock_error, str) else mock_error
        mock["errorOutput"] = {"error": error, "cause": cause}
    if mock:
        if field_validation_mode is not None:
            mock["fieldValidationMode"] = field_validation_mode
        request["mock"] = mock
    if retrier_retry_count is not None:
        request["stateConfiguration"] = {"retrierRetryCount": retrier_retry_count}
    if variables is not None:
        request["variables"] = json.dumps(dict(variables))
    if context is not None:
        request["context"] = json.dumps(dict(context))
    if role_arn is not None or not mock:
        request["roleArn"] = role_arn or ROLE_ARN
    with _using(client) as sfn:
        result = StateResult.of(sfn.test_state(**request))
    _tell(Heard(request["definition"], state_name, result=result))
    return result


# The public name; a helper, not a test, in whatever test module imports it.
test_state = run_test_state
test_state.__test__ = False  # type: ignore[attr-defined]


# --- whole executions ----------------------------------------------------------------------------------------------


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
            steps.append(Step(entered["name"], _parsed(entered.get("input"))))
        elif exited is not None:
            # The latest entry of that name not exited yet (a Parallel's or a Map's states nest).
            index = next(
                i for i in range(len(steps) - 1, -1, -1) if steps[i].name == exited["name"] and not steps[i].exited
            )
            steps[index] = Step(steps[index].name, steps[index].input, _parsed(exited.get("output")), True)
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
    with _using(client) as sfn:
        machine = sfn.create_state_machine(
            name=f"testing-{uuid.uuid4().hex[:16]}", definition=_text(definition), roleArn=role_arn
        )["stateMachineArn"]
        try:
            arn = sfn.start_execution(stateMachineArn=machine, input=json.dumps({} if input is None else input))[
                "executionArn"
            ]
            deadline = time.monotonic() + timeout
            while (described := sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the execution {arn} still runs after {timeout} s")
                time.sleep(0.002)
            events: list[Mapping[str, Any]] = []
            for page in sfn.get_paginator("get_execution_history").paginate(executionArn=arn):
                events.extend(page["events"])
        finally:
            sfn.delete_state_machine(stateMachineArn=machine)
    run = Run(
        execution_arn=arn,
        status=described["status"],
        output=_parsed(described.get("output")),
        error=described.get("error"),
        cause=described.get("cause"),
        steps=_steps(events),
        events=tuple(events),
    )
    _tell(Heard(_text(definition), None, run=run))
    return run
