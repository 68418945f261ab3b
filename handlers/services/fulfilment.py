"""Fulfilment: the ProcessOrderWorker's use case. An order taken from the order queue moves QUEUED -> PROCESSING ->
FULFILLED.

Redelivery is harmless: an order already FULFILLED (or FAILED) is acknowledged without another write, and one left
PROCESSING by a worker that died is finished.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Protocol

from handlers import observability
from handlers.domain.errors import OrderNotFoundError
from handlers.domain.order import OrderStatus


class Orders(Protocol):
    """The orders (handlers.adapters.orders_store.OrdersStore)."""

    def get(self, order_id: str) -> dict[str, Any] | None: ...

    def transition(
        self, order_id: str, allowed_from: Iterable[OrderStatus], to: OrderStatus, now: datetime
    ) -> dict[str, Any]: ...


def fulfil(orders: Orders, order_id: str, now: Callable[[], datetime]) -> str:
    """Fulfil the order; returns its final status. Raises OrderNotFoundError, InvalidTransitionError."""
    order = orders.get(order_id)
    if order is None:
        raise OrderNotFoundError(f"order {order_id} does not exist")
    status = OrderStatus(order["status"])
    if status in (OrderStatus.FULFILLED, OrderStatus.FAILED):
        observability.logger.warning("order already final; message acknowledged", extra={"status": status})
        return status.value
    if status is not OrderStatus.PROCESSING:
        orders.transition(order_id, [OrderStatus.QUEUED], OrderStatus.PROCESSING, now())
    done = orders.transition(order_id, [OrderStatus.PROCESSING], OrderStatus.FULFILLED, now())
    observability.logger.info("order fulfilled")
    return str(done["status"])
