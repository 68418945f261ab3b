"""FindStuckOrders: every few minutes (a tick on its queue), alert each order accepted and still not terminal after
STUCK_ORDER_MINUTES (handlers.services.stuck_orders). A run that fails is redelivered, then parked in its DLQ."""

from __future__ import annotations

from typing import Any

from handlers import clock, observability, wiring
from handlers.services.stuck_orders import find_stuck_orders

open_orders, alert_topic = wiring.stuck_orders()


@observability.entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    observability.bind(context)
    alerted = find_stuck_orders(open_orders, alert_topic, clock.now(), wiring.stuck_after())
    if alerted:
        observability.metric(observability.ORDERS_STUCK, len(alerted))
        observability.logger.warning("stuck orders alerted", extra={"orders": alerted[:50], "count": len(alerted)})
    return {"alerted": len(alerted)}
