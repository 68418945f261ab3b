"""The worker's use case (handlers.services.fulfilment) over an in-memory orders port: one conditional write per
order, the history complete, redelivery harmless."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.domain.errors import InvalidTransitionError, OrderNotFoundError
from handlers.domain.order import OrderStatus
from handlers.services.fulfilment import fulfil

SENT = datetime(2026, 1, 1, tzinfo=UTC)
NOW = SENT + timedelta(seconds=2)


class FakeOrders:
    """Behaves as OrdersStore.transition: a conditional write that names the status it found when it fails."""

    def __init__(self, **statuses: OrderStatus) -> None:
        self.orders: dict[str, dict[str, Any]] = {
            order_id: {"orderId": order_id, "status": status.value, "history": []}
            for order_id, status in statuses.items()
        }
        self.attempts = 0  # DynamoDB bills a conditional write that fails, too

    def transition(
        self,
        order_id: str,
        allowed_from: Iterable[OrderStatus],
        to: OrderStatus,
        now: datetime,
        passing: Sequence[tuple[OrderStatus, datetime]] = (),
    ) -> dict[str, Any]:
        self.attempts += 1
        order = self.orders.get(order_id)
        if order is None:
            raise OrderNotFoundError(f"order {order_id} does not exist")
        if OrderStatus(order["status"]) not in set(allowed_from):
            raise InvalidTransitionError(f"order {order_id} is {order['status']}", current=order["status"])
        order["status"] = to.value
        order["history"].extend((status.value, at) for status, at in [*passing, (to, now)])
        return order


def test_a_created_order_is_fulfilled_in_one_write_with_queued_at_the_send_time() -> None:
    orders = FakeOrders(ord_1=OrderStatus.CREATED)
    assert fulfil(orders, "ord_1", SENT, lambda: NOW) == "FULFILLED"
    assert orders.orders["ord_1"]["history"] == [("QUEUED", SENT), ("PROCESSING", NOW), ("FULFILLED", NOW)]
    assert orders.attempts == 1


def test_a_redelivered_message_is_acknowledged_without_another_change() -> None:
    orders = FakeOrders(ord_1=OrderStatus.FULFILLED, ord_2=OrderStatus.FAILED)
    assert fulfil(orders, "ord_1", SENT, lambda: NOW) == "FULFILLED"
    assert fulfil(orders, "ord_2", SENT, lambda: NOW) == "FAILED"
    assert orders.orders["ord_1"]["history"] == orders.orders["ord_2"]["history"] == []


@pytest.mark.parametrize(
    ("found", "recorded"),
    [(OrderStatus.QUEUED, ["PROCESSING", "FULFILLED"]), (OrderStatus.PROCESSING, ["FULFILLED"])],
)
def test_an_order_of_an_earlier_workflow_version_is_finished_from_where_it_is(
    found: OrderStatus, recorded: list[str]
) -> None:
    orders = FakeOrders(ord_1=found)
    assert fulfil(orders, "ord_1", SENT, lambda: NOW) == "FULFILLED"
    assert [status for status, _ in orders.orders["ord_1"]["history"]] == recorded


def test_an_order_that_is_not_there_or_not_fulfillable_fails_the_message() -> None:
    orders = FakeOrders(ord_1=OrderStatus.REDRIVING)
    with pytest.raises(OrderNotFoundError):
        fulfil(orders, "ord_missing", SENT, lambda: NOW)
    with pytest.raises(InvalidTransitionError):
        fulfil(orders, "ord_1", SENT, lambda: NOW)
    assert orders.orders["ord_1"]["status"] == "REDRIVING"
