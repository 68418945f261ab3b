"""Replacements at moto's service front doors: Lambda's invocation, and the Step Functions, SQS and SNS APIs.

- `LambdaFunction._invoke_lambda(self, event) -> (payload, errored, logs)`: every Lambda invocation path in moto
  (Step Functions tasks, lambda.invoke, SNS, event sources) ends here; moto runs Docker. Ours hands the event to the
  local system's dispatcher, which runs the handler in-process and answers errors in the Lambda runtime's shape.
- `StepFunctionResponse.call_action`: Step Functions API calls meet their faults first (a stalled answer; an error
  answered instead, e.g. the miss of an eventually consistent DescribeExecution).
- `SQSResponse.call_action` / `SNSResponse.call_action`: SendMessage and Publish fail when the fault plan says so
  (a 400, as a throttled service answers: botocore would retry a 500 inside moto's own Step Functions client and
  hide the fault); every call served is reported (the meter).
- `StepFunctionResponse.get_execution_history`: `reverseOrder`, `maxResults` and `nextToken` as AWS pages the
  history (moto answered every event, oldest first, whatever was asked).
"""

from __future__ import annotations

import base64
import binascii
import json
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from moto.awslambda.models import LambdaFunction
from moto.core.responses import ActionResult
from moto.sns.responses import SNSResponse
from moto.sqs.responses import SQSResponse
from moto.stepfunctions.exceptions import InvalidToken
from moto.stepfunctions.responses import StepFunctionResponse

from handlers.arns import execution_name
from workflow.emulator.patches import moto_original

InvokeResult = tuple[str, bool, str]
Dispatcher = Callable[[str, Any], InvokeResult]


class Fault(Protocol):
    """A fault for one call: a delay first (other calls go on meanwhile), then the error answered instead of the
    call (None: the call is served after the delay)."""

    delay: float
    error: str | None


# (action, what it is about: a table, an execution's name, or None) -> the fault for this call, if any
FaultFor = Callable[[str, str | None], Fault | None]
# (service, action, params, answer): a call served
OnMessaging = Callable[[str, str, Mapping[str, Any], Any], None]

_INVOKE = moto_original(LambdaFunction, "_invoke_lambda")
_SQS_CALL = moto_original(SQSResponse, "call_action")
_SNS_CALL = moto_original(SNSResponse, "call_action")
_SFN_CALL = moto_original(StepFunctionResponse, "call_action")


def error_headers(content_type: str) -> dict[str, str]:
    # AWS answers every error with a request id; moto's Step Functions integrations read it.
    return {"content-type": content_type, "x-amzn-requestid": str(uuid.uuid4())}


def invoking(dispatch: Dispatcher) -> Callable[..., InvokeResult]:
    def _invoke_lambda(self: LambdaFunction, event: Any = None) -> InvokeResult:
        if isinstance(event, str | bytes):
            event = json.loads(event or "{}")
        return dispatch(self.function_name, event if event is not None else {})

    return _invoke_lambda


def step_functions_calls(fault_for: FaultFor) -> Callable[[StepFunctionResponse], Any]:
    """Step Functions API calls meet their faults (by action and execution name) before moto serves them."""

    def call_action(self: StepFunctionResponse) -> Any:
        arn = self._get_param("executionArn")
        fault = fault_for(self._get_action(), execution_name(arn) if arn else self._get_param("name"))
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.error is not None:
                body = json.dumps({"__type": fault.error, "message": "injected fault"})
                headers = {**error_headers("application/x-amz-json-1.0"), "x-amzn-errortype": fault.error}
                return 400, headers, body
        return _SFN_CALL(self)

    return call_action


def _failure(service: str) -> tuple[int, dict[str, str], str]:
    if service == "sqs":
        body = json.dumps({"__type": "com.amazonaws.sqs#KmsThrottled", "message": "injected fault"})
        return 400, error_headers("application/x-amz-json-1.0"), body
    body = (
        "<ErrorResponse><Error><Type>Sender</Type><Code>Throttled</Code>"
        "<Message>Rate exceeded (injected fault)</Message></Error><RequestId>0</RequestId></ErrorResponse>"
    )
    return 400, error_headers("text/xml"), body


def messaging_calls(
    service: str, fails: Callable[[str, str], bool] | None, on_call: OnMessaging | None
) -> Callable[[Any], Any]:
    """SQS or SNS calls: `fails(service, action)` says whether this one fails (answered as a throttled service
    answers), and `on_call` hears of every call answered (faults included, as before any counting)."""
    original = _SQS_CALL if service == "sqs" else _SNS_CALL

    def call_action(self: Any) -> Any:
        action = self._get_action()
        answer = _failure(service) if fails is not None and fails(service, action) else original(self)
        if on_call is not None:
            on_call(service, action, getattr(self, "params", None) or {}, answer)
        return answer

    return call_action


_GET_EXECUTION_HISTORY = moto_original(StepFunctionResponse, "get_execution_history")
# GetExecutionHistory's page when maxResults is 0 or not given, and its largest
# (https://docs.aws.amazon.com/step-functions/latest/apireference/API_GetExecutionHistory.html).
HISTORY_PAGE = 100
HISTORY_PAGE_LIMIT = 1000


def _history_token(arn: str, reverse: bool, offset: int) -> str:
    text = json.dumps({"arn": arn, "reverse": reverse, "offset": offset})
    return base64.urlsafe_b64encode(text.encode()).decode()


def _history_offset(token: str, arn: str, reverse: bool) -> int:
    try:
        found = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = found["offset"] if found["arn"] == arn and found["reverse"] is reverse else None
    except (ValueError, binascii.Error, KeyError, TypeError):
        offset = None
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise InvalidToken("the token was not given by GetExecutionHistory for this execution and order")
    return offset


def get_execution_history(self: StepFunctionResponse) -> Any:
    """moto's answer (every event, Express refused as AWS refuses it), paged as AWS pages it: newest first when
    `reverseOrder`, at most `maxResults` events (100 when 0 or not given), a `nextToken` while more remain."""
    answer = _GET_EXECUTION_HISTORY(self)
    result = answer.result
    if not isinstance(result, Mapping):
        return answer
    arn = str(self._get_param("executionArn"))
    reverse = bool(self._get_param("reverseOrder", False))
    size = int(self._get_param("maxResults", 0) or 0)
    size = HISTORY_PAGE if size <= 0 else min(size, HISTORY_PAGE_LIMIT)
    token = self._get_param("nextToken")
    offset = _history_offset(str(token), arn, reverse) if token else 0
    events = list(result.get("events") or [])
    if reverse:
        events.reverse()
    page: dict[str, Any] = {**result, "events": events[offset : offset + size]}
    if offset + size < len(events):
        page["nextToken"] = _history_token(arn, reverse, offset + size)
    return ActionResult(page)
