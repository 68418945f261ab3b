"""TestState for moto, which has no such action: one state run once, as AWS's TestState answers it
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_TestState.html). One row of the patch table
adds `StepFunctionResponse.test_state`.

The state is run by moto's own interpreter (the patched one: JSONata, variables, Choice rules as elsewhere), in the
request's thread, on a program parsed once per definition:
- a single state is wrapped into a machine whose every `Next` leads to a stub, so moto's parser and the creation
  checks judge it as they judge a machine; a whole machine (`stateName`) is parsed as it is;
- a `mock` replaces the task's call (its Parameters/Arguments are still evaluated); a Wait does not wait;
- Retry and Catch are decided once, as TestState documents: the first retrier whose ErrorEquals matches, with
  `stateConfiguration.retrierRetryCount` retries behind it, makes the answer RETRIABLE (`retryIndex`,
  `retryBackoffIntervalSeconds`); otherwise the first matching catcher makes it CAUGHT_ERROR (`catchIndex`, its
  Next, the output its ResultPath or Output writes); otherwise FAILED;
- `inspectionData` (DEBUG and TRACE) holds the data stages AWS names for the state's query language
  (https://docs.aws.amazon.com/step-functions/latest/apireference/API_InspectionData.html).

The request is read and checked in workflow.emulator.test_state_config (stateConfiguration, a mocked Map's tolerance)
with test_state_request (definition, mock; the state's Retry and Catch rules matched) and test_state_shapes (a mocked
result against its API's output shape). A mocked Map evaluates what TestState reports of it (maxConcurrency, its
tolerances, afterItemsPath) and fails with States.ExceedToleratedFailureThreshold past its tolerance.
The per-call record is hung on the environment's event manager, which moto shares with the frame a task runs in.
"""

from __future__ import annotations

import copy
import datetime
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.core.responses import ActionResult
from moto.stepfunctions.parser.api import HistoryEventType, StateMachineType, TaskFailedEventDetails
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.parargs import Parameters, Parargs
from moto.stepfunctions.parser.asl.component.common.path.input_path import InputPath
from moto.stepfunctions.parser.asl.component.common.path.result_path import ResultPath
from moto.stepfunctions.parser.asl.component.common.result_selector import ResultSelector
from moto.stepfunctions.parser.asl.component.common.retry.retry_outcome import RetryOutcome
from moto.stepfunctions.parser.asl.component.state.exec.execute_state import ExecutionState
from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap
from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
from moto.stepfunctions.parser.asl.component.state.state_pass.result import Result
from moto.stepfunctions.parser.asl.component.state.wait.state_wait import StateWait
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.evaluation_details import AWSExecutionDetails
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.eval.event.event_manager import EventHistoryContext
from moto.stepfunctions.parser.asl.eval.program_state import ProgramEnded
from moto.stepfunctions.parser.asl.eval.states import ContextObjectData, ExecutionData, StateMachineData
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.models import StepFunctionsParserBackend
from moto.stepfunctions.responses import StepFunctionResponse

from workflow.emulator import interpreter, jsonata_engine, jsonata_failures
from workflow.emulator.test_state_config import (
    Asked,
    Configuration,
    map_fields,
    read_request,
    threshold_exceeded,
    threshold_failure,
)
from workflow.emulator.test_state_request import (
    InvalidDefinition,
    ValidationException,
    as_json,
    backoff_seconds,
    first_matching,
)

_CALL = "_orderflow_test_state"
PROGRAMS_CACHED = 64


class _Retriable(Exception):
    def __init__(self, error: str, cause: str, index: int, backoff: int) -> None:
        super().__init__(error)
        self.error, self.cause, self.index, self.backoff = error, cause, index, backoff


@dataclass
class _Call:
    """One TestState call: what it asked, and what the state's run recorded."""

    language: str
    rules: dict[str, Any]  # the state's definition (its Retry and Catch are read from here)
    mock: dict[str, Any] | None
    config: Configuration
    seen: dict[str, Any] = field(default_factory=dict)
    caught: int | None = None
    error: tuple[str, str] | None = None
    exhausted: int | None = None  # the matching retrier, when it had no retry left
    map_fields: dict[str, Any] = field(default_factory=dict)  # a mocked Map's (test_state_config.map_fields)


@functools.lru_cache(maxsize=PROGRAMS_CACHED)
def _program(text: str) -> Any:
    """The machine parsed once (and checked as CreateStateMachine checks it), the tested states' components
    instrumented for TestState: this program serves TestState only."""
    try:
        StepFunctionsParserBackend._validate_definition(text)
    except Exception as error:  # moto's InvalidDefinition, or ours (the patched creation checks)
        raise InvalidDefinition(str(getattr(error, "message", None) or error)) from None
    try:
        program, _ = AmazonStateLanguageParser.parse(text)
    except Exception as error:
        raise InvalidDefinition(f"Invalid State Machine Definition: {error}") from None
    interpreter.assign_heap_keys(program)
    jsonata_engine.label_fields(program)
    for state in program.states.states.values():
        _instrument(state)
    return program


# --- the state's run -----------------------------------------------------------------------------------------------


def _call(env: Environment) -> _Call | None:
    found = vars(env.event_manager).get(_CALL)
    return found if isinstance(found, _Call) else None


def _recording(component: Any, key: str) -> None:
    original = component._eval_body

    def _eval_body(env: Environment) -> None:
        original(env)
        call = _call(env)
        if call is not None:
            call.seen[key] = copy.deepcopy(env.stack[-1])

    component._eval_body = _eval_body


def _instrument(state: CommonStateField) -> None:
    """Instance attributes of this program's components (moto's classes are left alone)."""
    for value in list(vars(state).values()):
        if isinstance(value, InputPath):
            _recording(value, "afterInputPath")
        elif isinstance(value, Parargs):
            _recording(value, "afterParameters" if isinstance(value, Parameters) else "afterArguments")
        elif isinstance(value, ResultSelector):
            _recording(value, "afterResultSelector")
        elif isinstance(value, ResultPath):
            _recording(value, "afterResultPath")
        elif isinstance(value, Result):
            _recording(value, "result")
    if isinstance(state, StateWait):
        state.wait_function._wait_interval = lambda env, wait_seconds: None  # TestState does not wait
    if isinstance(state, ExecutionState):
        _instrument_execution(state)


def _instrument_execution(state: ExecutionState) -> None:
    run = state._eval_execution

    def _eval_execution(env: Environment) -> None:
        call = _call(env)
        if call is None or call.mock is None:
            run(env)
        else:
            _mocked(state, env, call)
        if call is not None:
            call.seen["result"] = copy.deepcopy(env.stack[-1])

    def _handle_retry(env: Environment, failure_event: FailureEvent) -> RetryOutcome:
        call = _call(env)
        if call is None:
            return type(state)._handle_retry(state, env, failure_event)
        error, cause = _error_of(failure_event)
        retriers = list(call.rules.get("Retry", []))
        index = first_matching(retriers, error)
        if index is not None and call.config.retry_count < int(retriers[index].get("MaxAttempts", 3)):
            raise _Retriable(error, cause, index, backoff_seconds(retriers[index], call.config.retry_count))
        call.exhausted = index
        return RetryOutcome.CannotRetry

    def _handle_catch(env: Environment, failure_event: FailureEvent) -> None:
        call = _call(env)
        if call is not None:
            call.error = _error_of(failure_event)
            call.caught = first_matching(list(call.rules.get("Catch", [])), call.error[0])
        type(state)._handle_catch(state, env, failure_event)

    state._eval_execution = _eval_execution
    state._handle_retry = _handle_retry
    state._handle_catch = _handle_catch


def _mocked(state: ExecutionState, env: Environment, call: _Call) -> None:
    """The task's call replaced by the mock: its Parameters or Arguments are evaluated as for the real call; a Map
    evaluates what TestState reports of it, and fails when more iterations failed than it tolerates."""
    mock = call.mock or {}
    evaluate_parameters: Callable[..., Any] | None = getattr(state, "_eval_parameters", None)
    if evaluate_parameters is not None:
        evaluate_parameters(env=env)
    if isinstance(state, StateMap):
        call.map_fields = map_fields(state, call.rules, env, call.config.reader_items)
        failures = call.config.map_failures
        if "result" in mock and failures is not None and threshold_exceeded(call.map_fields, failures, mock["result"]):
            raise threshold_failure(env)
    if "error" in mock:
        error, cause = mock["error"]
        raise FailureEventException(
            failure_event=FailureEvent(
                env=env,
                error_name=jsonata_failures.reported_error_name(error),  # States.Timeout is itself
                event_type=HistoryEventType.TaskFailed,
                event_details=EventDetails(taskFailedEventDetails=TaskFailedEventDetails(error=error, cause=cause)),
            )
        )
    env.stack.append(copy.deepcopy(mock["result"]))


def _error_of(failure_event: FailureEvent) -> tuple[str, str]:
    details: dict[str, Any] = dict(next(iter((failure_event.event_details or {}).values()), {}) or {})
    error = failure_event.error_name.error_name if failure_event.error_name else details.get("error", "")
    return str(error or details.get("error", "")), str(details.get("cause", ""))


def _environment(account: str, region: str, role: str, given: Any, context: Any, variables: dict[str, Any]) -> Any:
    started = interpreter.aws_timestamp(datetime.datetime.now(tz=datetime.UTC))
    machine = f"arn:aws:states:{region}:{account}:stateMachine:TestState"
    env = Environment(
        aws_execution_details=AWSExecutionDetails(account=account, region=region, role_arn=role),
        execution_type=StateMachineType.STANDARD,
        context=ContextObjectData(
            Execution=ExecutionData(
                Id=f"arn:aws:states:{region}:{account}:execution:TestState:TestState",
                Input=copy.deepcopy(given),
                Name="TestState",
                RoleArn=role,
                StartTime=started,
            ),
            StateMachine=StateMachineData(Id=machine, Name="TestState"),
        ),
        event_history_context=EventHistoryContext.of_program_start(),
        cloud_watch_logging_session=None,
        activity_store={},
    )
    data: dict[str, Any] = env.states.context_object.context_object_data
    data["Execution"]["RedriveCount"] = 0  # as the local engine's executions have it (interpreter.typed_context)
    if isinstance(context, dict):  # the given context object, over the one TestState makes
        for key, value in context.items():
            if isinstance(value, dict) and isinstance(data.get(key), dict):
                data[key].update(value)
            else:
                data[key] = value
    for name, value in variables.items():
        env.variable_store.set(variable_identifier=name, variable_value=value)
    env.states.reset(input_value=given)
    return env


def _variables_of(env: Environment) -> dict[str, Any]:
    store = env.variable_store
    return {**vars(store).get("_outer_scope", {}), **vars(store).get("_inner_scope", {})}


def run(request: dict[str, Any], account: str, region: str) -> dict[str, Any]:
    """TestState's answer to the request (botocore's TestStateInput, as JSON), or a 400 error raised."""
    asked = read_request(request)
    definition = asked.definition
    program = _program(definition.text)
    state: CommonStateField = program.states.states[definition.name]
    call = _Call(definition.language, definition.state, asked.mock, asked.config)
    env = _environment(account, region, asked.role, asked.input, asked.context, asked.variables)
    vars(env.event_manager)[_CALL] = call
    env.next_state_name = definition.name

    answer: dict[str, Any]
    try:
        state.eval(env)
    except _Retriable as retriable:
        answer = {"status": "RETRIABLE", "error": retriable.error, "cause": retriable.cause}
        retry = {"retryIndex": retriable.index, "retryBackoffIntervalSeconds": retriable.backoff}
        return _with_inspection(answer, asked, call, env, retry, failed=True)
    except FailureEventException as failure:
        details_of = failure.get_execution_failed_event_details() or {}
        answer = {"status": "FAILED", "error": str(details_of.get("error", "")), "cause": details_of.get("cause")}
        # Retries used up, nothing caught: the retrier that matched, without a backoff (recorded 2025-11-22).
        exhausted = {"retryIndex": call.exhausted} if call.exhausted is not None else None
        return _with_inspection(answer, asked, call, env, exhausted, failed=True)
    except Exception as error:  # a state moto cannot run is a failed state, never a 500
        answer = {"status": "FAILED", "error": "States.Runtime", "cause": f"{type(error).__name__}({error})"}
        return _with_inspection(answer, asked, call, env, None, failed=True)

    output = env.states.get_input()
    ended = isinstance(env.program_state(), ProgramEnded)
    answer = {"status": "SUCCEEDED", "output": as_json(output)}
    if not ended and env.next_state_name and env.next_state_name != definition.name:
        answer["nextState"] = env.next_state_name
    details: dict[str, int] | None = None
    if call.caught is not None and call.error is not None:
        answer.update(status="CAUGHT_ERROR", error=call.error[0], cause=call.error[1])
        details = {"catchIndex": call.caught}
    return _with_inspection(answer, asked, call, env, details, failed=False)


# Data stages AWS populates per query language (API_InspectionData: the JSONPath stages are "Not populated when
# QueryLanguage is JSONata"; afterArguments is only present with JSONata). A mocked Map reports no result (recorded
# 2025-11-18), but its concurrency and tolerances.
_STAGES = {
    "JSONPath": ("afterInputPath", "afterParameters", "result", "afterResultSelector", "afterResultPath"),
    "JSONata": ("afterArguments", "result"),
}
_MAP_FIELDS = ("maxConcurrency", "toleratedFailureCount", "toleratedFailurePercentage")


def _with_inspection(
    answer: dict[str, Any],
    asked: Asked,
    call: _Call,
    env: Environment,
    error_details: dict[str, int] | None,
    failed: bool,
) -> dict[str, Any]:
    answer = {key: value for key, value in answer.items() if value is not None}
    if asked.level == "INFO":
        return answer
    data: dict[str, Any] = {"input": as_json(asked.input)}
    seen = dict(call.seen)
    if call.language == "JSONPath" and "result" not in seen and call.rules.get("Type") == "Pass":
        # A Pass state without Result passes on what its InputPath and Parameters made.
        for stage in ("afterParameters", "afterInputPath"):
            if stage in seen:
                seen["result"] = seen[stage]
                break
    if call.rules.get("Type") == "Map":
        seen.pop("result", None)
        data.update({key: call.map_fields[key] for key in _MAP_FIELDS if key in call.map_fields})
        if call.language == "JSONPath" and "afterItemsPath" in call.map_fields:
            data["afterItemsPath"] = as_json(call.map_fields["afterItemsPath"])
    for stage in _STAGES.get(call.language, ()):
        if stage in seen:
            data[stage] = as_json(seen[stage])
    variables = _variables_of(env)
    if variables and not failed:
        data["variables"] = as_json(variables)
    if error_details:
        data["errorDetails"] = error_details
    answer["inspectionData"] = data
    return answer


def test_state(self: StepFunctionResponse) -> ActionResult:
    """The TestState action (a method of StepFunctionResponse of that name, as moto dispatches)."""
    request = {
        name: self._get_param(name)
        for name in (
            "definition",
            "roleArn",
            "input",
            "inspectionLevel",
            "revealSecrets",
            "variables",
            "stateName",
            "mock",
            "context",
            "stateConfiguration",
        )
        if self._get_param(name) is not None
    }
    if not isinstance(request.get("definition"), str) or not request["definition"]:
        raise ValidationException("1 validation error detected: definition must not be null")
    return ActionResult(run(request, self.current_account, self.region))


def forget_programs() -> None:
    _program.cache_clear()


test_state.__test__ = False  # type: ignore[attr-defined]  # not a pytest test, whatever imports it
