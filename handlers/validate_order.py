"""ValidateOrder: input and business rules. Raises OrderValidationError, which the workflow catches."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from handlers import observability
from handlers.domain.order import check_business_rules
from handlers.domain.order_input import parse_order


@dataclass(frozen=True)
class ValidateOrderInput:
    order_id: str
    correlation_id: str
    order: Any

    @classmethod
    def from_event(cls, event: dict[str, Any]) -> ValidateOrderInput:
        return cls(str(event.get("orderId", "")), str(event.get("correlationId", "")), event.get("order"))


@observability.entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    request = ValidateOrderInput.from_event(event)
    observability.bind(context, order_id=request.order_id, correlation_id=request.correlation_id)
    order = parse_order(request.order)
    check_business_rules(order)
    total = order.total.wire()
    observability.logger.info("order valid", extra={"total": total, "currency": order.currency})
    return {"valid": True, "total": total, "currency": order.currency, "items": len(order.items)}
