"""AlertHandler: takes the alert queue in batches (the alert topic feeds it) and hands each batch to the alert
delivery (handlers.services.alert_delivery): each alert - a failed order, or a CloudWatch alarm changing state - once
to every configured target; a storm as one grouped summary.

A message whose alert was not delivered (or cannot be read) is reported failed in the partial batch response: SQS
redelivers it from the alert queue and, after maxReceiveCount, parks it in the alert DLQ, which is alarmed.
"""

from __future__ import annotations

from typing import Any

from handlers import observability, wiring
from handlers.domain.alerts import ORDER_FAILED, Alert, Notification, parse_notification
from handlers.services.alert_delivery import POST_BUDGET_MS

delivery = wiring.alert_delivery()


@observability.entry_point
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    observability.bind(context)
    batch: list[tuple[str, Notification]] = []
    failed: set[str] = set()
    for record in event.get("Records", []):
        try:
            batch.append((record["messageId"], parse_notification(record["body"])))
        except (ValueError, KeyError, TypeError) as e:
            # Retried, then parked in the alert DLQ for a person to read: an alert nobody can parse is still an alert.
            observability.logger.error(
                "unreadable alert", extra={"message_id": record.get("messageId"), "reason": str(e)}
            )
            failed.add(record["messageId"])
    _count_failed_orders(event.get("Records", []), dict(batch))
    # Called without a Lambda context (no deadline), every post has time.
    remaining = getattr(context, "get_remaining_time_in_millis", lambda: POST_BUDGET_MS * 10)
    failed |= delivery.deliver(batch, remaining)
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in sorted(failed)]}


def _count_failed_orders(records: list[dict[str, Any]], read: dict[str, Notification]) -> None:
    """The OrdersFailed business metric: each failed order's alert as it first arrives, not its redeliveries."""
    first_seen = {
        notification.fingerprint
        for record in records
        if str(record.get("attributes", {}).get("ApproximateReceiveCount", "1")) == "1"
        and isinstance(notification := read.get(record.get("messageId", "")), Alert)
        and notification.kind == ORDER_FAILED
    }
    if first_seen:
        observability.metric(observability.ORDERS_FAILED, len(first_seen))
