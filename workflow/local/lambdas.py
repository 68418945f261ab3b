"""Runs our handler functions in-process for moto's Lambda, with the Lambda runtime's contract.

- A handler's exception becomes `{"errorType": <class name>, "errorMessage", "stackTrace"}` with errored=True, which
  is what Step Functions' Retry/Catch match on AWS.
- SNS deliveries are asynchronous invocations on AWS: queued, retried `async_retries` times with backoff, then sent
  to the function's on-failure queue (Lambda destinations' record format). Here they run on a small thread pool, so
  publishing an alert never waits on Slack.
"""

from __future__ import annotations

import importlib
import json
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from workflow.local.moto_hooks import InvokeResult
from workflow.manifest import Function

Handler = Callable[[dict[str, Any], Any], Any]
# On AWS, async retries wait about one then two minutes.
ASYNC_RETRY_DELAYS = (60.0, 120.0)


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
        time_scale: float,
        send_to_queue: Callable[[str, str], None],
    ) -> None:
        self._functions = functions
        self._arns = arns
        self._time_scale = time_scale
        self._send_to_queue = send_to_queue
        self._handlers: dict[str, Handler] = {}
        self._import_lock = threading.Lock()
        self._async = ThreadPoolExecutor(max_workers=4, thread_name_prefix="lambda-async")
        self._pending: set[Future[None]] = set()
        self._pending_lock = threading.Lock()

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
        if _is_sns_delivery(event):
            future = self._async.submit(self._invoke_async, function, event)
            with self._pending_lock:
                self._pending.add(future)
            future.add_done_callback(self._forget)
            return "", False, ""
        return self.invoke(function, event)

    def _forget(self, future: Future[None]) -> None:
        with self._pending_lock:
            self._pending.discard(future)

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
            result = self.handler(function.name)(event, context)
        except Exception as e:  # the Lambda runtime reports every uncaught exception this way
            error = {
                "errorType": type(e).__name__,
                "errorMessage": str(e),
                "stackTrace": traceback.format_tb(e.__traceback__),
            }
            # The Lambda runtime writes an uncaught error to the function's log; so do we, as one JSON line.
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
        return json.dumps(result, default=_json_default), False, ""

    def _invoke_async(self, function: Function, event: Any) -> None:
        last_error = ""
        for attempt in range(function.async_retries + 1):
            if attempt:
                delay = ASYNC_RETRY_DELAYS[min(attempt - 1, len(ASYNC_RETRY_DELAYS) - 1)]
                time.sleep(delay * self._time_scale)
            payload, errored, _ = self.invoke(function, event)
            if not errored:
                return
            last_error = payload
        if function.on_failure_queue:
            record = {
                "version": "1.0",
                "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
                "requestContext": {
                    "requestId": str(uuid.uuid4()),
                    "functionArn": self._arns[function.name],
                    "condition": "RetriesExhausted",
                    "approximateInvokeCount": function.async_retries + 1,
                },
                "requestPayload": event,
                "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
                "responsePayload": json.loads(last_error),
            }
            self._send_to_queue(function.on_failure_queue, json.dumps(record))

    def drain(self, timeout: float) -> bool:
        """Wait for queued asynchronous invocations; True when none is left."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._pending_lock:
                if not self._pending:
                    return True
            time.sleep(0.02)
        return False

    def shutdown(self) -> None:
        self._async.shutdown(wait=False, cancel_futures=True)


def _is_sns_delivery(event: Any) -> bool:
    if not isinstance(event, dict):
        return False
    records = event.get("Records")
    return (
        isinstance(records, list)
        and bool(records)
        and isinstance(records[0], dict)
        and records[0].get("EventSource") == "aws:sns"
    )
