"""TestState's request read and checked, and the tested state's rules (workflow.emulator.test_state runs it).

- the definition: a single state is wrapped into a machine whose every `Next` leads to a stub; a whole machine
  (`stateName`) is taken as it is; either is refused as AWS refuses it (InvalidDefinition, ValidationException);
- the mock: only for Task, Map and Parallel, exactly one of `result` and `errorOutput`, never with revealSecrets;
  required where the state cannot run without one (Map, Parallel, Activity, .sync, .waitForTaskToken, and here an
  HTTP Task: the local endpoint makes no network call); a Map's result is an array (an object with a ResultWriter),
  a Parallel's an array of one result per branch;
- the state's Retry and Catch: which rule an error matches (ErrorEquals as AWS matches it), and a retrier's backoff.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from moto.core.exceptions import AWSError

# What a state's Type must be for a mock (API_TestState: "A mock can only be specified for Task, Map, or Parallel").
MOCKABLE = frozenset({"Task", "Map", "Parallel"})
TYPES = frozenset({"Task", "Pass", "Wait", "Choice", "Succeed", "Fail", "Map", "Parallel"})
LEVELS = ("INFO", "DEBUG", "TRACE")
VALIDATION_MODES = ("STRICT", "PRESENT", "NONE")
HTTP_TASK = re.compile(r"^arn:[\w-]+:states:::http:invoke")
STUB = "Stub"  # the states every Next of a single state leads to, in the machine it is wrapped into


class ValidationException(AWSError):  # type: ignore[misc]
    TYPE = "ValidationException"
    STATUS = 400


class InvalidDefinition(AWSError):  # type: ignore[misc]
    TYPE = "InvalidDefinition"
    STATUS = 400


def as_json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def parsed_json(text: Any, name: str, exception: type[AWSError] = ValidationException) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        raise exception(f"Invalid {name}: the value is not valid JSON") from None


# --- what a state's rules say --------------------------------------------------------------------------------------


# "isn't retriable, and will always cause the execution to fail" (States.Runtime); terminal, not caught by the
# wildcards (States.DataLimitExceeded).
NEVER_MATCHED = frozenset({"States.Runtime"})
NOT_BY_WILDCARDS = frozenset({"States.Runtime", "States.DataLimitExceeded"})


def _matches(names: list[str], error: str) -> bool:
    """ErrorEquals as AWS matches it (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html):
    States.Runtime is matched by no rule; States.ALL matches every other error but States.DataLimitExceeded;
    States.TaskFailed every error but those two and States.Timeout."""
    if error in NEVER_MATCHED:
        return False
    for name in names:
        if name == error:
            return True
        if name == "States.ALL" and error not in NOT_BY_WILDCARDS:
            return True
        if name == "States.TaskFailed" and error not in NOT_BY_WILDCARDS | {"States.Timeout"}:
            return True
    return False


def first_matching(rules: list[dict[str, Any]], error: str) -> int | None:
    return next((i for i, rule in enumerate(rules) if _matches(list(rule.get("ErrorEquals", [])), error)), None)


def backoff_seconds(retrier: dict[str, Any], retries_behind: int) -> int:
    """The interval before the next retry: IntervalSeconds (1) x BackoffRate (2.0) ^ retries already made, at most
    MaxDelaySeconds (https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html). A retrier's
    JitterStrategy FULL draws a real wait between 0 and this; TestState's retryBackoffIntervalSeconds is "the
    duration in seconds of the backoff" (API_InspectionErrorDetails), and no page says it is drawn: the computed one."""
    interval = float(retrier.get("IntervalSeconds", 1)) * float(retrier.get("BackoffRate", 2.0)) ** retries_behind
    if "MaxDelaySeconds" in retrier:
        interval = min(interval, float(retrier["MaxDelaySeconds"]))
    return int(interval)


# --- the request ---------------------------------------------------------------------------------------------------


def _next_targets(state: dict[str, Any]) -> list[str]:
    targets = [state.get("Next"), state.get("Default")]
    targets += [rule.get("Next") for rule in state.get("Choices", []) if isinstance(rule, dict)]
    targets += [rule.get("Next") for rule in state.get("Catch", []) if isinstance(rule, dict)]
    return [t for t in targets if isinstance(t, str)]


def _wrapped(state: dict[str, Any], name: str) -> dict[str, Any]:
    """A single state as a machine moto parses and validates: every state it names as next is a stub."""
    states: dict[str, Any] = {target: {"Type": "Succeed"} for target in _next_targets(state) if target != name}
    states[name] = state
    machine: dict[str, Any] = {"StartAt": name, "States": states}
    if state.get("QueryLanguage") == "JSONata":
        machine["QueryLanguage"] = "JSONata"  # a JSONata state needs no JSONPath machine around it
    return machine


# What moto's parser does not read, as TestState reads it: an HTTP Task's Resource (moto knows no `http` service; a
# mocked one never calls, an unmocked one is refused) and a ToleratedFailurePercentage written as an integer.
HTTP_STAND_IN = "arn:aws:states:::aws-sdk:sts:getCallerIdentity"


def inner_machines(state: dict[str, Any]) -> list[dict[str, Any]]:
    """What a Map (ItemProcessor, or Iterator) or a Parallel (Branches) runs."""
    found = [state.get("ItemProcessor"), state.get("Iterator"), *list(state.get("Branches") or [])]
    return [machine for machine in found if isinstance(machine, dict)]


def every_state(machine: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every state of a machine by name, at any depth (a Map's and a Parallel's own states after each of them)."""
    for name, state in dict(machine.get("States") or {}).items():
        if isinstance(state, dict):
            yield name, state
            for inner in inner_machines(state):
                yield from every_state(inner)


def _parseable(machine: dict[str, Any]) -> dict[str, Any]:
    for _, state in every_state(machine):
        if HTTP_TASK.match(str(state.get("Resource", ""))):
            state["Resource"] = HTTP_STAND_IN
        if isinstance(state.get("ToleratedFailurePercentage"), int):
            state["ToleratedFailurePercentage"] = float(state["ToleratedFailurePercentage"])
    return machine


@dataclass(frozen=True)
class Definition:
    text: str  # the machine moto parses
    name: str  # the state under test
    state: dict[str, Any]
    language: str


def read_definition(text: Any, state_name: str | None) -> Definition:
    document = parsed_json(text, "definition", InvalidDefinition)
    if not isinstance(document, dict):
        raise InvalidDefinition("Invalid State Machine Definition: the definition must be a JSON object")
    if state_name is not None:
        states = document.get("States")
        if not isinstance(states, dict) or "StartAt" not in document:
            raise InvalidDefinition(
                "Invalid State Machine Definition: stateName requires a state machine definition (StartAt, States)"
            )
        state = states.get(state_name)
        if not isinstance(state, dict):
            raise ValidationException(f"State '{state_name}' does not exist in the state machine definition")
        machine_text = as_json(_parseable(copy.deepcopy(document)))
    else:
        if "States" in document and "Type" not in document:
            raise ValidationException("A state machine definition requires stateName: the state to test")
        state, state_name = document, STUB + "Tested"
        machine_text = as_json(_parseable(_wrapped(copy.deepcopy(state), state_name)))
    language = str(state.get("QueryLanguage") or document.get("QueryLanguage") or "JSONPath")
    kind = state.get("Type")
    if kind not in TYPES:
        raise InvalidDefinition(f"Invalid State Machine Definition: unsupported state type {kind!r}")
    return Definition(machine_text, state_name, state, language)


def _needs_mock(state: dict[str, Any]) -> None:
    """Refuses a state TestState runs only with a mock, as AWS refuses it (recorded 2025-12-10: a Map or Parallel
    without a mock is an InvalidDefinition); an HTTP Task is one here: the local endpoint makes no network call."""
    if state.get("Type") in ("Map", "Parallel"):
        raise InvalidDefinition(
            "TestState API does not support Map or Parallel states. "
            "Supported state types include: [Task, Wait, Pass, Succeed, Fail, Choice]"
        )
    resource = str(state.get("Resource", ""))
    if state.get("Type") != "Task":
        return
    if ":activity:" in resource:
        raise ValidationException("TestState supports an Activity task only when a mock is specified")
    if re.search(r"\.(sync(:2)?|waitForTaskToken)$", resource):
        raise ValidationException(
            "TestState supports the .sync and .waitForTaskToken integration patterns only when a mock is specified"
        )
    if HTTP_TASK.match(resource):
        raise ValidationException(
            "The local endpoint makes no network calls: test an HTTP Task (arn:aws:states:::http:invoke) with a mock"
        )


def _mocked_result(state: dict[str, Any], text: Any) -> Any:
    """The mock's result, parsed; a Map's or a Parallel's must have the form their result has (recorded 2025-12-10
    and 2026-02-25)."""
    result = parsed_json(text, "mock.result")
    if state.get("Type") == "Map":
        if "ResultWriter" in state and not isinstance(result, dict):
            raise ValidationException("Mocked result must be a JSON object.")
        if "ResultWriter" not in state and not isinstance(result, list):
            raise ValidationException("Mocked result must be an array.")
    if state.get("Type") == "Parallel":
        if not isinstance(result, list):
            raise ValidationException("Mocked result must be an array.")
        if len(result) != len(state.get("Branches", [])):
            raise ValidationException(
                "Mocked result must contain the same number of items as number of Parallel branches."
            )
    return result


def read_mock(given: Any, state: dict[str, Any], reveal_secrets: bool = False) -> dict[str, Any] | None:
    """The mock as {"result": value} or {"error": (error, cause)}, with its "mode" (fieldValidationMode); None
    without one. The messages are AWS's (recorded 2025-12-10)."""
    if given is None:
        _needs_mock(state)
        return None
    if not isinstance(given, dict):
        raise ValidationException("mock must be an object")
    kind = state.get("Type")
    if kind not in MOCKABLE:
        raise ValidationException(f"State type '{kind}' is not supported when a mock is specified")
    if reveal_secrets:
        raise ValidationException("TestState does not support RevealSecrets when a mock is specified.")
    mode = given.get("fieldValidationMode", "STRICT")
    if mode not in VALIDATION_MODES:
        raise ValidationException(f"fieldValidationMode must be one of {', '.join(VALIDATION_MODES)}")
    has_result, has_error = "result" in given, "errorOutput" in given
    if has_result and has_error:
        raise ValidationException("A test mock should have only one of the following fields: [result, errorOutput].")
    if not has_result and not has_error:
        raise ValidationException("A test mock should have one of the following fields: [result, errorOutput].")
    if has_error:
        error_output = given["errorOutput"]
        if not isinstance(error_output, dict) or not error_output.get("error"):
            raise ValidationException("mock.errorOutput.error is required when mock.errorOutput is specified")
        return {"error": (str(error_output["error"]), str(error_output.get("cause", ""))), "mode": mode}
    return {"result": _mocked_result(state, given["result"]), "mode": mode}
