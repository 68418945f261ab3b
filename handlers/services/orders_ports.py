"""The orders API's boundary, in types: the ports it is given (Orders, Executions) with the records their adapters
hand it and the errors they raise, the request it takes and the answer it gives (Submission, Accepted), and the
outcomes it raises that are no failure of the request (RequestInFlight, DependencyUnavailable).
handlers.adapters.orders_store and handlers.adapters.executions implement the ports; handlers.adapters.http maps
the rest to and from HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from handlers.domain.errors import TransientError

# Records the adapters hand the API


@dataclass(frozen=True)
class Reservation:
    """What an Idempotency-Key names: its order id; whether this request reserved it (`fresh`); and, when another
    request did, whether that one is still within its deadline (`in_flight`)."""

    order_id: str
    fresh: bool
    in_flight: bool


@dataclass(frozen=True)
class Failure:
    """Why an order failed: the error's name, its cause as recorded, and the step it failed at (if known)."""

    error: str
    cause: Any = None
    state: str | None = None


@dataclass(frozen=True)
class StoredItem:
    sku: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class StoredOrder:
    """An order as the orders table holds it (CreateOrder's write, or only RecordFailure's when it failed first), as
    the API reads it: None is a field the record does not hold. `history`, `shipping_address` as stored."""

    order_id: str
    owner: str | None = None
    status: str | None = None
    customer_id: str | None = None
    currency: str | None = None
    email: str | None = None
    shipping_address: Mapping[str, Any] | None = None
    history: tuple[Mapping[str, Any], ...] | None = None
    correlation_id: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    items: tuple[StoredItem, ...] | None = None
    total: Decimal | None = None
    failure: Failure | None = None


@dataclass(frozen=True)
class Execution:
    """An order's execution, as DescribeExecution tells it."""

    arn: str
    input: str  # the JSON it was started with ("" when not told)
    status: str  # RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED, PENDING_REDRIVE
    started: datetime
    stopped: datetime | None = None
    error: str | None = None  # None: not told (then the status stands for it)
    cause: str | None = None


# The ports


class Orders(Protocol):
    """The orders table and the Idempotency-Keys' reservations (handlers.adapters.orders_store.OrdersStore). No
    answer in time, or a throttle: OrderStoreUnavailable."""

    def reserve(
        self, idempotency_key: str, request_hash: str, order_id: str, now: datetime, in_flight_until: datetime
    ) -> Reservation: ...

    def release(self, idempotency_key: str, order_id: str) -> None: ...

    def read(self, order_id: str) -> StoredOrder | None: ...


class Executions(Protocol):
    """The state machine's executions, each named after its order (handlers.adapters.executions).

    `start` returns the execution's ARN, or raises ExecutionAlreadyExists, StepFunctionsThrottled or
    StartExecutionRefused (nothing started), or StepFunctionsUnavailable (no answer: it may have started).
    `describe` returns None when there is no such execution or it cannot be described (Express executions; an ARN
    DescribeExecution does not take), or raises StepFunctionsThrottled or StepFunctionsUnavailable."""

    def start(self, name: str, execution_input: Mapping[str, Any]) -> str: ...

    def describe(self, name: str) -> Execution | None: ...


# The Executions port's errors: Step Functions' answers, as the adapter translates them (only the orders API calls
# Step Functions, so they are no workflow errors: handlers.domain.errors holds those).


class StepFunctionsUnavailable(TransientError):
    """Step Functions gave no answer in time (a timeout, no connection): the call may have taken effect all the same;
    the client may retry (503)."""


class StepFunctionsThrottled(TransientError):
    """Step Functions refused a call for now (throttled, unavailable): it did not take effect; the client may retry
    (503)."""


class ExecutionAlreadyExists(Exception):
    """StartExecution named an execution that exists, or existed: Standard starts one execution per name."""


class StartExecutionRefused(Exception):
    """Step Functions refused StartExecution for good (its input, its permissions, the state machine): nothing
    started. A defect or a configuration error, not the client's (500)."""


# What the API takes and answers


@dataclass(frozen=True)
class Submission:
    """POST /orders: who asks (the owner of what it creates), under which Idempotency-Key (its form checked), with
    which body (JSON, read by the strict reader), and the request's correlation id."""

    caller: str
    idempotency_key: str
    payload: Any
    correlation_id: str


@dataclass(frozen=True)
class Accepted:
    """POST /orders' answer: the order the key names, PENDING; `replayed` when it is the key's first request's."""

    order_id: str
    replayed: bool = False


class DependencyUnavailable(TransientError):
    """Too little of the invocation is left to call DynamoDB or Step Functions and still answer: the client may retry
    (503)."""


class RequestInFlight(Exception):
    """The key's first request is still within its deadline and its order not written yet: the client waits (409)."""

    detail = "a request with this Idempotency-Key is still being processed; retry after it finished"


class ExecutionNotVisible(RequestInFlight):
    """StartExecution answered ExecutionAlreadyExists, yet DescribeExecution does not see that execution (it is
    eventually consistent on AWS): the client waits (409) and is replayed once it does."""

    detail = "the order for this Idempotency-Key has started and is not visible yet; retry shortly"
