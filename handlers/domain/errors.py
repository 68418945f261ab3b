"""Domain errors.

The workflow's Retry and Catch match these class names (the Lambda runtime reports `errorType` as the exception's
class name), so renaming one is a change to the workflow definition too. Adapters translate botocore errors into
these; nothing matches on message text.
"""

from __future__ import annotations

from typing import Any, ClassVar

BUSINESS, SYSTEM = "business", "system"


class OrderflowError(Exception):
    """Base class: every error this package raises on purpose.

    `failure` says what an order failing with it is: a business failure (the customer's input, an order's state: a
    warning, for the team's chat) or a system failure (a store or service unavailable, retries exhausted: critical,
    for whoever is on call). An error no class of ours declares (States.Timeout, a Lambda service error) is a system
    failure. `shown_to_customer`: whether the failure's cause is the client's business (GET /orders shows it) or
    may name internals (it is shown as "operators were alerted")."""

    failure: ClassVar[str] = SYSTEM
    shown_to_customer: ClassVar[bool] = False


class TransientError(OrderflowError):
    """A dependency is briefly unavailable (throttled, 5xx, timeout). The workflow retries these."""


class OrderStoreUnavailable(TransientError):
    """DynamoDB throttled or failed the request; safe to retry."""


class NotificationUnavailable(TransientError):
    """The notification channel could not be reached; safe to retry."""


class AlertDeliveryError(TransientError):
    """An alert target (Slack, a webhook) or the alert log kept failing: the alert's SQS message is reported failed,
    so the alert queue delivers it again (then parks it in the alert DLQ)."""


class PermanentError(OrderflowError):
    """Retrying cannot help: the input or the state of the order is wrong."""

    failure = BUSINESS


class OrderValidationError(PermanentError):
    """The order breaks an input or business rule. `errors` lists each problem with its field path."""

    shown_to_customer = True

    def __init__(self, errors: list[dict[str, str]]) -> None:
        self.errors = errors
        summary = "; ".join(f"{e['path']}: {e['message']}" for e in errors)
        super().__init__(summary or "invalid order")


class Problems:
    """Collects every problem with its field path, so a client learns all of them in one answer."""

    def __init__(self) -> None:
        self.errors: list[dict[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.errors.append({"path": path, "message": message})

    def raise_if_any(self) -> None:
        if self.errors:
            raise OrderValidationError(self.errors)


class IdempotencyConflictError(PermanentError):
    """The idempotency key is already locked by a different request body."""


class OrderNotFoundError(PermanentError):
    """No order with this id."""


class InvalidTransitionError(PermanentError):
    """The order is not in a status from which this step may move it. `current` is the status it has (None when
    unknown)."""

    def __init__(self, message: str, current: str | None = None, record: dict[str, Any] | None = None) -> None:
        self.current = current
        self.record = record or {}  # the order as it is, when the store returned it
        super().__init__(message)


class AlertRefused(OrderflowError):
    """An alert target refused the alert for good (HTTP 400: the payload or the key is wrong): retrying cannot help,
    so it is parked in the alert DLQ at once, with the receiver's reason, for a person to read."""


def declared(name: str) -> type[OrderflowError] | None:
    """Our error class of that name (the workflow reports an error by its class name), if any."""
    pending: list[type[OrderflowError]] = [OrderflowError]
    while pending:
        cls = pending.pop()
        if cls.__name__ == name:
            return cls
        pending.extend(cls.__subclasses__())
    return None


def failure_of(name: str) -> str:
    """BUSINESS or SYSTEM for an error name as the workflow reports it; undeclared names are system failures."""
    cls = declared(name)
    return cls.failure if cls is not None else SYSTEM


class OrderHandledElsewhere(PermanentError):
    """CreateOrder found the order written by another execution of it (Express is at-least-once; a duplicate start):
    that execution carries the order on. The workflow catches this by name and ends this execution quietly."""
