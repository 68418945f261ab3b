"""The alert topic (SNS), for what publishes an alert outside the workflow (FindStuckOrders). Any failure propagates:
the caller's run is redelivered from its queue, then parked in the DLQ."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient


class SnsAlertTopic:
    def __init__(self, client: SNSClient, topic_arn: str) -> None:
        self._client = client
        self._topic_arn = topic_arn

    def publish(self, message: dict[str, str]) -> None:
        self._client.publish(TopicArn=self._topic_arn, Message=json.dumps(message))
