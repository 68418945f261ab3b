"""NotifyOrder: after the order is queued, announce it on the order-events topic (handlers.adapters.order_events).

Subscribers (customer e-mail, CRM, analytics) attach to the topic; this function does not know them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers import clock, observability, wiring
from handlers.domain.order import Order
from handlers.domain.order_input import parse_order

events = wiring.order_events()


@dataclass(frozen=True)
class NotifyOrderInput:
    order_id: str
    correlation_id: str
    order: Order

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> NotifyOrderInput:
        order = parse_order(event.get("order"))  # validated already; parsed again for its exact total
        return cls(order_id=str(event["orderId"]), correlation_id=str(event.get("correlationId", "")), order=order)


@observability.entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = NotifyOrderInput.from_event(event)
    observability.bind(context, order_id=request.order_id, correlation_id=request.correlation_id)
    message_id = events.order_accepted(request.order_id, request.correlation_id, request.order, clock.now())
    observability.logger.info("order notification published", extra={"message_id": message_id})
    return {"notified": True, "messageId": message_id}
