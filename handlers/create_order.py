"""CreateOrder: writes the order once (a conditional put) and says whether this execution owns it."""

from __future__ import annotations

from typing import Any

from handlers import clock, observability, wiring
from handlers.adapters.orders_store import NewOrder
from handlers.domain.order import parse_order

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


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # Bound before the order is parsed, so that even a failure to read it is logged with the order's keys.
    observability.bind(context, order_id=event.get("orderId"), correlation_id=event.get("correlationId"))
    new = new_order(event)
    record, created = store.create(new, clock.now())
    # A retry inside this execution finds its own order; another execution of the same order (an Express
    # redelivery, a duplicate start) finds one it does not own, and the workflow leaves the order to its owner.
    owner = created or record.get("executionArn") == new.execution_arn
    observability.logger.info(
        "order created" if created else "order already existed", extra={"newly_created": created, "owner": owner}
    )
    return {"orderId": record["orderId"], "status": record["status"], "created": created, "owner": owner}
