"""One structured logger for every handler: each line is one JSON object carrying orderId and correlationId. And
the business metrics, in CloudWatch's embedded metric format (EMF, through Powertools): orders accepted, fulfilled,
failed and stuck, the time from acceptance to FULFILLED, and each function's declared business errors.

Keys are bound per invocation with Powertools' thread-safe keys, so concurrent invocations in one process (the local
runtime) never swap each other's order or correlation id; on Lambda there is one invocation per process anyway.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Mapping
from typing import Any, Protocol

from aws_lambda_powertools import Logger
from aws_lambda_powertools.metrics import MetricUnit, single_metric

from handlers.domain.errors import PermanentError

SERVICE = "orderflow"
logger = Logger(service=SERVICE)

# The metrics' namespace and names: infra's alarms and dashboard read them (infra/constructs/monitoring.py).
METRICS_NAMESPACE = "orderflow"
ORDERS_ACCEPTED = "OrdersAccepted"
ORDERS_FULFILLED = "OrdersFulfilled"
ORDERS_FAILED = "OrdersFailed"
ORDERS_STUCK = "OrdersStuck"
FULFILMENT_SECONDS = "FulfilmentSeconds"
# A function raised one of our PermanentErrors (the order's input or state is wrong: the workflow's Catch handles
# it). Lambda counts it in Errors too; Errors minus these is what alarms.
BUSINESS_ERRORS = "BusinessErrors"
FUNCTION_DIMENSION = "FunctionName"
METRICS_DISABLED = "POWERTOOLS_METRICS_DISABLED"


class LambdaContextLike(Protocol):
    function_name: str
    aws_request_id: str


def bind(context: LambdaContextLike | None, **keys: Any) -> None:
    """Start an invocation's log context: drop the previous invocation's keys, bind the new ones."""
    logger.thread_safe_clear_keys()
    bound: dict[str, Any] = {k: v for k, v in keys.items() if v is not None}
    if context is not None:
        bound["function_name"] = getattr(context, "function_name", None)
        bound["function_request_id"] = getattr(context, "aws_request_id", None)
    logger.thread_safe_append_keys(**bound)


def append(**keys: Any) -> None:
    logger.thread_safe_append_keys(**{k: v for k, v in keys.items() if v is not None})


def metric(
    name: str, value: float = 1.0, unit: MetricUnit = MetricUnit.Count, dimensions: Mapping[str, str] | None = None
) -> None:
    """One metric datum, written at once as its own EMF line (thread-safe: no shared metric set across the local
    runtime's concurrent invocations). Dimensions: the service, and those given. Powertools' switch
    POWERTOOLS_METRICS_DISABLED (the local runtime sets it: nothing reads EMF there) is honoured here, as
    single_metric itself prints regardless."""
    if os.environ.get(METRICS_DISABLED, "").strip().lower() in ("1", "true"):
        return
    with single_metric(
        name=name,
        unit=unit,
        value=value,
        namespace=METRICS_NAMESPACE,
        default_dimensions={"service": SERVICE, **(dimensions or {})},
    ):
        pass


def seconds(name: str, value: float) -> None:
    metric(name, value, MetricUnit.Seconds)


Handler = Callable[[dict[str, Any], Any], Any]


def entry_point(handler: Handler) -> Handler:
    """A Lambda entry point that counts the declared business errors it raises (BusinessErrors, by function name),
    so an alarm on Errors minus them wakes nobody for a customer's typo. The error is raised on, unchanged: the
    workflow's Retry and Catch match its class name."""

    @functools.wraps(handler)
    def counted(event: dict[str, Any], context: Any) -> Any:
        try:
            return handler(event, context)
        except PermanentError:
            function = str(getattr(context, "function_name", None) or "unknown")
            metric(BUSINESS_ERRORS, dimensions={FUNCTION_DIMENSION: function})
            raise

    return counted
