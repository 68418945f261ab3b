"""Where a JSONata failure is reported as AWS reports it (rows of workflow.emulator.table, beside
workflow.emulator.jsonata_engine, which raises them):

- the States.QueryEvaluationError an expression raises: its cause names the expression and the field, and its
  EvaluationFailed details the location and the state (`query_failure`);
- `FailureEventException.get_evaluation_failed_event_details` / `get_execution_failed_event_details`: moto's prefix
  "An error occurred while executing the state ..." said once (`said_once`);
- `CommonStateField._eval_body`: a Pass, Choice, Wait, Fail or Succeed state whose expression fails writes its
  EvaluationFailed event (`recording_evaluation_failures`);
- `StateMap._eval_execution`: a JSONata Map's input that is not an array is named as JSON (`map_input_in_json`);
- the Map iteration and Parallel branch workers' CustomErrorName: an inner state's States.* error reaches the Map's
  or Parallel's Retry and Catch as itself (`reported_error_name`).
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from typing import Any

from moto.stepfunctions.parser.api import EvaluationFailedEventDetails, HistoryEventType
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
    ILLEGAL_CUSTOM_ERROR_PREFIX,
    CustomErrorName,
)
from moto.stepfunctions.parser.asl.component.common.error_name.error_name import ErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.component.state.exec.execute_state import ExecutionState
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import iteration_worker
from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap
from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import branches_decl
from moto.stepfunctions.parser.asl.component.state.state import CommonStateField
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

from workflow.emulator.patches import moto_original

_STATE_BODY = moto_original(CommonStateField, "_eval_body")
_MAP_EXECUTION = moto_original(StateMap, "_eval_execution")
_NOT_AN_ARRAY = "Map state input must be an array but was: "
# Where a Map iteration's or a Parallel branch's error is raised again in the state around it.
REPORTERS = (iteration_worker, branches_decl)


def _state_name(env: Environment) -> str:
    state = env.states.context_object.context_object_data.get("State") or {}
    return str(state.get("Name", ""))


def query_failure(env: Environment, text: str, reason: str, field: str = "") -> FailureEventException:
    error = StatesErrorNameType.StatesQueryEvaluationError.to_name()
    state = _state_name(env)
    # moto puts "An error occurred while executing the state 'S' (entered at the event id #n)." before the cause
    # of the EvaluationFailed and ExecutionFailed events, as AWS does: said here too, it was said twice.
    where = f" specified for the field '{field}'" if field else ""
    cause = f"The JSONata expression '{text.strip()}'{where} {reason}"
    details = EvaluationFailedEventDetails(error=error, cause=cause, state=state)
    if field:
        details["location"] = field  # AWS's EvaluationFailed event names the field: "location": "Output/result"
    return FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=StatesErrorName(typ=StatesErrorNameType.StatesQueryEvaluationError),
            event_type=HistoryEventType.EvaluationFailed,
            event_details=EventDetails(evaluationFailedEventDetails=details),
        )
    )


PREFIX = "An error occurred while executing the state '"
_SAID_TWICE = re.compile(
    r"An error occurred while executing the state '[^']*' \(entered at the event id #\d+\)\. "
    r"(?=An error occurred while executing the state ')"
)


def said_once(original: Callable[[FailureEventException], Any]) -> Callable[[FailureEventException], Any]:
    """moto puts "An error occurred while executing the state ..." before a QueryEvaluationError's cause each time it
    writes the EvaluationFailed or ExecutionFailed event's details: a cause that has it already keeps one."""

    def details(self: FailureEventException) -> Any:
        answer = original(self)
        if answer is not None and isinstance(answer.get("cause"), str):
            answer["cause"] = _SAID_TWICE.sub("", answer["cause"], count=1)
        return answer

    return details


def reported_error_name(error_name: str | None) -> ErrorName:
    """An inner state's error, raised again by the Map or Parallel around it. moto names it CustomErrorName, which
    refuses a "States." name: an iteration failing with States.Timeout or States.QueryEvaluationError became
    States.Runtime (uncatchable) instead of itself."""
    if error_name is not None and error_name.startswith(ILLEGAL_CUSTOM_ERROR_PREFIX):
        with contextlib.suppress(ValueError):
            return StatesErrorName.from_name(error_name)
        return _ReportedName(error_name)  # a States.* name moto does not know (States.Http.Socket): itself
    return CustomErrorName(error_name)


class _ReportedName(ErrorName):  # type: ignore[misc]
    """An error reported by that name, which moto's own classes refuse (CustomErrorName takes no "States." prefix,
    StatesErrorName only the names moto lists)."""


def recording_evaluation_failures(self: CommonStateField, env: Environment) -> None:
    """A Pass, Choice, Wait, Fail or Succeed state whose expression fails: AWS writes an EvaluationFailed event
    (error, cause, location, state) before ExecutionFailed; moto wrote only ExecutionFailed. A Task, Map or Parallel
    writes its own (in its retry loop)."""
    try:
        _STATE_BODY(self, env)
    except FailureEventException as failure:
        if (
            not isinstance(self, ExecutionState)
            and failure.failure_event.event_type == HistoryEventType.EvaluationFailed
        ):
            details = failure.get_evaluation_failed_event_details()
            if details is not None:
                env.event_manager.add_event(
                    context=env.event_history_context,
                    event_type=HistoryEventType.EvaluationFailed,
                    event_details=EventDetails(evaluationFailedEventDetails=details),
                )
        raise


def map_input_in_json(self: StateMap, env: Environment) -> None:
    """A JSONata Map without `Items` iterates over its input, which must be an array. AWS's cause writes the input as
    JSON ("Map state input must be an array but was: {"foo":"bar"}"); moto wrote its Python type (<class 'dict'>)."""
    given = env.states.get_input()
    try:
        _MAP_EXECUTION(self, env)
    except FailureEventException as failure:
        details = (failure.failure_event.event_details or {}).get("evaluationFailedEventDetails")
        if (
            details is not None
            and str(details.get("cause", "")).startswith(_NOT_AN_ARRAY + "<class")
            and self.items is None
            and not self._is_language_query_jsonpath()
        ):
            details["cause"] = _NOT_AN_ARRAY + json.dumps(given, separators=(",", ":"))
        raise
