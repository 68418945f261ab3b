"""CreateOrder's use case (handlers.services.order_creation) over an in-memory orders port: written once, carried
on only by the execution that owns it."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from handlers.domain.errors import OrderHandledElsewhere
from handlers.domain.order import Order, OrderItem
from handlers.services.order_creation import NewOrder, WrittenOrder, create_order

NOW = datetime(2026, 1, 1, 12, tzinfo=UTC)
ARN = "arn:aws:states:eu-west-1:111122223333:execution:orderflow-orders:ord_1"
NEW = NewOrder(
    order_id="ord_1",
    order=Order(customer_id="cust_1", items=(OrderItem("A-1", 2, Decimal("12.50")),), currency="EUR"),
    owner="caller",
    idempotency_key="caller/k1",
    request_hash="h1",
    correlation_id="c-1",
    execution_arn=ARN,
    submitted_at="2026-01-01T11:59:59.000Z",
)


class FakeOrders:
    """A conditional put: the first write creates the order; any later one finds it, owned by its first writer."""

    def __init__(self) -> None:
        self.written: dict[str, NewOrder] = {}
        self.calls: list[tuple[NewOrder, datetime]] = []

    def create(self, new: NewOrder, now: datetime) -> WrittenOrder:
        self.calls.append((new, now))
        first = self.written.setdefault(new.order_id, new)
        return WrittenOrder(new.order_id, "CREATED", first.execution_arn, created=first is new)


def lines(records: list[logging.LogRecord]) -> list[tuple[str, str, dict[str, object]]]:
    keys = ("newly_created", "owner")
    return [(r.levelname, r.getMessage(), {k: r.__dict__[k] for k in keys if k in r.__dict__}) for r in records]


def test_the_order_is_written_once_with_the_time_given(logged: list[logging.LogRecord]) -> None:
    orders = FakeOrders()
    assert create_order(orders, NEW, NOW) == WrittenOrder("ord_1", "CREATED", ARN, created=True)
    assert orders.calls == [(NEW, NOW)]
    assert lines(logged) == [("INFO", "order created", {"newly_created": True})]


def test_a_retry_inside_the_same_execution_finds_its_own_order_and_carries_on(
    logged: list[logging.LogRecord],
) -> None:
    orders = FakeOrders()
    create_order(orders, NEW, NOW)
    logged.clear()
    assert create_order(orders, replace(NEW), NOW) == WrittenOrder("ord_1", "CREATED", ARN, created=False)
    assert lines(logged) == [("INFO", "order already existed", {"newly_created": False})]


def test_another_execution_of_the_same_order_leaves_it_to_its_owner(logged: list[logging.LogRecord]) -> None:
    orders = FakeOrders()
    create_order(orders, NEW, NOW)
    logged.clear()
    with pytest.raises(OrderHandledElsewhere) as raised:
        create_order(orders, replace(NEW, execution_arn=f"{ARN}-duplicate"), NOW)
    assert str(raised.value) == "order ord_1 is carried on by another execution"
    assert lines(logged) == [("INFO", "order written by another execution", {"owner": ARN})]


def test_a_record_that_names_no_execution_is_not_this_execution_s() -> None:
    class Ownerless:
        def create(self, new: NewOrder, now: datetime) -> WrittenOrder:
            return WrittenOrder(new.order_id, "FAILED", None, created=False)

    with pytest.raises(OrderHandledElsewhere):
        create_order(Ownerless(), NEW, NOW)
