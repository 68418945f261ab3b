"""NotifyOrder: after the order is queued, announce it on the order-events topic.

Subscribers (customer e-mail, CRM, analytics) attach to the topic; this function does not know them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.exceptions import ClientError

from handlers import clock, env, observability
from handlers.domain.errors import NotificationUnavailable
from handlers.domain.order import parse_order

sns = boto3.client("sns")
topic_arn = env.require(env.ORDER_EVENTS_TOPIC_ARN)

_TRANSIENT = frozenset(
    {"Throttled", "Throttling", "ThrottledException", "InternalError", "ServiceUnavailable", "KMSThrottling"}
)


@dataclass(frozen=True)
class NotifyOrderInput:
    order_id: str
    correlation_id: str
    customer_id: str
    email: str | None
    total: str
    currency: str

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> NotifyOrderInput:
        order = parse_order(event.get("order"))  # validated already; parsed again for its exact total
        return cls(
            order_id=str(event["orderId"]),
            correlation_id=str(event.get("correlationId", "")),
            customer_id=order.customer_id,
            email=order.email,
            total=order.total.wire(),
            currency=order.currency,
        )


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = NotifyOrderInput.from_event(event)
    observability.bind(context, order_id=request.order_id, correlation_id=request.correlation_id)
    message = {
        "type": "OrderAccepted",
        "orderId": request.order_id,
        "customerId": request.customer_id,
        "email": request.email,
        "total": request.total,
        "currency": request.currency,
        "correlationId": request.correlation_id,
        "at": clock.iso(clock.now()),
    }
    try:
        published = sns.publish(
            TopicArn=topic_arn,
            Message=json.dumps(message),
            MessageAttributes={
                "type": {"DataType": "String", "StringValue": "OrderAccepted"},
                "correlationId": {"DataType": "String", "StringValue": request.correlation_id or "-"},
            },
        )
    except ClientError as e:
        code = e.response.get("Error", {}).get("Code", "")
        if code in _TRANSIENT:
            raise NotificationUnavailable(f"order-events topic answered {code}") from e
        raise
    observability.logger.info("order notification published", extra={"message_id": published["MessageId"]})
    return {"notified": True, "messageId": published["MessageId"]}
