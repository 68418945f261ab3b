"""AlertHandler: takes the alert queue in batches (the alert topic feeds it). Each alert - a failed order, or a
CloudWatch alarm changing state - goes once to every configured target (handlers.alert_targets); when a batch holds
more new alerts than ALERT_STORM_THRESHOLD, each target gets one grouped summary instead of a message per alert.

Duplicates (a retried publish, an SQS redelivery, a redrive) are dropped by fingerprint (handlers.alert_log).
A target that fails makes its alerts' messages fail (partial batch response): SQS delivers them again, and after
maxReceiveCount parks them in the alert DLQ, which is alarmed. Never dropped silently.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import boto3
from aws_lambda_powertools.utilities import parameters
from botocore.config import Config

from handlers import clock, env, observability
from handlers.adapters.alert_log import AlertLog
from handlers.adapters.alert_targets import AlertTarget, configured_targets
from handlers.domain.alerts import Notification, parse_notification

SECRET_MAX_AGE_SECONDS = 300
_SECRETS = {
    "slack": env.SLACK_WEBHOOK_SECRET_ARN,
    "webhook": env.ALERT_WEBHOOK_SECRET_ARN,
}

alert_log = AlertLog(
    # Unlike the workflow's steps, nothing retries the alert log's calls for us: the SDK does, a few times.
    boto3.client("dynamodb", config=Config(retries={"mode": "standard", "total_max_attempts": 5})),
    env.require(env.ALERT_LOG_TABLE),
    # Longer than an alert can wait in the alert queue (4 days) and its DLQ (14 days): a redrive is no duplicate.
    window=timedelta(seconds=int(env.optional(env.ALERT_DEDUP_SECONDS) or 20 * 24 * 3600)),
)
storm_threshold = int(env.optional(env.ALERT_STORM_THRESHOLD) or 3)
max_attempts = int(env.optional(env.SLACK_MAX_ATTEMPTS) or 3)
link_template = env.optional(env.CONSOLE_URL)
http_timeout = float(env.optional(env.ALERT_HTTP_TIMEOUT_SECONDS) or 10)


def _secret(target: str) -> str | None:
    variable = _SECRETS.get(target)
    arn = env.optional(variable) if variable else None
    if arn is None:
        return None
    return str(parameters.get_secret(arn, max_age=SECRET_MAX_AGE_SECONDS)).strip()


def targets() -> list[AlertTarget]:
    return configured_targets(env.optional(env.ALERT_TARGETS), _secret, max_attempts, link_template, http_timeout)


# A post can take a minute (3 tries of up to 10 s, Retry-After waits between them): none starts with less left.
POST_BUDGET_MS = 60_000


class OutOfTime(Exception):
    """Too little of the invocation is left for another post: the rest is retried (not half-done at a timeout)."""


def deliver(
    batch: list[tuple[str, Notification]],
    target: AlertTarget,
    remaining_ms: Callable[[], int] = lambda: POST_BUDGET_MS * 10,
) -> set[str]:
    """Deliver the batch's new alerts to one target; returns the message ids whose delivery failed.

    Each alert is marked delivered as soon as its post succeeded. Whatever fails - a claim, a post, the clock -
    every claim this call holds for an alert it did not deliver is released, so the retry delivers it instead of
    taking it for a duplicate.
    """
    now = clock.now()
    fresh: list[tuple[str, Notification]] = []
    delivered: list[tuple[str, Notification]] = []

    def posted(items: list[tuple[str, Notification]]) -> None:
        delivered.extend(items)
        try:
            alert_log.delivered([n.fingerprint for _, n in items], target.name, clock.now())
        except Exception as e:  # posted is posted: the claim stays, which is just as good against a duplicate
            observability.logger.warning("could not mark alerts delivered", extra={"reason": str(e)})

    try:
        for item in batch:
            if alert_log.claim(item[1].fingerprint, target.name, now):
                fresh.append(item)
        if len(fresh) < len(batch):
            observability.logger.info(
                "duplicate alerts dropped", extra={"target": target.name, "dropped": len(batch) - len(fresh)}
            )
        if len(fresh) > storm_threshold:
            if remaining_ms() < POST_BUDGET_MS:
                raise OutOfTime(f"{remaining_ms()} ms left")
            target.post_summary([n for _, n in fresh])
            posted(list(fresh))
        else:
            for item in fresh:
                if remaining_ms() < POST_BUDGET_MS:
                    raise OutOfTime(f"{remaining_ms()} ms left")
                target.post(item[1])
                posted([item])
    except Exception as e:  # any failure of a target or the log: its undelivered alerts are retried, never dropped
        observability.logger.error("alert delivery failed", extra={"target": target.name, "reason": str(e)})
        undelivered = [item for item in fresh if item not in delivered]
        try:
            alert_log.release([n.fingerprint for _, n in undelivered], target.name)
        except Exception as release_error:  # the claims expire on their own; the retry waits for that
            observability.logger.warning("could not release claims", extra={"reason": str(release_error)})
        done = {message_id for message_id, _ in delivered}
        return {message_id for message_id, _ in batch if message_id not in done}
    return set()


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
    remaining = getattr(context, "get_remaining_time_in_millis", lambda: POST_BUDGET_MS * 10)
    if batch:
        for target in targets():
            failed |= deliver(batch, target, remaining)
    return {"batchItemFailures": [{"itemIdentifier": message_id} for message_id in sorted(failed)]}
