"""Alert delivery: the AlertHandler's policy, over injected ports (an alert log, the targets, a clock).

- One alert per failure and target: each alert is claimed in the alert log before it is posted; a claim already held
  (or a delivery already made) means a duplicate - a retried publish, an SQS redelivery, a redrive - and it is dropped.
- A storm - more new alerts in one batch than `storm_threshold` - reaches each target as one grouped summary.
- No post starts with less than `post_budget_ms` of the invocation left: the rest fail, to be delivered later.
- Whatever fails (a claim, a post, the clock), the alerts not delivered are released and their messages reported as
  failed (a partial batch response): SQS redelivers them from the alert queue, then parks them in the alert DLQ,
  which is alarmed. An alert is never dropped silently.
- A target that refuses an alert for good (AlertRefused: PagerDuty's 400, a webhook's 4xx) is not retried: the alert
  is parked in the alert DLQ at once, with the target and its reason, and its claim released, so a redrive after the
  fix delivers it to that target (the others drop it as a duplicate).
- Routes (handlers.domain.alert_routes) choose the targets of each alert; the log gets every one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Protocol

from handlers import observability
from handlers.domain.alert_routes import Routes
from handlers.domain.alerts import Notification, Resolution
from handlers.domain.errors import AlertRefused

# A post can take a minute (3 tries of up to 10 s, Retry-After waits between them): none starts with less left.
POST_BUDGET_MS = 60_000
STORM_THRESHOLD = 3
# The target that gets every alert, whatever the routes say.
ALWAYS_LOGGED = "log"

# (SQS message id, the alert it carries)
Batch = Sequence[tuple[str, Notification]]


class AlertLog(Protocol):
    """Which alert went to which target (handlers.adapters.alert_log.DynamoDBAlertLog)."""

    def claim(self, fingerprint: str, target: str, now: datetime) -> bool:
        """True: this caller delivers it. False: delivered already, or being delivered by someone else."""
        ...

    def delivered(self, fingerprints: Iterable[str], target: str, now: datetime) -> None: ...

    def release(self, fingerprints: Iterable[str], target: str) -> None: ...


class AlertTarget(Protocol):
    """Where alerts go (handlers.adapters.alert_targets): one alert at a time, or a storm as one summary."""

    name: str

    def post(self, notification: Notification) -> None: ...

    def post_summary(self, notifications: list[Notification]) -> None: ...


class AlertParking(Protocol):
    """The alert DLQ, for what a target refused (handlers.adapters.alert_dlq)."""

    def park(self, notification: Notification, target: str, reason: str) -> None: ...


class OutOfTime(Exception):
    """Too little of the invocation is left for another post: the rest is retried (not half-done at a timeout)."""


class AlertDelivery:
    def __init__(
        self,
        log: AlertLog,
        targets: Callable[[], Sequence[AlertTarget]],
        now: Callable[[], datetime],
        *,
        routes: Callable[[], Routes] = Routes,
        parking: AlertParking | None = None,
        storm_threshold: int = STORM_THRESHOLD,
        post_budget_ms: int = POST_BUDGET_MS,
    ) -> None:
        """`targets` and `routes` are asked once per batch, so a target configured (or its secret rotated) meanwhile
        is used. Without `parking`, a refused alert is retried like any failure (then parked by SQS)."""
        self._log = log
        self._targets = targets
        self._routes = routes
        self._parking = parking
        self._now = now
        self._storm_threshold = storm_threshold
        self._post_budget_ms = post_budget_ms

    def deliver(self, batch: Batch, remaining_ms: Callable[[], int]) -> set[str]:
        """Deliver the batch to every target; returns the message ids whose delivery failed somewhere."""
        failed: set[str] = set()
        if batch:
            targets, routes = self._targets(), self._routes()
            on = [target.name for target in targets]
            for target in targets:
                routed = [
                    item
                    for item in batch
                    if target.name == ALWAYS_LOGGED
                    or target.name in routes.targets_for(item[1], on, resolution=isinstance(item[1], Resolution))
                ]
                if routed:
                    failed |= self.deliver_to(target, routed, remaining_ms)
        return failed

    def deliver_to(self, target: AlertTarget, batch: Batch, remaining_ms: Callable[[], int]) -> set[str]:
        """Deliver the batch's new alerts to one target; returns the message ids whose delivery failed.

        Each alert is marked delivered as soon as its post succeeded. Whatever fails - a claim, a post, the clock -
        every claim this call holds for an alert it did not deliver is released, so the retry delivers it instead of
        taking it for a duplicate.
        """
        now = self._now()
        fresh: list[tuple[str, Notification]] = []
        delivered: list[tuple[str, Notification]] = []
        refused: list[tuple[tuple[str, Notification], str]] = []

        def posted(items: list[tuple[str, Notification]]) -> None:
            delivered.extend(items)
            try:
                self._log.delivered([n.fingerprint for _, n in items], target.name, self._now())
            except Exception as e:  # posted is posted: the claim stays, which is just as good against a duplicate
                observability.logger.warning("could not mark alerts delivered", extra={"reason": str(e)})

        def budget_left() -> None:
            if (left := remaining_ms()) < self._post_budget_ms:
                raise OutOfTime(f"{left} ms left")

        try:
            for item in batch:
                if self._log.claim(item[1].fingerprint, target.name, now):
                    fresh.append(item)
            if len(fresh) < len(batch):
                observability.logger.info(
                    "duplicate alerts dropped", extra={"target": target.name, "dropped": len(batch) - len(fresh)}
                )
            if len(fresh) > self._storm_threshold:
                budget_left()
                try:
                    target.post_summary([n for _, n in fresh])
                except AlertRefused as e:
                    if self._parking is None:
                        raise
                    refused += [(item, str(e)) for item in fresh]
                else:
                    posted(list(fresh))
            else:
                for item in fresh:
                    budget_left()
                    try:
                        target.post(item[1])
                    except AlertRefused as e:
                        if self._parking is None:
                            raise
                        refused.append((item, str(e)))
                        continue
                    posted([item])
        except Exception as e:  # any failure of a target or the log: its undelivered alerts are retried, never dropped
            observability.logger.error("alert delivery failed", extra={"target": target.name, "reason": str(e)})
            undelivered = [item for item in fresh if item not in delivered]
            try:
                self._log.release([n.fingerprint for _, n in undelivered], target.name)
            except Exception as release_error:  # the claims expire on their own; the retry waits for that
                observability.logger.warning("could not release claims", extra={"reason": str(release_error)})
            done = {message_id for message_id, _ in delivered}
            return {message_id for message_id, _ in batch if message_id not in done}
        return self._park(target, refused)

    def _park(self, target: AlertTarget, refused: list[tuple[tuple[str, Notification], str]]) -> set[str]:
        """Park what the target refused in the alert DLQ and release its claims (a redrive after the fix delivers it
        to this target). Returns the message ids that could not be parked: SQS retries those."""
        failed: set[str] = set()
        for (message_id, notification), reason in refused:
            observability.logger.error(
                "alert refused: parked in the alert DLQ, not retried",
                extra={"target": target.name, "reason": reason, "alert_id": notification.fingerprint},
            )
            try:
                assert self._parking is not None  # refused is only filled with parking
                self._parking.park(notification, target.name, reason)
                self._log.release([notification.fingerprint], target.name)
            except Exception as e:  # then SQS redelivers it, and parks it after its receives
                observability.logger.error("could not park a refused alert", extra={"reason": str(e)})
                failed.add(message_id)
        return failed
