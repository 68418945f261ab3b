"""CreateOrder: writes the order once (handlers.services.order_creation). An execution that finds the order written
by another execution raises OrderHandledElsewhere, which the workflow catches by name: only the owner carries the
order on."""

from __future__ import annotations

from typing import Any

from handlers import clock, observability, wiring
from handlers.domain.order_input import parse_order
from handlers.services.order_creation import NewOrder, create_order

store = wiring.orders_store()


def new_order(event: dict[str, Any]) -> NewOrder:
    """The task's input (built by the workflow from the execution's input) as the order to write."""
    return NewOrder(
        order_id=str(event["orderId"]),
        order=parse_order(event.get("order")),
        owner=str(event["owner"]),
        idempotency_key=str(event["idempotencyKey"]),
        request_hash=str(event["requestHash"]),
        correlation_id=str(event.get("correlationId", "")),
        execution_arn=str(event.get("executionArn", "")),
        submitted_at=str(event.get("submittedAt") or clock.iso(clock.now())),
    )


@observability.entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # Bound before the order is parsed, so that even a failure to read it is logged with the order's keys.
    observability.bind(context, order_id=event.get("orderId"), correlation_id=event.get("correlationId"))
    written = create_order(store, new_order(event), clock.now())
    return {"orderId": written.order_id, "status": written.status, "created": written.created}
