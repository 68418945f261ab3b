"""TestState's `stateConfiguration` read and checked, and a mocked Map's run
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_TestStateConfiguration.html):

- `retrierRetryCount`: the retries the state's matching retrier has made (workflow.emulator.test_state decides);
- `errorCausedByState`: "the state from which an error originates when an error is mocked for a Map or Parallel
  state": only with a mocked error on a Map or Parallel, naming one of the states it runs (its ItemProcessor's or
  Iterator's, its branches', at any depth). The answer is the mocked error's: AWS answers FAILED with the mock's
  error and cause, whatever the Map tolerates (recorded 2025-11-13);
- `mapIterationFailureCount`: only for a Map. With a mocked result, more failed iterations than the Map's
  ToleratedFailureCount, or a larger share of its items than its ToleratedFailurePercentage, fail it with
  States.ExceedToleratedFailureThreshold ("The specified tolerated failure threshold was exceeded"), which its
  Retry and Catch then handle; a Map that sets neither tolerates any count (recorded 2025-11-13);
- `mapItemReaderData`: only for a Map with an ItemReader: the items as its source holds them (JSON, JSON Lines or
  CSV, as its ReaderConfig's InputType reads them), standing for the read.

A mocked Map evaluates what TestState reports of it at DEBUG and TRACE (API_InspectionData): `maxConcurrency`,
`toleratedFailureCount` and `toleratedFailurePercentage` where the Map sets them, and JSONPath's `afterItemsPath`.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

from moto.stepfunctions.parser.api import ExecutionFailedEventDetails, HistoryEventType
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import StatesErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import StatesErrorNameType
from moto.stepfunctions.parser.asl.component.state.exec.state_map.state_map import StateMap
from moto.stepfunctions.parser.asl.eval.environment import Environment
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails

from workflow.emulator.test_state_request import (
    LEVELS,
    Definition,
    ValidationException,
    every_state,
    inner_machines,
    parsed_json,
    read_definition,
    read_mock,
)
from workflow.emulator.test_state_shapes import check_result

THRESHOLD_CAUSE = "The specified tolerated failure threshold was exceeded"
COUNT_FIELDS = ("ToleratedFailureCount", "ToleratedFailureCountPath")
PERCENTAGE_FIELDS = ("ToleratedFailurePercentage", "ToleratedFailurePercentagePath")


@dataclass(frozen=True)
class Configuration:
    retry_count: int = 0
    error_caused_by: str | None = None
    map_failures: int | None = None
    reader_items: list[Any] | None = None


def _count(given: dict[str, Any], name: str) -> int | None:
    value = given.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValidationException(f"stateConfiguration.{name} must be an integer of at least 0")
    return value


def inner_states(state: dict[str, Any]) -> set[str]:
    """The names of every state a Map or Parallel runs, at any depth."""
    return {name for machine in inner_machines(state) for name, _ in every_state(machine)}


def _error_caused_by(given: dict[str, Any], state: dict[str, Any], mock: dict[str, Any] | None) -> str | None:
    name = given.get("errorCausedByState")
    if name is None:
        return None
    if not isinstance(name, str) or not 1 <= len(name) <= 80:
        raise ValidationException("stateConfiguration.errorCausedByState must be a state name of 1 to 80 characters")
    if state.get("Type") not in ("Map", "Parallel") or mock is None or "error" not in mock:
        raise ValidationException(
            "stateConfiguration.errorCausedByState can only be specified when an error is mocked for a Map or "
            "Parallel state"
        )
    if name not in inner_states(state):
        raise ValidationException(
            f"stateConfiguration.errorCausedByState: state '{name}' does not exist in the {state['Type']} state"
        )
    return name


def _reader_items(text: Any, state: dict[str, Any]) -> list[Any]:
    reader = state.get("ItemReader")
    if not isinstance(reader, dict):
        raise ValidationException(
            "stateConfiguration.mapItemReaderData can only be specified for a Map state with an ItemReader"
        )
    if not isinstance(text, str):
        raise ValidationException("stateConfiguration.mapItemReaderData must be a string")
    given_config = reader.get("ReaderConfig")
    config: dict[str, Any] = given_config if isinstance(given_config, dict) else {}
    kind = str(config.get("InputType", "JSON"))
    try:
        if kind == "CSV":
            rows = list(csv.reader(io.StringIO(text)))
            return rows[1:] if config.get("CSVHeaderLocation", "FIRST_ROW") == "FIRST_ROW" else rows
        if kind == "JSONL":
            return [json.loads(line) for line in text.splitlines() if line.strip()]
        items = json.loads(text)
    except ValueError:
        raise ValidationException(f"stateConfiguration.mapItemReaderData is not valid {kind}") from None
    return items if isinstance(items, list) else [items]


def read_configuration(given: Any, state: dict[str, Any], mock: dict[str, Any] | None) -> Configuration:
    if given is None:
        return Configuration()
    if not isinstance(given, dict):
        raise ValidationException("stateConfiguration must be an object")
    map_failures = _count(given, "mapIterationFailureCount")
    if map_failures is not None and state.get("Type") != "Map":
        raise ValidationException("stateConfiguration.mapIterationFailureCount can only be specified for a Map state")
    reader_items = None
    if given.get("mapItemReaderData") is not None:
        if state.get("Type") != "Map":
            raise ValidationException("stateConfiguration.mapItemReaderData can only be specified for a Map state")
        reader_items = _reader_items(given["mapItemReaderData"], state)
    return Configuration(
        retry_count=_count(given, "retrierRetryCount") or 0,
        error_caused_by=_error_caused_by(given, state, mock),
        map_failures=map_failures,
        reader_items=reader_items,
    )


@dataclass(frozen=True)
class Asked:
    """A TestState request, read and checked."""

    level: str
    definition: Definition
    mock: dict[str, Any] | None
    role: str
    context: Any
    input: Any
    variables: dict[str, Any]
    config: Configuration


def read_request(request: dict[str, Any]) -> Asked:
    """The request (botocore's TestStateInput, as JSON) read, or the 400 error AWS answers raised."""
    level = request.get("inspectionLevel") or "INFO"
    if level not in LEVELS:
        raise ValidationException(f"inspectionLevel must be one of {', '.join(LEVELS)}")
    definition = read_definition(request.get("definition"), request.get("stateName"))
    reveal = request.get("revealSecrets", False)
    if not isinstance(reveal, bool):
        raise ValidationException("revealSecrets must be a boolean")
    mock = read_mock(request.get("mock"), definition.state, reveal)
    if mock is not None and "result" in mock and definition.state.get("Type") == "Task":
        check_result(str(definition.state.get("Resource", "")), mock["result"], mock["mode"])
    role = request.get("roleArn")
    if not role and mock is None and definition.state.get("Type") == "Task":
        raise ValidationException("roleArn is required unless the state's result is mocked")
    context = request.get("context")
    if context is not None:
        if mock is None:
            raise ValidationException("context may only be specified together with a mock")
        context = parsed_json(context, "context")
    given = parsed_json(request["input"], "input", ValidationException) if "input" in request else {}
    variables = parsed_json(request["variables"], "variables") if "variables" in request else {}
    if not isinstance(variables, dict):
        raise ValidationException("variables must be a JSON object")
    config = read_configuration(request.get("stateConfiguration"), definition.state, mock)
    return Asked(level, definition, mock, str(role or ""), context, given, variables, config)


# --- a mocked Map -----------------------------------------------------------------------------------------------------


def _evaluated(component: Any, env: Environment) -> Any:
    component.eval(env=env)
    return env.stack.pop()


def map_fields(state: StateMap, rules: dict[str, Any], env: Environment, items: list[Any] | None) -> dict[str, Any]:
    """What TestState reports of a Map (maxConcurrency, its tolerances where it sets them, JSONPath's
    afterItemsPath), evaluated as the Map evaluates them; `items` counts its items ("items" in the answer)."""
    fields: dict[str, Any] = {"maxConcurrency": _evaluated(state.max_concurrency_decl, env)}
    if state.item_reader is None and items is None:
        if state.items_path is not None:
            items = fields["afterItemsPath"] = _evaluated(state.items_path, env)
        elif state.items is not None:
            items = _evaluated(state.items, env)
    if any(name in rules for name in COUNT_FIELDS):
        fields["toleratedFailureCount"] = int(_evaluated(state.tolerated_failure_count_decl, env))
    if any(name in rules for name in PERCENTAGE_FIELDS):
        fields["toleratedFailurePercentage"] = float(_evaluated(state.tolerated_failure_percentage_decl, env))
    fields["items"] = items
    return fields


def threshold_exceeded(fields: dict[str, Any], failures: int, mocked: Any) -> bool:
    """Whether `failures` failed iterations exceed what the Map tolerates (a Map that sets no tolerance: never)."""
    count = fields.get("toleratedFailureCount")
    percentage = fields.get("toleratedFailurePercentage")
    if count is not None and failures > count:
        return True
    items = fields.get("items")
    total = len(items) if isinstance(items, list) else len(mocked) if isinstance(mocked, list) else 0
    return percentage is not None and total > 0 and failures * 100.0 / total > percentage


def threshold_failure(env: Environment) -> FailureEventException:
    error = StatesErrorName(typ=StatesErrorNameType.StatesExceedToleratedFailureThreshold)
    return FailureEventException(
        failure_event=FailureEvent(
            env=env,
            error_name=error,
            event_type=HistoryEventType.MapStateFailed,
            event_details=EventDetails(
                executionFailedEventDetails=ExecutionFailedEventDetails(error=error.error_name, cause=THRESHOLD_CAUSE)
            ),
        )
    )
