"""Alerts, operated (`orderflow alerts list|resolve`), the same against the local system and AWS
(workflow.ops.targets); `orderflow alerts test` is workflow.ops.alert_path's:

- `recent_alerts`: the alert log's alerts, newest first, with each target's delivery (a Scan: the table is small and
  its items expire); `logged_alerts` reads them from the items (pure: `orderflow trace` reads one order's the same way).
- `resolve_order`: an order's incident ended by hand: ORDER_RESOLVED on the alert topic, so PagerDuty resolves its
  incident and the chat targets post a resolved notice (`publish_resolution`, which the test alert's resolution uses
  too).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from handlers.adapters.alert_topic import SnsAlertTopic
from handlers.adapters.orders_store import OrdersStore
from handlers.alert_registry import ALWAYS_ON
from handlers.clock import iso
from handlers.domain.alerts import resolution
from handlers.domain.identifiers import is_order_id
from workflow.ops.targets import Target


def iso_time(epoch: int) -> str:
    """An epoch second as the commands print it (UTC, to the second)."""
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class LoggedAlert:
    """One alert in the alert log: its fingerprint and each target's delivery (DELIVERED, or CLAIMED while it is
    being posted; a failed delivery releases its claim, so a target missing here did not take it, or never got it)."""

    fingerprint: str
    at: int  # its newest delivery (or, one in flight, when that claim runs out), epoch seconds
    deliveries: dict[str, str] = field(default_factory=dict)
    # Each target's time, epoch seconds: when it was delivered (or, in flight, when its claim runs out).
    times: dict[str, int] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        """order (failed or stuck), alarm or resolved: the fingerprint's first part (handlers.domain.alerts)."""
        return self.fingerprint.split("|", 1)[0]

    @property
    def subject(self) -> str:
        """The order id, or the alarm's name."""
        parts = self.fingerprint.split("|")
        return parts[1] if len(parts) > 1 else ""

    @property
    def what(self) -> str:
        """Where and why an order failed (`step error`), an alarm's state, or when the resolution was made."""
        parts = self.fingerprint.split("|", 4)
        if self.kind == "order" and len(parts) >= 4:
            return f"{parts[2]} {parts[3]}"
        return parts[2] if len(parts) > 2 else ""

    @property
    def when(self) -> str:
        return iso_time(self.at)

    def targets(self) -> str:
        return " ".join(f"{name}={status.lower()}" for name, status in self.deliveries.items())

    def to_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "kind": self.kind,
            "subject": self.subject,
            "what": self.what,
            "at": self.when,
            "deliveries": dict(self.deliveries),
        }


def recent_alerts(target: Target, limit: int = 20) -> list[LoggedAlert]:
    """The alert log's alerts, newest first (by their latest delivery; a delivery in flight counts by when its claim
    runs out), with each target's status."""
    return alert_log(target)[: max(limit, 0)]


def alert_log(target: Target) -> list[LoggedAlert]:
    """Every alert the alert log holds, newest first: one Scan (the table holds one item per alert and target for
    the de-duplication window, and its items expire). `recent_alerts`, `orderflow trace` and the console read it."""
    dynamodb = target.client("dynamodb")
    items = [
        item
        for page in dynamodb.get_paginator("scan").paginate(TableName=target.output("AlertLogTableName"))
        for item in page.get("Items", [])
    ]
    return logged_alerts(items, int(time.time()))


def logged_alerts(items: Iterable[Mapping[str, Any]], now: int) -> list[LoggedAlert]:
    """The alert log's items (DynamoDB JSON, one per alert and target) as alerts, newest first. Items expired by
    `now` (epoch seconds) are left out: TTL deletion lags (by days on AWS); the alert log treats them as gone."""
    grouped: dict[str, dict[str, tuple[str, int]]] = {}
    for item in items:
        name, _, fingerprint = str(item["fingerprint"]["S"]).partition("|")
        if int(item.get("expiresAt", {}).get("N", "0") or 0) < now:
            continue
        at = item.get("deliveredAt", item.get("claimedUntil", {})).get("N", "0")
        grouped.setdefault(fingerprint, {})[name] = (str(item.get("status", {}).get("S", "?")), int(at))
    alerts = []
    for fingerprint, delivered in grouped.items():
        # the log first (it gets every alert), then the others by name
        names = sorted(delivered, key=lambda n: (n != ALWAYS_ON, n))
        alerts.append(
            LoggedAlert(
                fingerprint,
                max(at for _, at in delivered.values()),
                {name: delivered[name][0] for name in names},
                {name: delivered[name][1] for name in names},
            )
        )
    return sorted(alerts, key=lambda a: a.at, reverse=True)


class NoSuchOrder(LookupError):
    """The order is not in the orders table: nothing was published."""


def resolve_order(target: Target, order_id: str, reason: str | None = None) -> dict[str, str]:
    """End an order's incident by hand: ORDER_RESOLVED (with the order's status) on the alert topic, which the
    AlertHandler sends to every target that is on. Returns the message published. Raises ValueError for what is no
    order id and NoSuchOrder for an order the orders table does not hold."""
    if not is_order_id(order_id):
        raise ValueError(f"{order_id!r} is not an order id (ord_ and 26 characters a-z, 2-7)")
    store = OrdersStore(
        target.client("dynamodb"), target.output("OrdersTableName"), target.output("IdempotencyTableName")
    )
    order = store.get(order_id)
    if order is None:
        raise NoSuchOrder(f"no order {order_id} in {target.where}: nothing published")
    status = str(order.get("status") or "RESOLVED")
    correlation_id = str(order.get("correlationId") or "")
    return publish_resolution(target, order_id, status, reason or "resolved by hand", correlation_id)


def publish_resolution(target: Target, order_id: str, status: str, reason: str, correlation_id: str) -> dict[str, str]:
    """ORDER_RESOLVED for the order on the alert topic; returns the message published."""
    message = resolution(order_id, status, iso(datetime.now(UTC)), reason, correlation_id)
    SnsAlertTopic(target.client("sns"), target.output("AlertTopicArn")).publish(message)
    return message
