"""Stuck orders: an order accepted and not FULFILLED or FAILED after `stuck_after` raises one alert, through the
alert topic and so every alert target, naming the order, the status where it stopped and for how long.

Nothing else notices such an order: a stalled worker, a queue backlog, or an execution stuck behind a throttled
service fail no step, so no Catch routes them to an alert.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from handlers.clock import iso
from handlers.domain.alerts import stuck_order_alert

DEFAULT_STUCK_MINUTES = 15


@dataclass(frozen=True)
class OpenOrder:
    order_id: str
    status: str
    open_since: str
    updated_at: str
    execution_arn: str
    correlation_id: str


class OpenOrders(Protocol):
    def opened_before(self, cutoff: str) -> Iterator[OpenOrder]: ...

    def mark_alerted(self, order: OpenOrder, at: str) -> bool: ...


class AlertTopic(Protocol):
    def publish(self, message: dict[str, str]) -> None: ...


def find_stuck_orders(orders: OpenOrders, alerts: AlertTopic, now: datetime, stuck_after: timedelta) -> list[str]:
    """Alert every open order accepted before `now - stuck_after`, then mark it alerted. Published first: a crash
    between the two publishes the alert again on the next run, where the alert log's fingerprint makes it one."""
    alerted = []
    at = iso(now)
    for order in orders.opened_before(iso(now - stuck_after)):
        alerts.publish(
            stuck_order_alert(
                order.order_id,
                order.status,
                order.open_since,
                order.updated_at,
                order.execution_arn,
                order.correlation_id,
                at,
            )
        )
        if orders.mark_alerted(order, at):
            alerted.append(order.order_id)
    return alerted
