"""FindStuckOrders' use case (handlers.services.stuck_orders) over in-memory ports: each open order older than the
limit alerted once, published before it is marked."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from handlers import env, wiring
from handlers.services.stuck_orders import DEFAULT_STUCK_MINUTES, OpenOrder, find_stuck_orders

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


def open_order(order_id: str, status: str = "QUEUED", open_since: str = "2026-01-01T11:40:00.000Z") -> OpenOrder:
    return OpenOrder(
        order_id=order_id,
        status=status,
        open_since=open_since,
        updated_at="2026-01-01T11:41:00.000Z",
        execution_arn=f"arn:aws:states:eu-west-1:111122223333:execution:orderflow-orders:{order_id}",
        correlation_id=f"c-{order_id}",
    )


class FakeOpenOrders:
    """The open-orders index: orders accepted before a cutoff; marking takes an order out unless it moved on."""

    def __init__(self, *orders: OpenOrder, moved_on: frozenset[str] = frozenset()) -> None:
        self.orders = list(orders)
        self.moved_on = moved_on
        self.cutoffs: list[str] = []
        self.events: list[tuple[str, str, str]] = []

    def opened_before(self, cutoff: str) -> Iterator[OpenOrder]:
        self.cutoffs.append(cutoff)
        yield from (order for order in self.orders if order.open_since < cutoff)

    def mark_alerted(self, order: OpenOrder, at: str) -> bool:
        self.events.append(("marked", order.order_id, at))
        return order.order_id not in self.moved_on


class FakeTopic:
    def __init__(self, orders: FakeOpenOrders) -> None:
        self.messages: list[dict[str, str]] = []
        self.orders = orders

    def publish(self, message: dict[str, str]) -> None:
        self.messages.append(message)
        self.orders.events.append(("published", message["orderId"], message["at"]))


def test_each_order_open_longer_than_the_limit_is_alerted_then_marked() -> None:
    orders = FakeOpenOrders(
        open_order("ord_1"),
        open_order("ord_2", status="PROCESSING", open_since="2026-01-01T11:44:59.999Z"),
        open_order("ord_new", open_since="2026-01-01T11:45:00.000Z"),  # exactly at the limit: not stuck yet
    )
    topic = FakeTopic(orders)
    assert find_stuck_orders(orders, topic, NOW, timedelta(minutes=DEFAULT_STUCK_MINUTES)) == ["ord_1", "ord_2"]
    assert orders.cutoffs == ["2026-01-01T11:45:00.000Z"]
    assert orders.events == [
        ("published", "ord_1", "2026-01-01T12:00:00.000Z"),
        ("marked", "ord_1", "2026-01-01T12:00:00.000Z"),
        ("published", "ord_2", "2026-01-01T12:00:00.000Z"),
        ("marked", "ord_2", "2026-01-01T12:00:00.000Z"),
    ]
    assert topic.messages[0] == {
        "type": "ORDER_STUCK",
        "orderId": "ord_1",
        "failedState": "QUEUED",
        "error": "OrderStuck",
        "cause": "accepted 2026-01-01T11:40:00.000Z, still QUEUED after 20 minutes (last change "
        "2026-01-01T11:41:00.000Z): nothing moved it to FULFILLED or FAILED",
        "executionArn": "arn:aws:states:eu-west-1:111122223333:execution:orderflow-orders:ord_1",
        "correlationId": "c-ord_1",
        "at": "2026-01-01T12:00:00.000Z",
    }
    assert topic.messages[1]["cause"].startswith("accepted 2026-01-01T11:44:59.999Z, still PROCESSING after 15 minutes")


def test_an_order_that_moved_on_before_it_was_marked_is_alerted_but_not_counted() -> None:
    orders = FakeOpenOrders(open_order("ord_1"), open_order("ord_2"), moved_on=frozenset({"ord_1"}))
    topic = FakeTopic(orders)
    assert find_stuck_orders(orders, topic, NOW, timedelta(minutes=5)) == ["ord_2"]
    assert [m["orderId"] for m in topic.messages] == ["ord_1", "ord_2"]
    assert orders.cutoffs == ["2026-01-01T11:55:00.000Z"]


def test_no_open_orders_publish_nothing() -> None:
    orders = FakeOpenOrders()
    topic = FakeTopic(orders)
    assert find_stuck_orders(orders, topic, NOW, timedelta(minutes=15)) == []
    assert topic.messages == []


def test_without_a_setting_an_order_open_15_minutes_is_stuck(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(env.STUCK_ORDER_MINUTES, raising=False)
    assert wiring.stuck_after() == timedelta(minutes=15)
