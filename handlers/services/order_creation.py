"""CreateOrder's use case: the order written once, and carried on by the one execution that owns it.

The write is a conditional put (handlers.adapters.orders_store), so a retry inside the execution finds its own order
(not created, the same execution), and carries on. Another execution of the same order (an Express redelivery, a
duplicate start) finds one it does not own and raises OrderHandledElsewhere, which the workflow catches by name: it
leaves the order to its owner. Port: Orders (create).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from handlers import observability
from handlers.domain.errors import OrderHandledElsewhere
from handlers.domain.order import Order


@dataclass(frozen=True)
class NewOrder:
    """Everything CreateOrder writes: the validated order and where it came from."""

    order_id: str
    order: Order
    owner: str
    idempotency_key: str
    request_hash: str
    correlation_id: str
    execution_arn: str
    submitted_at: str


@dataclass(frozen=True)
class WrittenOrder:
    """The order as the write left it: its status, the execution that owns it (None if the record names none), and
    whether this write created it (False: it was there, written by this execution or another)."""

    order_id: str
    status: str
    execution_arn: str | None
    created: bool


class Orders(Protocol):
    """The orders table (handlers.adapters.orders_store.OrdersStore)."""

    def create(self, new: NewOrder, now: datetime) -> WrittenOrder: ...


def create_order(orders: Orders, new: NewOrder, now: datetime) -> WrittenOrder:
    """Write the order once. Raises OrderHandledElsewhere when another execution of it owns it."""
    written = orders.create(new, now)
    # A retry inside this execution finds its own order; another execution of the same order (an Express
    # redelivery, a duplicate start) finds one it does not own, and the workflow leaves the order to its owner.
    if not written.created and written.execution_arn != new.execution_arn:
        observability.logger.info("order written by another execution", extra={"owner": written.execution_arn})
        raise OrderHandledElsewhere(f"order {new.order_id} is carried on by another execution")
    observability.logger.info(
        "order created" if written.created else "order already existed", extra={"newly_created": written.created}
    )
    return written
