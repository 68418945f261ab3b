"""No answer from DynamoDB (a connection that fails, a read that times out) is a transient error the workflow
retries by class name, never a botocore exception it would only catch as a failed order; no answer from Step
Functions is the orders API's StepFunctionsUnavailable (a 503), never a botocore exception in the service."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

from handlers.adapters.executions import StepFunctionsExecutions
from handlers.adapters.orders_store import OrdersStore
from handlers.domain.errors import OrderStoreUnavailable
from handlers.domain.order import OrderStatus
from handlers.services.orders_ports import StepFunctionsUnavailable


class Silent:
    """A DynamoDB client that never answers: each call raises what botocore raises then."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __getattr__(self, name: str) -> Any:
        def call(**_: Any) -> Any:
            raise self.error

        return call


@pytest.mark.parametrize(
    "error",
    [ReadTimeoutError(endpoint_url="https://dynamodb"), EndpointConnectionError(endpoint_url="https://dynamodb")],
)
def test_every_store_call_reports_no_answer_as_order_store_unavailable(error: Exception) -> None:
    store = OrdersStore(Silent(error), "orders", "locks", lock_ttl=timedelta(hours=24))  # type: ignore[arg-type]
    now = datetime(2026, 12, 5, tzinfo=UTC)
    calls: list[Callable[[], object]] = [
        lambda: store.get("ord_1"),
        lambda: store.read("ord_1"),
        lambda: store.reserve("k", "h", "ord_1", now, now + timedelta(seconds=10)),
        lambda: store.release("k", "ord_1"),
        lambda: store.transition("ord_1", [OrderStatus.CREATED], OrderStatus.FULFILLED, now),
    ]
    for call in calls:
        with pytest.raises(OrderStoreUnavailable, match=type(error).__name__):
            call()


@pytest.mark.parametrize(
    "error",
    [ReadTimeoutError(endpoint_url="https://states"), EndpointConnectionError(endpoint_url="https://states")],
)
def test_every_execution_call_reports_no_answer_as_step_functions_unavailable(error: Exception) -> None:
    machine = "arn:aws:states:eu-west-1:111122223333:stateMachine:orderflow-orders:live"
    executions = StepFunctionsExecutions(Silent(error), machine)  # type: ignore[arg-type]
    calls: list[Callable[[], object]] = [
        lambda: executions.start("ord_1", {"orderId": "ord_1"}),
        lambda: executions.describe("ord_1"),
    ]
    for call in calls:
        with pytest.raises(StepFunctionsUnavailable, match=type(error).__name__):
            call()
