"""What a system plugs into the patched moto: who runs Lambda functions, which faults to inject where, who hears of
the calls served, and how much faster retries wait. The local runtime builds one; so do the probes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from workflow.emulator.dynamodb import OnCall, OnWrite
from workflow.emulator.services import Dispatcher, Fault, FaultFor, OnMessaging


def no_fault(action: str, about: str | None) -> Fault | None:
    return None


@dataclass(frozen=True)
class Wiring:
    # Every Lambda invocation: (function name, event) -> (payload JSON, errored, logs), errors in the Lambda
    # runtime's shape ({"errorType", "errorMessage", "stackTrace"}).
    dispatch: Dispatcher
    # (action, table) -> the fault a DynamoDB call meets first; who hears of each write and each call served.
    dynamodb_fault: FaultFor = no_fault
    on_dynamodb_write: OnWrite | None = None
    on_dynamodb_call: OnCall | None = None
    # (action, execution name) -> the fault a Step Functions API call meets first.
    sfn_fault: FaultFor = no_fault
    # (service, action) -> whether this SQS or SNS call fails; who hears of each one served.
    messaging_fails: Callable[[str, str], bool] | None = None
    on_messaging: OnMessaging | None = None
    # Multiplies every retry interval the interpreter sleeps.
    retry_scale: float = 1.0
    # Asked at each Express start: whether at-least-once delivery starts it a second time.
    duplicate_express_start: Callable[[], bool] | None = None
    # Parsed definitions and JSONPaths kept.
    programs_cached: int = 32
    json_paths_cached: int = 1024
