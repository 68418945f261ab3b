"""The worker's use case (handlers.services.fulfilment) over an in-memory orders port: one conditional write per
order, the history complete, redelivery harmless."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.clock import iso
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


class StoredOrders:
    """Orders shaped as the store keeps them (history entries with status and at), its errors carrying the order."""

    def __init__(self, order: dict[str, Any]) -> None:
        self.order = order

    def transition(
        self,
        order_id: str,
        allowed_from: Iterable[OrderStatus],
        to: OrderStatus,
        now: datetime,
        passing: Sequence[tuple[OrderStatus, datetime]] = (),
    ) -> dict[str, Any]:
        if OrderStatus(self.order["status"]) not in set(allowed_from):
            current = self.order["status"]
            raise InvalidTransitionError(f"order {order_id} is {current}", current=current, record=dict(self.order))
        entries = [{"status": s.value, "at": iso(at)} for s, at in [*passing, (to, now)]]
        self.order = {**self.order, "status": to.value, "history": [*self.order["history"], *entries]}
        return self.order


class Published:
    def __init__(self) -> None:
        self.messages: list[dict[str, str]] = []

    def publish(self, message: dict[str, str]) -> None:
        self.messages.append(message)


def _stored(*statuses: str, **extra: Any) -> dict[str, Any]:
    history = [{"status": status, "at": "2026-01-01T00:00:00.000Z"} for status in statuses]
    return {"orderId": "ord_1", "status": statuses[-1], "history": history, "correlationId": "c-1", **extra}


def test_an_order_that_failed_and_was_rerun_resolves_its_incident_once_fulfilled_and_again_on_redelivery() -> None:
    orders, alerts = StoredOrders(_stored("PENDING", "FAILED", "REDRIVING", "CREATED")), Published()
    assert fulfil(orders, "ord_1", SENT, lambda: NOW, alerts) == "FULFILLED"
    (resolved,) = alerts.messages
    assert resolved["type"] == "ORDER_RESOLVED"
    assert (resolved["orderId"], resolved["status"], resolved["at"]) == ("ord_1", "FULFILLED", iso(NOW))
    assert resolved["reason"] == "fulfilled after a rerun"
    # The resolution's publish failed and SQS redelivers the message: the same resolution (same alertId) again.
    assert fulfil(orders, "ord_1", SENT, lambda: NOW + timedelta(minutes=1), alerts) == "FULFILLED"
    assert alerts.messages[1] == resolved


def test_a_stuck_order_resolves_when_fulfilled_and_an_order_never_alerted_publishes_nothing() -> None:
    stuck, alerts = StoredOrders(_stored("PENDING", "CREATED", stuckAlertedAt="x")), Published()
    fulfil(stuck, "ord_1", SENT, lambda: NOW, alerts)
    assert [m["reason"] for m in alerts.messages] == ["fulfilled after it was stuck"]
    quiet = Published()
    fulfil(StoredOrders(_stored("PENDING", "CREATED")), "ord_1", SENT, lambda: NOW, quiet)
    assert quiet.messages == []
