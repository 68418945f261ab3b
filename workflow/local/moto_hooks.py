"""The places where the local runtime reaches into moto (pinned exactly in requirements.lock).

1. `LambdaFunction._invoke_lambda(self, event) -> (payload, errored, logs)`: every Lambda invocation path in moto
   (Step Functions tasks, lambda.invoke, our SQS pollers) ends here; normally it runs Docker. We run our handler
   in-process instead.
2. `DynamoHandler.call_action`: serialized, because moto's conditional writes are not atomic across threads and real
   DynamoDB's are (per item). Also where DynamoDB faults are injected.
3. The Step Functions retrier's `time.sleep`: scaled, so production retry intervals stay in the definition while
   local runs wait less.
4. `SQSResponse.call_action` / `SNSResponse.call_action`: only when a fault plan asks for SendMessage / Publish
   failures (workflow.local.faults).

`check_moto_compatible()` fails loudly when moto changes any of them; a unit test calls it.
"""

from __future__ import annotations

import inspect
import json
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from moto.awslambda.models import LambdaFunction
from moto.dynamodb.responses import DynamoHandler
from moto.sns.responses import SNSResponse
from moto.sqs.responses import SQSResponse
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl

from workflow.local.faults import FaultInjector

InvokeResult = tuple[str, bool, str]
Dispatcher = Callable[[str, Any], InvokeResult]


class MotoChanged(RuntimeError):
    pass


def check_moto_compatible() -> None:
    params = list(inspect.signature(_ORIGINAL_INVOKE).parameters)
    if params != ["self", "event"]:
        raise MotoChanged(
            f"LambdaFunction._invoke_lambda now takes {params}; the in-process hook expects (self, event)"
        )
    if "tuple[str, bool, str]" not in str(inspect.signature(_ORIGINAL_INVOKE).return_annotation):
        raise MotoChanged("LambdaFunction._invoke_lambda no longer returns (payload, errored, logs)")
    if not callable(getattr(DynamoHandler, "call_action", None)) or not hasattr(DynamoHandler, "_get_action"):
        raise MotoChanged("DynamoHandler.call_action/_get_action changed; DynamoDB serialisation cannot hook in")
    for response in (SQSResponse, SNSResponse):
        if not callable(getattr(response, "call_action", None)) or not hasattr(response, "_get_action"):
            raise MotoChanged(f"{response.__name__}.call_action/_get_action changed; messaging faults cannot hook in")
    if getattr(retrier_decl, "time", None) is not time and not isinstance(retrier_decl.time, _ScaledTime):
        raise MotoChanged("moto's retrier no longer sleeps through its module-level `time`")


_ORIGINAL_INVOKE = LambdaFunction._invoke_lambda
_ORIGINAL_CALL_ACTION = DynamoHandler.call_action
_ORIGINAL_SQS_CALL = SQSResponse.call_action
_ORIGINAL_SNS_CALL = SNSResponse.call_action


def install_lambda_dispatcher(dispatch: Dispatcher) -> None:
    check_moto_compatible()

    def _invoke_lambda(self: LambdaFunction, event: Any = None) -> InvokeResult:
        if isinstance(event, str | bytes):
            event = json.loads(event or "{}")
        return dispatch(self.function_name, event if event is not None else {})

    LambdaFunction._invoke_lambda = _invoke_lambda


@dataclass
class _Fault:
    action: str
    table: str | None
    remaining: int
    error: str | None  # the JSON error DynamoDB answers with; None: only the delay
    delay: float = 0.0


def _error(kind: str, message: str) -> str:
    return json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{kind}", "message": f"{message} (injected fault)"})


_THROTTLED = _error(
    "ProvisionedThroughputExceededException",
    "The level of configured provisioned throughput for the table was exceeded",
)
_CONDITION_FAILED = _error("ConditionalCheckFailedException", "The conditional request failed")


@dataclass
class DynamoDBFaults:
    """Faults for the next N calls of an action (optionally on one table), as DynamoDB shows them under load:
    throttling, a failed condition, or added latency."""

    faults: list[_Fault] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    # Rate-based faults of a fault plan; `conditional_table` is where ConditionalCheckFailed is injected on PutItem.
    injector: FaultInjector = field(default_factory=FaultInjector)
    conditional_table: str | None = None

    def throttle(self, action: str, times: int, table: str | None = None) -> None:
        self._add(_Fault(action, table, times, _THROTTLED))

    def fail_condition(self, action: str, times: int, table: str | None = None) -> None:
        self._add(_Fault(action, table, times, _CONDITION_FAILED))

    def delay(self, action: str, seconds: float, times: int, table: str | None = None) -> None:
        self._add(_Fault(action, table, times, None, seconds))

    def _add(self, fault: _Fault) -> None:
        with self.lock:
            self.faults.append(fault)

    def take(self, action: str, table: str | None) -> _Fault | None:
        with self.lock:
            for fault in self.faults:
                if fault.action == action and fault.table in (None, table) and fault.remaining > 0:
                    fault.remaining -= 1
                    return fault
        plan = self.injector.plan
        if self.injector.roll(plan.dynamodb_throttle, f"dynamodb.{action}.throttled"):
            return _Fault(action, table, 0, _THROTTLED)
        if (
            action == "PutItem"
            and table == self.conditional_table
            and self.injector.roll(plan.dynamodb_condition_failed, "dynamodb.PutItem.condition_failed")
        ):
            return _Fault(action, table, 0, _CONDITION_FAILED)
        return None


def serialize_dynamodb_with_faults(faults: DynamoDBFaults) -> None:
    """Every DynamoDB call runs one at a time (as real DynamoDB's per-item conditional writes are atomic, and moto's
    are not across threads), after `faults` had its say: an injected error, or latency before the call."""
    check_moto_compatible()
    lock = threading.RLock()

    def call_action(self: DynamoHandler) -> Any:
        fault = faults.take(self._get_action(), getattr(self, "params", {}).get("TableName"))
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)  # outside the lock: other calls go on meanwhile
            if fault.error is not None:
                return 400, _error_headers("application/x-amz-json-1.0"), fault.error
        with lock:
            return _ORIGINAL_CALL_ACTION(self)

    DynamoHandler.call_action = call_action


def _error_headers(content_type: str) -> dict[str, str]:
    # AWS answers every error with a request id; moto's Step Functions integrations read it.
    return {"content-type": content_type, "x-amzn-requestid": str(uuid.uuid4())}


def inject_messaging_faults(injector: FaultInjector) -> None:
    """SQS SendMessage and SNS Publish fail at the plan's rates, as a throttled or failing service answers. 400s,
    not 500s: botocore would retry a 500 inside moto's own Step Functions client and hide the fault."""
    check_moto_compatible()

    def failing(original: Callable[[Any], Any], service: str, actions: set[str], rate: Callable[[], float]) -> Any:
        def call_action(self: Any) -> Any:
            action = self._get_action()
            if action in actions and injector.roll(rate(), f"{service}.{action}.failed"):
                if service == "sqs":
                    body = json.dumps({"__type": "com.amazonaws.sqs#KmsThrottled", "message": "injected fault"})
                    return 400, _error_headers("application/x-amz-json-1.0"), body
                body = (
                    "<ErrorResponse><Error><Type>Sender</Type><Code>Throttled</Code>"
                    "<Message>Rate exceeded (injected fault)</Message></Error><RequestId>0</RequestId></ErrorResponse>"
                )
                return 400, _error_headers("text/xml"), body
            return original(self)

        return call_action

    SQSResponse.call_action = failing(
        _ORIGINAL_SQS_CALL, "sqs", {"SendMessage", "SendMessageBatch"}, lambda: injector.plan.sqs_send_failure
    )
    SNSResponse.call_action = failing(
        _ORIGINAL_SNS_CALL, "sns", {"Publish", "PublishBatch"}, lambda: injector.plan.sns_publish_failure
    )


class _ScaledTime:
    def __init__(self, scale: float) -> None:
        self.scale = scale

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds * self.scale)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


def scale_retry_intervals(scale: float) -> None:
    check_moto_compatible()
    retrier_decl.time = _ScaledTime(scale)


def uninstall() -> None:
    LambdaFunction._invoke_lambda = _ORIGINAL_INVOKE
    DynamoHandler.call_action = _ORIGINAL_CALL_ACTION
    SQSResponse.call_action = _ORIGINAL_SQS_CALL
    SNSResponse.call_action = _ORIGINAL_SNS_CALL
    retrier_decl.time = time
