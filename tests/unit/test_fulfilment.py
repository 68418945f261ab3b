"""The worker's use case (handlers.services.fulfilment) over an in-memory orders port: one conditional write per
order, the history complete, redelivery harmless."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers import observability
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


# What an operator sees: the resolution published, the log lines, the latency metric.


def lines(records: list[logging.LogRecord], *keys: str) -> list[tuple[str, str, dict[str, Any]]]:
    """The records as (level, message, the named extra keys it carries)."""
    return [(r.levelname, r.getMessage(), {k: r.__dict__[k] for k in keys if k in r.__dict__}) for r in records]


@pytest.fixture
def timed(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, float]]:
    """The duration metrics written (name, seconds)."""
    written: list[tuple[str, float]] = []
    monkeypatch.setattr(observability, "seconds", lambda name, value: written.append((name, value)))
    return written


class Redelivered:
    """The store's answer to a redelivered message: the order is final already, and the error carries its record."""

    def __init__(self, record: dict[str, Any]) -> None:
        self.record = record
        self.attempts = 0

    def transition(
        self,
        order_id: str,
        allowed_from: Iterable[OrderStatus],
        to: OrderStatus,
        now: datetime,
        passing: Sequence[tuple[OrderStatus, datetime]] = (),
    ) -> dict[str, Any]:
        self.attempts += 1
        raise InvalidTransitionError("final", current=self.record["status"], record=self.record)


def test_the_resolution_names_the_order_its_correlation_id_and_the_last_fulfilled_entry(
    logged: list[logging.LogRecord],
) -> None:
    history = [
        {"status": "PENDING", "at": "2026-01-01T00:00:00.000Z"},
        {"status": "FAILED", "at": "2026-01-01T00:00:01.000Z"},
        {"status": "REDRIVING", "at": "2026-01-01T00:01:00.000Z"},
        "a legacy entry that is no object",
        {"status": "PROCESSING", "at": "2026-01-01T00:01:02.000Z"},
        {"status": "FULFILLED", "at": "2026-01-01T00:01:03.000Z"},
    ]
    record = {"orderId": "ord_1", "status": "FULFILLED", "history": history, "correlationId": "corr-9"}
    alerts = Published()
    assert fulfil(Redelivered(record), "ord_1", SENT, lambda: NOW, alerts) == "FULFILLED"
    assert alerts.messages == [
        {
            "type": "ORDER_RESOLVED",
            "alertId": "resolved|ord_1|2026-01-01T00:01:03.000Z",
            "orderId": "ord_1",
            "status": "FULFILLED",
            "reason": "fulfilled after a rerun",
            "correlationId": "corr-9",
            "at": "2026-01-01T00:01:03.000Z",
        }
    ]
    assert lines(logged, "status", "reason") == [
        ("WARNING", "order already final; message acknowledged", {"status": "FULFILLED"}),
        ("INFO", "alerted order resolved", {"reason": "fulfilled after a rerun"}),
    ]


def test_a_resolution_from_a_record_missing_fields_carries_empty_strings() -> None:
    # Alerted as stuck, with no history, no FULFILLED entry's time, no order or correlation id in the record.
    alerts = Published()
    fulfil(Redelivered({"status": "FULFILLED", "stuckAlertedAt": "t"}), "ord_1", SENT, lambda: NOW, alerts)
    bare = {"status": "FULFILLED", "stuckAlertedAt": "t", "history": [{"status": "FULFILLED"}]}
    fulfil(Redelivered(bare), "ord_1", SENT, lambda: NOW, alerts)
    expected = {
        "type": "ORDER_RESOLVED",
        "alertId": "resolved||",
        "orderId": "",
        "status": "FULFILLED",
        "reason": "fulfilled after it was stuck",
        "correlationId": "",
        "at": "",
    }
    assert alerts.messages == [expected, expected]


def test_a_redelivered_failed_order_resolves_nothing_and_without_a_topic_nothing_is_published() -> None:
    failed = _stored("PENDING", "FAILED")
    alerts = Published()
    assert fulfil(Redelivered(failed), "ord_1", SENT, lambda: NOW, alerts) == "FAILED"
    assert alerts.messages == []
    # A stuck-alerted order written without history: fulfilled, with no topic to resolve it on.
    assert fulfil(Redelivered({"status": "FULFILLED", "stuckAlertedAt": "t"}), "ord_1", SENT, lambda: NOW) == (
        "FULFILLED"
    )


def test_a_fulfilment_logs_once_and_times_the_order_from_its_acceptance(
    logged: list[logging.LogRecord], timed: list[tuple[str, float]]
) -> None:
    accepted = NOW - timedelta(seconds=90, milliseconds=500)
    orders = StoredOrders(
        {"orderId": "ord_1", "status": "CREATED", "history": [{"status": "PENDING", "at": iso(accepted)}]}
    )
    assert fulfil(orders, "ord_1", SENT, lambda: NOW) == "FULFILLED"
    assert timed == [("FulfilmentSeconds", 90.5)]
    assert lines(logged) == [("INFO", "order fulfilled", {})]


@pytest.mark.parametrize(
    ("accepted_at", "seconds"),
    [(iso(NOW - timedelta(milliseconds=250)), 0.25), (iso(NOW + timedelta(seconds=3)), 0.0)],
)
def test_the_latency_is_never_negative_and_below_a_second_as_measured(
    timed: list[tuple[str, float]], accepted_at: str, seconds: float
) -> None:
    # An API clock ahead of the worker's: no negative latency.
    orders = StoredOrders(
        {"orderId": "ord_1", "status": "CREATED", "history": [{"status": "PENDING", "at": accepted_at}]}
    )
    fulfil(orders, "ord_1", SENT, lambda: NOW)
    assert timed == [("FulfilmentSeconds", seconds)]


class Written:
    """The store's answer to the one write: the order as it left it (here only its status and history)."""

    def __init__(self, history: list[Any] | None) -> None:
        self.history = history

    def transition(
        self,
        order_id: str,
        allowed_from: Iterable[OrderStatus],
        to: OrderStatus,
        now: datetime,
        passing: Sequence[tuple[OrderStatus, datetime]] = (),
    ) -> dict[str, Any]:
        return {"orderId": order_id, "status": to.value, "history": self.history}


@pytest.mark.parametrize(
    "history",
    [[], None, [{"status": "PENDING"}], [{"status": "PENDING", "at": "yesterday"}], ["PENDING"]],
)
def test_an_order_without_a_readable_acceptance_time_is_not_timed(
    timed: list[tuple[str, float]], history: list[Any] | None
) -> None:
    assert fulfil(Written(history), "ord_1", SENT, lambda: NOW) == "FULFILLED"
    assert timed == []


def test_the_acceptance_time_is_the_history_s_first_entry(timed: list[tuple[str, float]]) -> None:
    history = [{"status": "PENDING", "at": iso(NOW - timedelta(seconds=10))}, {"status": "CREATED", "at": iso(NOW)}]
    fulfil(StoredOrders({"orderId": "ord_1", "status": "CREATED", "history": history}), "ord_1", SENT, lambda: NOW)
    assert timed == [("FulfilmentSeconds", 10.0)]


class Shifting:
    """An order whose status keeps changing under the worker: each write finds another earlier-version status."""

    def __init__(self) -> None:
        self.found: list[list[OrderStatus]] = []

    def transition(
        self,
        order_id: str,
        allowed_from: Iterable[OrderStatus],
        to: OrderStatus,
        now: datetime,
        passing: Sequence[tuple[OrderStatus, datetime]] = (),
    ) -> dict[str, Any]:
        self.found.append(list(allowed_from))
        current = "PROCESSING" if list(allowed_from) == [OrderStatus.QUEUED] else "QUEUED"
        raise InvalidTransitionError(f"order {order_id} is {current}", current=current)


def test_an_order_that_keeps_changing_status_fails_after_three_writes() -> None:
    orders = Shifting()
    with pytest.raises(InvalidTransitionError) as raised:
        fulfil(orders, "ord_1", SENT, lambda: NOW)
    assert str(raised.value) == "order ord_1 kept changing status while being fulfilled"
    assert raised.value.current is None
    assert orders.found == [[OrderStatus.CREATED], [OrderStatus.QUEUED], [OrderStatus.PROCESSING]]
