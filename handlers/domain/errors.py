"""Domain errors.

The workflow's Retry and Catch match these class names (the Lambda runtime reports `errorType` as the exception's
class name), so renaming one is a change to the workflow definition too. Adapters translate botocore errors into
these; nothing matches on message text.
"""

from __future__ import annotations


class OrderflowError(Exception):
    """Base class: every error this package raises on purpose."""


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


class OrderValidationError(PermanentError):
    """The order breaks an input or business rule. `errors` lists each problem with its field path."""

    def __init__(self, errors: list[dict[str, str]]) -> None:
        self.errors = errors
        summary = "; ".join(f"{e['path']}: {e['message']}" for e in errors)
        super().__init__(summary or "invalid order")


class IdempotencyConflictError(PermanentError):
    """The idempotency key is already locked by a different request body."""


class OrderNotFoundError(PermanentError):
    """No order with this id."""


class InvalidTransitionError(PermanentError):
    """The order is not in a status from which this step may move it. `current` is the status it has (None when
    unknown)."""

    def __init__(self, message: str, current: str | None = None) -> None:
        self.current = current
        super().__init__(message)


class OrderHandledElsewhere(PermanentError):
    """CreateOrder found the order written by another execution of it (Express is at-least-once; a duplicate start):
    that execution carries the order on. The workflow catches this by name and ends this execution quietly."""
