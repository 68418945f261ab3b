"""The order-events topic (SNS): what NotifyOrder announces. Subscribers (customer e-mail, CRM, analytics) attach to
the topic; nothing here knows them.

The client does not retry (handlers.wiring.CLIENT_CONFIG): the workflow does, visibly. So a publish that may succeed
on a retry - throttled, a service fault, no connection - raises NotificationUnavailable, which NotifyOrder's Retry
matches; any other ClientError (a missing topic, denied access) propagates, for the workflow's Catch.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from handlers.clock import iso
from handlers.domain.errors import NotificationUnavailable
from handlers.domain.order import Order

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

_TRANSIENT_CODES = frozenset(
    {"Throttled", "Throttling", "ThrottledException", "InternalError", "ServiceUnavailable", "KMSThrottling"}
)


class OrderEvents:
    def __init__(self, client: SNSClient, topic_arn: str) -> None:
        self._client = client
        self._topic_arn = topic_arn

    def order_accepted(self, order_id: str, correlation_id: str, order: Order, at: datetime) -> str:
        """Announce an accepted order (amounts in its currency's minor units); returns the SNS message id."""
        message = {
            "type": "OrderAccepted",
            "orderId": order_id,
            "customerId": order.customer_id,
            "email": order.email,
            "total": order.total.wire(),
            "currency": order.currency,
            "correlationId": correlation_id,
            "at": iso(at),
        }
        try:
            published = self._client.publish(
                TopicArn=self._topic_arn,
                Message=json.dumps(message),
                MessageAttributes={
                    "type": {"DataType": "String", "StringValue": "OrderAccepted"},
                    "correlationId": {"DataType": "String", "StringValue": correlation_id or "-"},
                },
            )
        except ClientError as e:
            code = e.response.get("Error", {}).get("Code", "")
            if code in _TRANSIENT_CODES:
                raise NotificationUnavailable(f"order-events topic answered {code}") from e
            raise
        except (BotocoreConnectionError, HTTPClientError) as e:  # connect/read timeouts, resets: nothing answered
            raise NotificationUnavailable(f"order-events topic unreachable ({type(e).__name__})") from e
        return published["MessageId"]
