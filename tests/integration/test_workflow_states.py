"""Every state of the order workflow, one TestState call at a time (workflow.testing, in-process): its success, each
Retry rule (retry count and backoff, then the Catch once retries run out) and each Catch rule (the error, the next
state and the document its Output writes).

The cases are derived from the compiled definition, Standard and, for the states that differ, Express: a new state,
Retry or Catch is tested without editing this module. What each is expected to do comes from AWS's documentation
(https://docs.aws.amazon.com/step-functions/latest/dg/concepts-error-handling.html: the first matching retrier,
IntervalSeconds x BackoffRate^n capped at MaxDelaySeconds; the first matching catcher) and from the workflow's own
contracts: a Task's output is its input (workflow.query_language.request), and the failure route's documents
(workflow.failure_route).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.derived import execution_input, happy_path
from workflow.failure_route import CAUSE_LIMIT, IDENTITY_KEYS
from workflow.query_language import CUT_MARKER
from workflow.testing import local_stepfunctions, order_workflow, test_state

ORDER_ID = "ord_01JTESTSTATE0000000000000"
# What a state may see: the execution's input (every Task passes its input on) and, on the failure route, the
# failure document and what RecordFailure and PublishFailure met. One input serves every state.
INPUT: dict[str, Any] = {
    **execution_input(ORDER_ID),
    "failure": {"state": "ValidateOrder", "error": {"Error": "Boom", "Cause": "it broke"}},
    "alertError": {"Error": "SNS.ThrottledException", "Cause": "slow down"},
}
# A result of each integration's shape (its API's output), for a Task's success.
RESULTS: dict[str, Any] = {
    "lambda:invoke": {"StatusCode": 200, "ExecutedVersion": "$LATEST", "Payload": {"ok": True}},
    "sqs:sendMessage": {"MessageId": "m-1", "MD5OfMessageBody": "0" * 32},
    "dynamodb:updateItem": {},
    "sns:publish": {"MessageId": "m-2"},
}
# An error no rule names: only States.ALL (or States.TaskFailed) catches it.
UNNAMED_ERROR = "orderflow.UnexpectedError"
RETRY_DEFAULTS = {"IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 2.0}
INPUT_READ = re.compile(r"\$states\.input\.([\w.]+)")
MERGED = re.compile(r'^\{% \$merge\(\[\$states\.input, \{"(\w+)": \$states\.errorOutput\}\]\) %\}$')


@dataclass(frozen=True)
class Edition:
    workflow_type: str
    definition: dict[str, Any]
    states: tuple[str, ...]  # the states tested in this edition (Express: those that differ from Standard's)


def _editions() -> list[Edition]:
    standard = order_workflow("STANDARD")
    express = order_workflow("EXPRESS")
    differ = tuple(name for name, state in express["States"].items() if standard["States"].get(name) != state)
    return [Edition("STANDARD", standard, tuple(standard["States"])), Edition("EXPRESS", express, differ)]


EDITIONS = _editions()
HAPPY = {e.workflow_type: happy_path(e.definition) for e in EDITIONS}


@pytest.fixture(scope="module", autouse=True)
def _local() -> Iterator[None]:
    with local_stepfunctions():
        yield


def _matches(names: list[str], error: str) -> bool:
    """ErrorEquals as the error-handling page defines it."""
    return any(
        name == error
        or (name == "States.ALL" and error not in ("States.Runtime", "States.DataLimitExceeded"))
        or (name == "States.TaskFailed" and error not in ("States.Timeout", "States.Runtime"))
        for name in names
    )


def _first(rules: list[dict[str, Any]], error: str) -> int | None:
    return next((i for i, rule in enumerate(rules) if _matches(rule["ErrorEquals"], error)), None)


def _cases(kind: str) -> list[Any]:
    found = []
    for edition in EDITIONS:
        for name in edition.states:
            state = edition.definition["States"][name]
            rules = [None] if kind == "state" else list(enumerate(state.get(kind, [])))
            for rule in rules:
                where = name if rule is None else f"{name}.{kind}[{rule[0]}]"
                found.append(pytest.param(edition, name, rule, id=f"{edition.workflow_type}-{where}"))
    return found


def _integration(state: dict[str, Any]) -> str:
    return str(state["Resource"]).partition(":::")[2]


def _next_expected(edition: Edition, name: str, state: dict[str, Any]) -> str | None:
    """The happy path's next state for a state on it; a state off it goes to its own Next."""
    path = HAPPY[edition.workflow_type]
    if name in path:
        index = path.index(name)
        expected = path[index + 1] if index + 1 < len(path) else None
        assert state.get("Next") == expected, f"{name} leaves the happy path"
        return expected
    return state.get("Next")


@pytest.mark.parametrize(("edition", "name", "rule"), _cases("state"))
def test_state_succeeds(edition: Edition, name: str, rule: None) -> None:
    state = edition.definition["States"][name]
    kind = state["Type"]
    mock = {"mock_result": RESULTS.get(_integration(state), {})} if kind == "Task" else {}
    result = test_state(edition.definition, INPUT, state_name=name, **mock)
    if kind == "Fail":
        # A Fail state fails with its Error; its Cause names the order and the step where it names them.
        assert (result.status, result.error, result.next_state) == ("FAILED", state["Error"], None)
        cause = state.get("Cause", "")
        if cause.startswith("{%"):
            # An expression: each field of the input it reads is in the Cause it writes.
            for read in dict.fromkeys(INPUT_READ.findall(cause)):
                value: Any = INPUT
                for key in read.split("."):
                    value = value[key]
                assert str(value) in (result.cause or ""), f"{name}'s Cause lacks {read}: {result.cause}"
        else:
            assert result.cause == cause
        return
    assert result.status == "SUCCEEDED", result
    assert result.next_state == _next_expected(edition, name, state)
    # Every state passes its input on (a Task's result is not carried: workflow.query_language.request).
    assert result.output == INPUT
    if kind == "Task":
        assert result.inspection is not None
        assert result.inspection.result == mock["mock_result"]


def _retry_count_to_exhaust(state: dict[str, Any], error: str) -> int:
    """retrierRetryCount at which the retrier for `error` (if any) has no attempt left."""
    retriers = state.get("Retry", [])
    index = _first(retriers, error)
    return 0 if index is None else int({**RETRY_DEFAULTS, **retriers[index]}["MaxAttempts"])


def _caught(edition: Edition, name: str, result: Any, error: str, cause: str) -> None:
    """The error went on to the first Catch that matches it (or failed the state if none does)."""
    catchers = edition.definition["States"][name].get("Catch", [])
    index = _first(catchers, error)
    if index is None:
        assert (result.status, result.error) == ("FAILED", error), result
        return
    assert (result.status, result.catch_index) == ("CAUGHT_ERROR", index), result
    assert (result.error, result.cause) == (error, cause)
    assert result.next_state == catchers[index]["Next"]


@pytest.mark.parametrize(("edition", "name", "rule"), _cases("Retry"))
def test_retry_rule(edition: Edition, name: str, rule: tuple[int, dict[str, Any]]) -> None:
    index, retrier = rule
    rules = {**RETRY_DEFAULTS, **retrier}
    state = edition.definition["States"][name]
    # Each error it names is retried by this rule (no earlier rule takes it), first after IntervalSeconds.
    for error in retrier["ErrorEquals"]:
        assert _first(state["Retry"], error) == index, f"{name}.Retry[{index}]: {error} is retried by an earlier rule"
        result = test_state(edition.definition, INPUT, state_name=name, mock_error=(error, "transient"))
        assert (result.status, result.error, result.cause) == ("RETRIABLE", error, "transient"), result
        assert result.retry_index == index
    # Its backoff, for each retry already made: IntervalSeconds x BackoffRate^n, at most MaxDelaySeconds.
    error = retrier["ErrorEquals"][0]
    for made in range(int(rules["MaxAttempts"])):
        result = test_state(
            edition.definition, INPUT, state_name=name, mock_error=(error, "transient"), retrier_retry_count=made
        )
        backoff = float(rules["IntervalSeconds"]) * float(rules["BackoffRate"]) ** made
        if "MaxDelaySeconds" in rules:
            backoff = min(backoff, float(rules["MaxDelaySeconds"]))
        assert (result.status, result.retry_index) == ("RETRIABLE", index), f"retry {made}: {result}"
        assert result.retry_backoff_seconds == int(backoff), f"retry {made} of {name}.Retry[{index}]"
    # MaxAttempts made: the error goes on to the Catch.
    result = test_state(
        edition.definition,
        INPUT,
        state_name=name,
        mock_error=(error, "transient"),
        retrier_retry_count=int(rules["MaxAttempts"]),
    )
    _caught(edition, name, result, error, "transient")


def _failure_document(name: str, error: str, cause: str) -> dict[str, Any]:
    """What a step's Catch writes for the failure route (workflow.failure_route): the order's identity, its total
    and currency, and the failure (the step, the error and its Cause, cut at CAUSE_LIMIT) — not the order itself."""
    if len(cause) > CAUSE_LIMIT:
        cause = f"{cause[:CAUSE_LIMIT]}{CUT_MARKER}{len(cause)} characters]"
    return {
        **{key: str(INPUT[key]) for key in IDENTITY_KEYS},
        "total": str(INPUT["total"]),
        "currency": str(INPUT["order"]["currency"]),
        "failure": {"state": name, "error": {"Error": error, "Cause": cause}},
    }


def _written(name: str, catcher: dict[str, Any], error: str, cause: str) -> Any:
    """The state's output as the Catch writes it (JSONata: its Output, by default the error output)."""
    caught = {"Error": error, "Cause": cause}
    output = catcher.get("Output")
    if output is None:
        return caught
    if isinstance(output, dict) and "failure" in output:
        return _failure_document(name, error, cause)
    if isinstance(output, str) and (merged := MERGED.match(output)):
        return {**INPUT, merged.group(1): caught}
    raise AssertionError(f"{name}'s Catch writes an Output this test has no expectation for: {output!r}")


@pytest.mark.parametrize(("edition", "name", "rule"), _cases("Catch"))
def test_catch_rule(edition: Edition, name: str, rule: tuple[int, dict[str, Any]]) -> None:
    index, catcher = rule
    state = edition.definition["States"][name]
    causes = ["it broke"]
    if isinstance(catcher.get("Output"), dict) and "failure" in catcher["Output"]:
        causes.append("x" * (CAUSE_LIMIT + 500))  # the failure document cuts a Cause SNS and DynamoDB cannot hold
    for named in catcher["ErrorEquals"]:
        error = UNNAMED_ERROR if named in ("States.ALL", "States.TaskFailed") else named
        assert _first(state["Catch"], error) == index, f"{name}.Catch[{index}]: {error} is caught by an earlier rule"
        for cause in causes:
            result = test_state(
                edition.definition,
                INPUT,
                state_name=name,
                mock_error=(error, cause),
                retrier_retry_count=_retry_count_to_exhaust(state, error),
            )
            _caught(edition, name, result, error, cause)
            assert result.output == _written(name, catcher, error, cause)


def test_every_state_and_rule_is_derived() -> None:
    """The derivation found what the workflow holds: each state of each edition, each rule (a derivation that lost
    some would ask for less without failing)."""
    standard = EDITIONS[0].definition["States"]
    assert set(EDITIONS[0].states) == set(standard)
    assert set(HAPPY["STANDARD"]) <= set(standard)
    tasks = [name for name, state in standard.items() if state["Type"] == "Task"]
    assert tasks
    assert all(standard[name].get("Retry") and standard[name].get("Catch") for name in tasks)
    assert {_integration(standard[name]) for name in tasks} <= set(RESULTS), "a new integration needs a result"
