"""The worker's use case (handlers.services.fulfilment) over an in-memory orders port: redelivery is harmless."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pytest

from handlers.domain.errors import InvalidTransitionError, OrderNotFoundError
from handlers.domain.order import OrderStatus
from handlers.services.fulfilment import fulfil

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class FakeOrders:
    def __init__(self, **statuses: OrderStatus) -> None:
        self.orders: dict[str, dict[str, Any]] = {
            order_id: {"orderId": order_id, "status": status.value, "history": []}
            for order_id, status in statuses.items()
        }
        self.writes = 0

    def get(self, order_id: str) -> dict[str, Any] | None:
        return self.orders.get(order_id)

    def transition(
        self, order_id: str, allowed_from: Iterable[OrderStatus], to: OrderStatus, now: datetime
    ) -> dict[str, Any]:
        order = self.orders[order_id]
        if OrderStatus(order["status"]) not in set(allowed_from):
            raise InvalidTransitionError(f"order {order_id} is {order['status']}")
        self.writes += 1
        order["status"] = to.value
        order["history"].append(to.value)
        return order


def test_a_queued_order_is_processed_then_fulfilled() -> None:
    orders = FakeOrders(ord_1=OrderStatus.QUEUED)
    assert fulfil(orders, "ord_1", lambda: NOW) == "FULFILLED"
    assert orders.orders["ord_1"]["history"] == ["PROCESSING", "FULFILLED"]


def test_a_redelivered_message_is_acknowledged_without_another_write() -> None:
    orders = FakeOrders(ord_1=OrderStatus.FULFILLED, ord_2=OrderStatus.FAILED)
    assert fulfil(orders, "ord_1", lambda: NOW) == "FULFILLED"
    assert fulfil(orders, "ord_2", lambda: NOW) == "FAILED"
    assert orders.writes == 0


def test_an_order_a_dead_worker_left_processing_is_finished() -> None:
    orders = FakeOrders(ord_1=OrderStatus.PROCESSING)
    assert fulfil(orders, "ord_1", lambda: NOW) == "FULFILLED"
    assert orders.orders["ord_1"]["history"] == ["FULFILLED"]


def test_an_order_that_is_not_there_or_not_queued_fails_the_message() -> None:
    orders = FakeOrders(ord_1=OrderStatus.CREATED)
    with pytest.raises(OrderNotFoundError):
        fulfil(orders, "ord_missing", lambda: NOW)
    with pytest.raises(InvalidTransitionError):
        fulfil(orders, "ord_1", lambda: NOW)
