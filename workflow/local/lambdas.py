"""Runs our handler functions in-process for moto's Lambda, with the Lambda runtime's contract.

- A handler's exception becomes `{"errorType": <class name>, "errorMessage", "stackTrace"}` with errored=True, which
  is what Step Functions' Retry/Catch match on AWS.
- Every invocation is synchronous here: the functions are invoked by Step Functions, the API and our SQS pollers.
- The handler runs inside `calls.invoking(name)`: the AWS calls it makes are the function's (workflow.local.calls
  records them, and the integration tier checks them against the manifest's access).
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from workflow.emulator.services import InvokeResult
from workflow.local import calls
from workflow.local.faults import FaultInjector
from workflow.manifest import Function

Handler = Callable[[dict[str, Any], Any], Any]

# Lambda writes a REPORT line after each invocation (its duration); so do we, as a DEBUG record on this logger, which
# nothing shows unless a console asks for it (`orderflow up` on a terminal: workflow.cli.terminal).
REPORT = logging.getLogger(__name__)


@dataclass
class LambdaContext:
    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    timeout_seconds: int
    started: float

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.started + self.timeout_seconds - time.monotonic()) * 1000))


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


class InProcessLambdas:
    def __init__(
        self,
        functions: dict[str, Function],
        arns: dict[str, str],
        faults: FaultInjector | None = None,
        log_errors: bool = True,
        on_invoke: Callable[[str], None] | None = None,
    ) -> None:
        self._on_invoke = on_invoke  # hears of every invocation (the meter)
        self._functions = functions
        self._arns = arns
        self._faults = faults or FaultInjector()
        self._log_errors = log_errors
        self._handlers: dict[str, Handler] = {}
        self._import_lock = threading.Lock()

    def handler(self, name: str) -> Handler:
        """Import the handler module on first use, as a cold start does."""
        with self._import_lock:
            if name not in self._handlers:
                module_name, _, attribute = self._functions[name].handler.rpartition(".")
                self._handlers[name] = getattr(importlib.import_module(module_name), attribute)
            return self._handlers[name]

    def dispatch(self, function_name: str, event: Any) -> InvokeResult:
        function = self._functions.get(function_name)
        if function is None:
            error = {"errorType": "ResourceNotFoundException", "errorMessage": f"no function {function_name}"}
            return json.dumps(error), True, ""
        if self._on_invoke is not None:
            self._on_invoke(function_name)
        return self.invoke(function, event)

    def invoke(self, function: Function, event: Any) -> InvokeResult:
        context = LambdaContext(
            function_name=function.name,
            memory_limit_in_mb=function.memory,
            invoked_function_arn=self._arns[function.name],
            aws_request_id=str(uuid.uuid4()),
            timeout_seconds=function.timeout,
            started=time.monotonic(),
        )
        try:
            self._inject(function.name)
            with calls.invoking(function.name):
                result = self.handler(function.name)(event, context)
        except Exception as e:  # the Lambda runtime reports every uncaught exception this way
            error = {
                "errorType": _ERROR_TYPES.get(type(e), type(e).__name__),
                "errorMessage": str(e),
                "stackTrace": traceback.format_tb(e.__traceback__),
            }
            _report(function.name, context, event, error=error)
            # The Lambda runtime writes an uncaught error to the function's log; so do we, as one JSON line.
            if self._log_errors:
                print(
                    json.dumps(
                        {
                            "level": "ERROR",
                            "message": "invocation failed",
                            "function_name": function.name,
                            "function_request_id": context.aws_request_id,
                            "errorType": error["errorType"],
                            "errorMessage": error["errorMessage"],
                        }
                    ),
                    flush=True,
                )
            return json.dumps(error), True, ""
        _report(function.name, context, event, result=result)
        return json.dumps(result, default=_json_default), False, ""

    def _inject(self, name: str) -> None:
        faults = self._faults.function(name)
        if faults.latency_ms:
            time.sleep(faults.latency_ms / 1000)
        if self._faults.roll(faults.transient, f"{name}.transient"):
            raise InjectedServiceError(f"{name}: injected transient fault (Lambda service error)")
        if self._faults.roll(faults.permanent, f"{name}.permanent"):
            raise InjectedFault(f"{name}: injected permanent fault")


def _report(
    function: str, context: LambdaContext, event: Any, error: dict[str, Any] | None = None, result: Any = None
) -> None:
    """The invocation's REPORT record: its function, request id, duration, error, and (a workflow task's input
    names it) the order; for an SQS batch, how many of its messages failed."""
    if not REPORT.isEnabledFor(logging.DEBUG):
        return
    failures = result.get("batchItemFailures") if isinstance(result, dict) else None
    REPORT.debug(
        "REPORT",
        extra={
            "function": function,
            "request_id": context.aws_request_id,
            "duration_ms": (time.monotonic() - context.started) * 1000,
            "order_id": event.get("orderId") if isinstance(event, dict) else None,
            "error_type": error["errorType"] if error else None,
            "error_message": error["errorMessage"] if error else None,
            "failed_items": len(failures) if isinstance(failures, list) else 0,
            "batch": len(event["Records"]) if isinstance(event, dict) and isinstance(event.get("Records"), list) else 0,
        },
    )


class InjectedFault(Exception):
    """A permanent failure injected by the fault plan: the workflow catches it (no Retry matches it)."""


class InjectedServiceError(Exception):
    """A transient failure: reported the way Lambda reports its own service errors, which the workflow retries."""


_ERROR_TYPES: dict[type[Exception], str] = {InjectedServiceError: "Lambda.ServiceException"}
