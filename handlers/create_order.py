"""CreateOrder: writes the order once (a conditional put). An execution that finds the order written by another
execution raises OrderHandledElsewhere, which the workflow catches by name: only the owner carries the order on."""

from __future__ import annotations

from typing import Any

from handlers import clock, observability, wiring
from handlers.adapters.orders_store import NewOrder
from handlers.domain.errors import OrderHandledElsewhere
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


@observability.entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    # Bound before the order is parsed, so that even a failure to read it is logged with the order's keys.
    observability.bind(context, order_id=event.get("orderId"), correlation_id=event.get("correlationId"))
    new = new_order(event)
    record, created = store.create(new, clock.now())
    # A retry inside this execution finds its own order; another execution of the same order (an Express
    # redelivery, a duplicate start) finds one it does not own, and the workflow leaves the order to its owner.
    if not created and record.get("executionArn") != new.execution_arn:
        observability.logger.info("order written by another execution", extra={"owner": record.get("executionArn")})
        raise OrderHandledElsewhere(f"order {new.order_id} is carried on by another execution")
    observability.logger.info("order created" if created else "order already existed", extra={"newly_created": created})
    return {"orderId": record["orderId"], "status": record["status"], "created": created}
