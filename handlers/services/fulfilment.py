"""Fulfilment: the ProcessOrderWorker's use case. An order taken from the order queue becomes FULFILLED in one
conditional write (no read first), and its history gains QUEUED (when the message was sent), PROCESSING and FULFILLED.

The workflow does not record QUEUED itself: the message's SentTimestamp is when the order was queued, so the worker
writes it, and an order costs one write here instead of three. Fulfilment does no work between PROCESSING and
FULFILLED; work that can fail midway (a payment, a shipment) would write PROCESSING first, on its own.

Redelivery is harmless: an order already FULFILLED (or FAILED) is acknowledged without another write. An order
still QUEUED or PROCESSING (written by the workflow's earlier versions, which recorded them separately) is finished
from where it is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

from handlers import observability
from handlers.domain.alerts import resolution
from handlers.domain.errors import InvalidTransitionError
from handlers.domain.order import OrderStatus


class Orders(Protocol):
    """The orders (handlers.adapters.orders_store.OrdersStore)."""

    def transition(
        self,
        order_id: str,
        allowed_from: Iterable[OrderStatus],
        to: OrderStatus,
        now: datetime,
        passing: Sequence[tuple[OrderStatus, datetime]] = (),
    ) -> dict[str, Any]: ...


_FINAL = frozenset({OrderStatus.FULFILLED.value, OrderStatus.FAILED.value})


def _still_to_record(found: OrderStatus, queued_at: datetime, at: datetime) -> list[tuple[OrderStatus, datetime]]:
    """The history entries between the status the order has and FULFILLED."""
    passing = [(OrderStatus.QUEUED, queued_at), (OrderStatus.PROCESSING, at)]
    order = [OrderStatus.CREATED, OrderStatus.QUEUED, OrderStatus.PROCESSING]
    return passing[order.index(found) :]


def _resolve(alerts: AlertTopic | None, order: dict[str, Any]) -> None:
    """A FULFILLED order that was alerted: its incident is over. The resolution is stamped with the FULFILLED entry's
    time, so a redelivery publishes the same one (the alert log de-duplicates it) and a later cycle a new one."""
    if alerts is None or order.get("status") != OrderStatus.FULFILLED.value or not _was_alerted(order):
        return
    fulfilled = [e for e in order.get("history", []) if isinstance(e, dict) and e.get("status") == "FULFILLED"]
    at = str(fulfilled[-1].get("at", "")) if fulfilled else ""
    reason = "fulfilled after it was stuck" if order.get("stuckAlertedAt") else "fulfilled after a rerun"
    order_id, correlation_id = str(order.get("orderId", "")), str(order.get("correlationId", ""))
    alerts.publish(resolution(order_id, OrderStatus.FULFILLED.value, at, reason, correlation_id))
    observability.logger.info("alerted order resolved", extra={"reason": reason})


def _was_alerted(order: dict[str, Any]) -> bool:
    """It failed before (a FAILED entry in its history: its failure was alerted), or it was alerted as stuck."""
    failed = any(
        isinstance(entry, dict) and entry.get("status") == OrderStatus.FAILED.value
        for entry in order.get("history", [])
    )
    return failed or bool(order.get("stuckAlertedAt"))


def _accepted_at(order: dict[str, Any]) -> datetime | None:
    """When the API accepted the order: its history's first entry (PENDING, at submittedAt)."""
    history = order.get("history") or []
    try:
        return datetime.fromisoformat(str(history[0]["at"]))  # Python 3.11+ reads the "Z" of handlers.clock.iso
    except (IndexError, KeyError, TypeError, ValueError):
        return None


class AlertTopic(Protocol):
    """Where an alerted order's resolution goes (handlers.adapters.alert_topic)."""

    def publish(self, message: dict[str, str]) -> None: ...


def fulfil(
    orders: Orders, order_id: str, queued_at: datetime, now: Callable[[], datetime], alerts: AlertTopic | None = None
) -> str:
    """Fulfil the order; returns its final status. `queued_at` is when its message was sent. An order that was
    alerted (it FAILED before, and was rerun; or it was alerted as stuck) has its incident resolved through
    `alerts`. Raises OrderNotFoundError, and InvalidTransitionError for an order no worker may fulfil (REDRIVING,
    say)."""
    found = OrderStatus.CREATED
    for _ in range(3):  # CREATED, then (orders of earlier workflow versions) QUEUED or PROCESSING
        at = now()
        try:
            done = orders.transition(
                order_id, [found], OrderStatus.FULFILLED, at, passing=_still_to_record(found, queued_at, at)
            )
        except InvalidTransitionError as e:
            if e.current in _FINAL:
                observability.logger.warning("order already final; message acknowledged", extra={"status": e.current})
                # A redelivery after the resolution's publish failed: publish it again (the same fingerprint).
                _resolve(alerts, e.record)
                return str(e.current)
            if e.current not in (OrderStatus.QUEUED.value, OrderStatus.PROCESSING.value):
                raise
            found = OrderStatus(e.current)
            continue
        observability.logger.info("order fulfilled")
        observability.metric(observability.ORDERS_FULFILLED)
        _resolve(alerts, done)
        accepted = _accepted_at(done)
        if accepted is not None:  # the latency objective: from the API's acceptance to FULFILLED
            observability.seconds(observability.FULFILMENT_SECONDS, max(0.0, (at - accepted).total_seconds()))
        return str(done["status"])
    raise InvalidTransitionError(f"order {order_id} kept changing status while being fulfilled")
