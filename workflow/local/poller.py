"""Our own SQS -> Lambda event source, in place of moto's (which runs inside SendMessage, ignores partial batch
failures and never raises the receive count).

Like Lambda's poller: long-polls the queue, invokes the function with a batch, deletes the records that succeeded,
and leaves the ones reported in `batchItemFailures` (or the whole batch when the invocation failed) to reappear
after the visibility timeout. SQS counts the receives and moves a message to the DLQ after maxReceiveCount.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from typing import TYPE_CHECKING, Any

from workflow.local.faults import FaultInjector

if TYPE_CHECKING:
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_sqs import SQSClient

_log = logging.getLogger(__name__)


class QueuePoller:
    def __init__(
        self,
        sqs: SQSClient,
        lambda_client: LambdaClient,
        queue_url: str,
        queue_arn: str,
        function_name: str,
        batch_size: int,
        region: str,
        wait_seconds: int = 1,
        batch_window: float = 0.0,
        faults: FaultInjector | None = None,
    ) -> None:
        self._sqs = sqs
        self._lambda = lambda_client
        self._queue_url = queue_url
        self._queue_arn = queue_arn
        self._function = function_name
        self._batch_size = batch_size
        self._region = region
        self._wait = wait_seconds
        self._window = batch_window
        self._faults = faults or FaultInjector()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"poller-{function_name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:  # keep polling, as a real event source mapping does; but say why
                _log.exception("polling %s for %s failed", self._queue_url, self._function)
                time.sleep(0.2)

    def poll_once(self) -> int:
        if self._faults.function(self._function).stalled:
            self._stop.wait(self._wait)
            return 0
        messages = self._receive(self._wait)
        if not messages:
            return 0
        # A batching window: keep gathering (up to the batch size) for that long after the first message.
        deadline = time.monotonic() + self._window
        while len(messages) < self._batch_size and time.monotonic() < deadline:
            messages += self._receive(0) or []
            if len(messages) < self._batch_size:
                time.sleep(min(0.05, max(0.0, deadline - time.monotonic())))
        self._deliver(messages)
        return len(messages)

    def _receive(self, wait: int) -> list[Any]:
        received = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=min(10, self._batch_size),  # SQS hands out at most 10 per call
            WaitTimeSeconds=wait,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        return list(received.get("Messages", []))

    def _deliver(self, messages: list[Any]) -> None:
        event = {"Records": [sqs_record(m, self._queue_arn, self._region) for m in messages]}
        response = self._lambda.invoke(FunctionName=self._function, Payload=json.dumps(event).encode())
        if self._faults.roll(self._faults.plan.worker_crash_after_write, f"{self._function}.crashed_before_delete"):
            return  # the function did its work, then "crashed": nothing is deleted, every message comes back
        failed: set[str] = {m["MessageId"] for m in messages}
        if "FunctionError" not in response:
            result = json.loads(response["Payload"].read() or b"{}")
            failures = result.get("batchItemFailures", []) if isinstance(result, dict) else []
            failed = {f["itemIdentifier"] for f in failures}
        done: list[Any] = [
            {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
            for i, m in enumerate(messages)
            if m["MessageId"] not in failed
        ]
        for start in range(0, len(done), 10):
            self._sqs.delete_message_batch(QueueUrl=self._queue_url, Entries=done[start : start + 10])


def sqs_record(message: Any, queue_arn: str, region: str) -> dict[str, Any]:
    """A received SQS message as Lambda's SQS event source hands it to the function (one record of `Records`)."""
    attributes = {
        name: {
            "stringValue": value.get("StringValue"),
            "binaryValue": value.get("BinaryValue"),
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": value.get("DataType", "String"),
        }
        for name, value in message.get("MessageAttributes", {}).items()
    }
    return {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": attributes,
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


class Ticker:
    """A queue's schedule (workflow.manifest Queue.tick_minutes): a tick message every `interval` seconds, as the
    EventBridge rule sends on AWS; the queue's consumer runs the scheduled job, with its retries and DLQ."""

    def __init__(self, sqs: SQSClient, queue_url: str, interval: float) -> None:
        self._sqs = sqs
        self._queue_url = queue_url
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ticker", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._sqs.send_message(QueueUrl=self._queue_url, MessageBody=json.dumps({"tick": time.time()}))
            except Exception:  # the local AWS is stopping, or briefly failing: the next tick comes anyway
                _log.warning("tick to %s not sent", self._queue_url, exc_info=True)
