"""The alert DLQ (SQS), for an alert a target refused for good: parked at once with the target and its reason as
message attributes, where `orderflow dlq list alerts` shows it and a redrive returns it to the alert queue."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from handlers.domain.alerts import Notification

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient


class SqsAlertDlq:
    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self._client = client
        self._queue_url = queue_url

    def park(self, notification: Notification, target: str, reason: str) -> None:
        self._client.send_message(
            QueueUrl=self._queue_url,
            # What the alert topic carried, in the form the AlertHandler reads back after a redrive.
            MessageBody=json.dumps(notification.to_dict()),
            MessageAttributes={
                "refusedBy": {"DataType": "String", "StringValue": target},
                "reason": {"DataType": "String", "StringValue": reason[:1000] or "refused"},
            },
        )
