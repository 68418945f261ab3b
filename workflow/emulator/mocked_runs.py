"""Step Functions Local's mocked service integrations on moto's interpreter: `StartExecution` on
`<stateMachineArn>#<TestCase>` runs that test case of the mock configuration (workflow.emulator.mock_config)
(https://docs.aws.amazon.com/step-functions/latest/dg/sfn-local-test-sm-exec.html).

moto carries LocalStack's half of this (an Environment's `mock_test_case`; each Task asks `is_mocked_mode()` and
`get_current_mocked_response()` before calling its service, and writes TaskScheduled, TaskStarted and TaskSucceeded
around the answer as for a real call) but never loads a file nor starts a case. The rows here:

- `StepFunctionsParserBackend.start_execution` (around the Express contract's): `<arn>#<case>` starts the machine
  `<arn>` names with the case's mocks; the execution's ARN and name are the machine's, as Step Functions Local answers.
  A case that is not in the configuration, or one naming a state that is no Task of the machine, is refused
  (InvalidName, ValidationException) before anything runs.
- `Execution._get_start_execution_worker`: the execution started that way gets its `MockRun` and a virtual clock
  (workflow.emulator.virtual_time): Waits and retry backoff take no wall time.
- `Environment.get_current_mocked_response`: the response for this invocation of the state. AWS numbers invocations
  per state over the whole execution, retries included (a Map's iterations share the count, which is why AWS
  advises MaxConcurrency 1 for predictable mocks); moto's numbered them by the attempt's RetryCount. An invocation
  with no response fails the execution with States.Runtime ("If you do not specify a mocked response ... the state
  machine execution will fail"). A `Throw` is a TaskFailed with its Error and Cause, and the resource it stands for.

States without a mock run for real; executions started without `#case` are untouched.
"""

from __future__ import annotations

import copy
import json
import threading
import uuid
from collections.abc import Callable
from typing import Any

from moto.stepfunctions.exceptions import InvalidName
from moto.stepfunctions.parser.api import HistoryEventType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.backend.execution import Execution
from moto.stepfunctions.parser.mocking.mock_config import MockedResponse, MockedResponseReturn, MockTestCase
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from workflow.emulator import jsonata_failures, mock_config, virtual_time
from workflow.emulator.patches import moto_original
from workflow.emulator.test_state_request import ValidationException, every_state

_WORKER = moto_original(Execution, "_get_start_execution_worker")
_pending = threading.local()


def resource_of(resource: str) -> tuple[str, str]:
    """(resourceType, resource) as a Task's events name them: `arn:aws:states:::sqs:sendMessage` is (sqs,
    sendMessage); `...:::aws-sdk:dynamodb:getItem` is (aws-sdk:dynamodb, getItem); a Lambda function's own ARN is
    (lambda, invoke)."""
    if ":::" not in resource:
        return "lambda", "invoke"
    parts = resource.split(":::", 1)[1].split(":")
    if parts[0] == "aws-sdk" and len(parts) > 2:
        return f"aws-sdk:{parts[1]}", ":".join(parts[2:])
    return parts[0], ":".join(parts[1:])


class MockRun(MockTestCase):  # type: ignore[misc]
    """One execution's mocks: each mocked state's responses, and how many times each has been invoked."""

    def __init__(self, machine: str, case: str, definition: dict[str, Any]) -> None:
        try:
            _, mocked = mock_config.test_case(machine, case)
        except LookupError as missing:  # KeyError too: a case or machine the configuration does not define
            reason = missing.args[0] if missing.args else "no mock configuration is loaded"  # (KeyError has one)
            raise InvalidName(f"Invalid mock test case name '{case}': {reason}") from None
        tasks = {name: state for name, state in every_state(definition) if state.get("Type") == "Task"}
        for state in mocked:
            if state not in tasks:
                raise ValidationException(
                    f"Test case '{case}' of the mock configuration mocks '{state}', which is not a Task state of "
                    f"state machine '{machine}' (its Task states: {', '.join(sorted(tasks)) or 'none'})"
                )
        super().__init__(state_machine_name=machine, test_case_name=case, state_mocked_responses_list=[])
        self.state_mocked_responses = dict.fromkeys(mocked)  # what is_mocked_mode() asks
        self.responses = {state: responses for state, (_, responses) in mocked.items()}
        self.response_ids = {state: response_id for state, (response_id, _) in mocked.items()}
        self.resources = {state: resource_of(str(tasks[state].get("Resource", ""))) for state in mocked}
        self._begin()

    def _begin(self) -> None:
        self.invoked: dict[str, int] = dict.fromkeys(self.responses, 0)
        self.clock = virtual_time.Clock()
        self._lock = threading.Lock()

    def fresh(self) -> MockRun:
        """The same mocks for another execution: nothing invoked yet, its own clock."""
        run = copy.copy(self)
        run._begin()
        return run

    def next_invocation(self, state: str) -> int:
        with self._lock:
            number = self.invoked[state]
            self.invoked[state] = number + 1
            return number


def _failure(env: Environment, error_name: Any, error: str, cause: str, resource: tuple[str, str]) -> Exception:
    details = TaskFailedEventDetails(resourceType=resource[0], resource=resource[1], error=error, cause=cause)
    failure: Exception = FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=error_name,
            event_type=HistoryEventType.TaskFailed,
            event_details=EventDetails(taskFailedEventDetails=details),
        )
    )
    return failure


def get_current_mocked_response(self: Environment) -> MockedResponse:
    run = self.mock_test_case
    state = str(self.next_state_name)
    if not isinstance(run, MockRun) or state not in run.responses:
        raise RuntimeError(f"state '{state}' is not mocked in this execution")
    number = run.next_invocation(state)
    responses = run.responses[state]
    if number >= len(responses):
        cause = (
            f"No mocked response for invocation {number} of state '{state}': response '{run.response_ids[state]}' "
            f"of test case '{run.test_case_name}' defines invocations 0 to {len(responses) - 1}"
        )
        runtime = StatesErrorName(typ=StatesErrorNameType.StatesRuntime)
        raise _failure(self, runtime, "States.Runtime", cause, run.resources[state])
    response = responses[number]
    if isinstance(response, mock_config.Throw):
        error_name = jsonata_failures.reported_error_name(response.error)  # States.Timeout is itself, not Runtime
        raise _failure(self, error_name, response.error, response.cause, run.resources[state])
    return MockedResponseReturn(range_start=number, range_end=number, payload=response.result)


def starting_cases(start: Callable[..., Any]) -> Callable[..., Any]:
    """StartExecution's backend method (the Express contract's, given as `start`), taking `<arn>#<case>` too; an
    execution started without a name gets a UUID, as on AWS."""

    def start_execution(
        self: StepFunctionsParserBackend,
        state_machine_arn: str,
        name: str | None = None,
        execution_input: str | None = None,
        trace_header: str | None = None,
    ) -> Any:
        name = name or str(uuid.uuid4())  # AWS names an unnamed execution so; moto named it "None" (every time)
        if "#" not in str(state_machine_arn):
            return start(self, state_machine_arn, name, execution_input, trace_header)
        machine_arn, case = str(state_machine_arn).split("#", 1)
        machine = self.describe_state_machine(machine_arn)
        try:
            _pending.run = MockRun(machine.name, case, json.loads(machine.definition))
        except mock_config.MockConfigError as error:
            raise ValidationException(f"The mock configuration cannot be used: {error}") from None
        try:
            return start(self, machine_arn, name, execution_input, trace_header)
        finally:
            _pending.run = None

    return start_execution


def get_start_execution_worker(self: Execution) -> Any:
    """The worker of an execution started on `#case` runs with that case's mocks and a virtual clock."""
    worker = _WORKER(self)
    run = getattr(_pending, "run", None)
    if isinstance(run, MockRun):
        worker._mock_test_case = run.fresh()  # an Express start delivered twice runs the case twice, each its own
    return worker


def clocked_environment(make: Callable[[Any], Environment]) -> Callable[[Any], Environment]:
    """The execution's environment (`ExecutionWorker._get_evaluation_environment`), a mocked one's root context
    carrying its run's clock."""

    def _get_evaluation_environment(self: Any) -> Environment:
        env = make(self)
        run = getattr(self, "_mock_test_case", None)
        if isinstance(run, MockRun):
            virtual_time.keep_time(env.event_history_context, run.clock)
        return env

    return _get_evaluation_environment
