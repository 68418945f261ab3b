"""TestState through the kit: one request, a typed answer (StateResult, its Inspection)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workflow.testing.endpoint import ROLE_ARN, as_text, parsed, using
from workflow.testing.observers import Heard, tell


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
        stages = {key: parsed(value) for key, value in data.items() if isinstance(value, str)}
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
            output=parsed(answer.get("output")),
            error=answer.get("error"),
            cause=answer.get("cause"),
            retry_index=details.get("retryIndex"),
            retry_backoff_seconds=details.get("retryBackoffIntervalSeconds"),
            catch_index=details.get("catchIndex"),
            inspection=Inspection.of(data) if isinstance(data, Mapping) else None,
            raw={k: v for k, v in answer.items() if k != "ResponseMetadata"},
        )


def run_test_state(
    definition: Mapping[str, Any] | str,
    input: Any = None,
    *,
    state_name: str | None = None,
    mock_result: Any = None,
    mock_error: tuple[str, str] | str | None = None,
    field_validation_mode: str | None = None,
    retrier_retry_count: int | None = None,
    state_configuration: Mapping[str, Any] | None = None,
    variables: Mapping[str, Any] | None = None,
    context: Mapping[str, Any] | None = None,
    inspection_level: str = "DEBUG",
    reveal_secrets: bool | None = None,
    role_arn: str | None = None,
    client: Any | None = None,
) -> StateResult:
    """One state run once by TestState: `definition` is a state, or a whole machine with `state_name`; `input` and
    `mock_result` are JSON values (the kit serializes them); `mock_error` is (error, cause) or an error name;
    `retrier_retry_count` is how many retries the state has already made; `state_configuration` the rest of
    stateConfiguration as AWS names it (errorCausedByState, mapIterationFailureCount, mapItemReaderData)."""
    request: dict[str, Any] = {
        "definition": as_text(definition),
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
    configuration = dict(state_configuration or {})
    if retrier_retry_count is not None:
        configuration["retrierRetryCount"] = retrier_retry_count
    if configuration:
        request["stateConfiguration"] = configuration
    if reveal_secrets is not None:
        request["revealSecrets"] = reveal_secrets
    if variables is not None:
        request["variables"] = json.dumps(dict(variables))
    if context is not None:
        request["context"] = json.dumps(dict(context))
    if role_arn is not None or not mock:
        request["roleArn"] = role_arn or ROLE_ARN
    with using(client) as sfn:
        result = StateResult.of(sfn.test_state(**request))
    tell(Heard(request["definition"], state_name, result=result))
    return result


# The public name; a helper, not a test, in whatever test module imports it.
test_state = run_test_state
test_state.__test__ = False  # type: ignore[attr-defined]
