"""ProcessOrderWorker: consumes the order queue; each message's order is fulfilled (handlers.services.fulfilment).

Reports partial batch failures, so one bad message is retried (and finally parked in the DLQ) alone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from handlers import clock, observability, wiring
from handlers.domain.identifiers import is_order_id
from handlers.services.fulfilment import fulfil

store = wiring.orders_store()
alerts = wiring.alert_topic()


@dataclass(frozen=True)
class OrderMessage:
    order_id: str
    correlation_id: str

    @classmethod
    def from_body(cls, body: str) -> OrderMessage:
        data = json.loads(body)
        if not isinstance(data, dict) or not is_order_id(str(data.get("orderId", ""))):
            raise ValueError("message body has no orderId")
        return cls(order_id=str(data["orderId"]), correlation_id=str(data.get("correlationId", "")))


def record_handler(record: SQSRecord) -> str:
    observability.append(message_id=record.message_id, receive_count=record.attributes.approximate_receive_count)
    message = OrderMessage.from_body(record.body)
    observability.append(order_id=message.order_id, correlation_id=message.correlation_id)
    # SQS's SentTimestamp (epoch milliseconds) is when EnqueueOrder queued the order.
    queued_at = datetime.fromtimestamp(int(record.attributes.sent_timestamp) / 1000, UTC)
    return fulfil(store, message.order_id, queued_at, clock.now, alerts)


@observability.entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    observability.bind(context)
    # A processor per invocation: it holds the batch's results, and the local runtime may overlap invocations.
    processor = BatchProcessor(event_type=EventType.SQS)
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
