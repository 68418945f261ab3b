"""One structured logger for every handler: each line is one JSON object carrying orderId and correlationId.

Keys are bound per invocation with Powertools' thread-safe keys, so concurrent invocations in one process (the local
runtime) never swap each other's order or correlation id; on Lambda there is one invocation per process anyway.
"""

from __future__ import annotations

from typing import Any, Protocol

from aws_lambda_powertools import Logger

logger = Logger(service="orderflow")


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
