"""CreateOrder: writes the order once (a conditional put) and says whether this execution owns it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers import clock, observability, wiring
from handlers.adapters.orders_store import NewOrder
from handlers.domain.order import parse_order

store = wiring.orders_store()


@dataclass(frozen=True)
class CreateOrderInput:
    order_id: str
    owner: str
    idempotency_key: str
    request_hash: str
    correlation_id: str
    execution_arn: str
    submitted_at: str
    order: Any

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> CreateOrderInput:
        return cls(
            order_id=str(event["orderId"]),
            owner=str(event["owner"]),
            idempotency_key=str(event["idempotencyKey"]),
            request_hash=str(event["requestHash"]),
            correlation_id=str(event.get("correlationId", "")),
            execution_arn=str(event.get("executionArn", "")),
            submitted_at=str(event.get("submittedAt", "")),
            order=event.get("order"),
        )


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = CreateOrderInput.from_event(event)
    observability.bind(context, order_id=request.order_id, correlation_id=request.correlation_id)
    new = NewOrder(
        order_id=request.order_id,
        order=parse_order(request.order),
        owner=request.owner,
        idempotency_key=request.idempotency_key,
        request_hash=request.request_hash,
        correlation_id=request.correlation_id,
        execution_arn=request.execution_arn,
        submitted_at=request.submitted_at or clock.iso(clock.now()),
    )
    record, created = store.create(new, clock.now())
    # A retry inside this execution finds its own order; another execution of the same order (an Express
    # redelivery, a duplicate start) finds one it does not own, and the workflow leaves the order to its owner.
    owner = created or record.get("executionArn") == request.execution_arn
    observability.logger.info(
        "order created" if created else "order already existed", extra={"newly_created": created, "owner": owner}
    )
    return {"orderId": record["orderId"], "status": record["status"], "created": created, "owner": owner}
