"""The orders API's use cases, behind StartWorkflow: submit an order (POST /orders starts its execution) and read
one (GET /orders/{orderId}), over two ports (handlers.services.orders_ports): Orders, the orders table with the
Idempotency-Keys' reservations, and Executions, the state machine's. handlers.adapters.http maps API Gateway's events
to the typed requests, and the answers and errors to HTTP (docs/openapi.json is the contract).

Orders belong to their caller (handlers.adapters.http.caller_of): GET answers 404 for another caller's order,
exactly as for an order that does not exist. Public answers carry no AWS account id: operators find the execution
by order id (`orderflow executions`, `orderflow graph --order`).

The Idempotency-Key contract (Stripe; the IETF Idempotency-Key draft) rests on one record per key, written once:
the key reserves an order id for 24 hours (OrdersStore.reserve; the expiry compared in the conditional write), in
flight until the reserving invocation's deadline. A later request with the key and
- another body -> 422;
- the same body, once the order is written (CreateOrder, or RecordFailure for an order that failed first) -> the
  first response replayed (`Idempotent-Replayed: true`), without starting anything;
- the same body, once the key's execution has started (DescribeExecution; Standard only) -> replayed too;
- the same body while the first request is within its deadline and neither has happened yet -> 409 with
  Retry-After (on Express, whose executions cannot be described, until the order is written);
- the same body after that deadline (the first request died, before or after StartExecution) -> StartExecution
  under the same name: it starts the order the dead request did not, or Standard answers ExecutionAlreadyExists and
  the first execution is replayed - or, while DescribeExecution does not see it yet (it is eventually consistent on
  AWS), 409 with Retry-After, the key untouched, and a retry is replayed once it does. (Express does not de-duplicate
  names: there a second execution may start, and CreateOrder leaves the order to the first.)
A key reused after its 24 hours reserves a new order id: a new order. The order's own record says what the first
request did, so no second record is kept per request.

When DynamoDB or Step Functions does not answer in time (a timeout, no connection) or throttles, the request gets
503 with Retry-After, never API Gateway's bare 5xx: the adapters raise TransientErrors then (OrderStoreUnavailable,
StepFunctionsUnavailable, StepFunctionsThrottled), each call is bounded (handlers.wiring.API_TIMEOUTS) and none
starts without the time to end and answer (DependencyUnavailable). The key stays retryable: released when
StartExecution was refused, or timed out on Standard (one execution per name, whatever a retry does); otherwise it
stays in flight until the invocation's deadline, since a reservation, or an Express start, that timed out may still
take effect.

The state machine's type (`workflow_type`, STANDARD or EXPRESS) spares Express the DescribeExecution calls it refuses.
Not configured, the API describes anyway (a refusal reads as "none"), and a timed-out start keeps its key in flight.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from handlers import observability
from handlers.clock import iso
from handlers.clock import now as clock_now
from handlers.domain.alerts import readable_cause
from handlers.domain.errors import IdempotencyConflictError, TransientError, declared
from handlers.domain.identifiers import is_order_id, new_order_id, request_hash, scoped_idempotency_key
from handlers.domain.money import Money
from handlers.domain.order import OrderStatus, order_payload
from handlers.domain.order_input import parse_order
from handlers.services.orders_ports import (
    Accepted,
    DependencyUnavailable,
    Execution,
    ExecutionAlreadyExists,
    ExecutionNotVisible,
    Executions,
    Failure,
    Orders,
    RequestInFlight,
    StartExecutionRefused,
    StepFunctionsThrottled,
    StepFunctionsUnavailable,
    StoredOrder,
    Submission,
)

EXPRESS = "EXPRESS"
STANDARD = "STANDARD"
INTERNAL_FAILURE = "the order could not be processed; operators were alerted"
# How long a request counts as in flight when its invocation's deadline is unknown (HTTP API's longest wait).
DEFAULT_IN_FLIGHT_SECONDS = 30
# Time kept to answer after the last call: a call starts only while its longest duration and this much remain.
ANSWER_MARGIN = timedelta(milliseconds=500)


def _unconfigured() -> str | None:
    return None


@dataclass(frozen=True)
class OrdersApi:
    executions: Executions
    store: Orders
    # STANDARD, EXPRESS or None (not configured), asked at each use (handlers.wiring.workflow_type).
    workflow_type: Callable[[], str | None] = _unconfigured
    # The longest one call of `executions` or `store` can take (their clients' timeouts): none starts without that
    # much time.
    longest_call: timedelta = timedelta(0)
    now: Callable[[], datetime] = clock_now
    # The invocation's remaining time in milliseconds (Lambda's context), None when unknown (for_invocation).
    remaining_ms: Callable[[], int] | None = None

    def for_invocation(self, context: Any) -> OrdersApi:
        """This API for one invocation, which knows its deadline: a request that dies in flight holds its key only
        until then, and no call starts without the time to end and answer. A copy, so invocations that overlap in
        one process (the local runtime) never read each other's deadline."""
        if context is None or not hasattr(context, "get_remaining_time_in_millis"):
            return replace(self, remaining_ms=None)
        return replace(self, remaining_ms=context.get_remaining_time_in_millis)

    def _time_left(self) -> timedelta:
        remaining = self.remaining_ms() if self.remaining_ms is not None else DEFAULT_IN_FLIGHT_SECONDS * 1000
        return timedelta(milliseconds=remaining)

    def _deadline(self, start: datetime) -> datetime:
        return start + self._time_left()

    def _may_call(self, what: str) -> None:
        """Before each call of DynamoDB or Step Functions: it starts only if it can end with time left to answer."""
        if self._time_left() < self.longest_call + ANSWER_MARGIN:
            raise DependencyUnavailable(f"{what}: too little time left in this invocation to call")

    # POST /orders

    def submit(self, submission: Submission) -> Accepted:
        """Raises OrderValidationError (the order breaks an input rule), IdempotencyConflictError (the key was used
        with another body), RequestInFlight (the key's first request may still start it) or a TransientError."""
        order = parse_order(submission.payload)
        execution_input = {
            # Keys are the caller's own (Stripe scopes them per account): another caller's same key is another order.
            "idempotencyKey": scoped_idempotency_key(submission.caller, submission.idempotency_key),
            "requestHash": request_hash(submission.payload),
            "owner": submission.caller,
            "correlationId": submission.correlation_id,
            "submittedAt": iso(self.now()),
            **order_payload(order),
        }
        return self._accept(execution_input)

    def _accept(self, execution_input: dict[str, Any]) -> Accepted:
        """Reserve the key's order id and start its execution, or answer with what the key's first request did."""
        key, fingerprint = execution_input["idempotencyKey"], execution_input["requestHash"]
        start = self.now()
        # A reserve that times out may still land: then the key is in flight until this invocation's deadline.
        self._may_call("reserve the Idempotency-Key")
        reservation = self.store.reserve(key, fingerprint, new_order_id(), start, self._deadline(start))
        order_id = reservation.order_id
        observability.append(order_id=order_id)
        if not reservation.fresh:
            self._may_call("read the order")
            if self.store.read(order_id) is not None:
                observability.logger.info("idempotent replay: the order is written")
                return Accepted(order_id, replayed=True)
            first = self._first_execution(order_id, fingerprint)
            if first is not None:
                return first
            if reservation.in_flight:
                raise RequestInFlight(order_id)
        return self._start(key, order_id, fingerprint, {"orderId": order_id, **execution_input})

    def _start(self, key: str, order_id: str, fingerprint: str, execution_input: dict[str, Any]) -> Accepted:
        try:
            self._may_call("StartExecution")
            execution_arn = self.executions.start(order_id, execution_input)
        except (DependencyUnavailable, StepFunctionsUnavailable):
            # No answer: the execution may have started all the same. Standard starts one execution per name, so a
            # retry is safe at once. On Express a retry could start a second one: the key stays in flight until this
            # invocation's deadline, by when an order that did start is usually written, and the retry replays it.
            if self.workflow_type() == STANDARD:
                self._release(key, order_id)
            raise
        except ExecutionAlreadyExists as e:
            # Only Standard de-duplicates names, so the execution is there, though DescribeExecution (eventually
            # consistent on AWS) may not see it yet: then the client retries, and is replayed once it does.
            replayed = self._first_execution(order_id, fingerprint, exists=True)
            if replayed is None:
                observability.logger.warning("the execution that exists is not visible yet")
                raise ExecutionNotVisible(order_id) from e
            return replayed
        except (StepFunctionsThrottled, StartExecutionRefused):
            self._release(key, order_id)  # nothing started: a retry need not wait for this invocation's deadline
            raise
        observability.logger.info("order accepted", extra={"execution_arn": execution_arn})
        observability.metric(observability.ORDERS_ACCEPTED)
        return Accepted(order_id)

    def _release(self, key: str, order_id: str) -> None:
        """Best effort: if the release fails too, a retry waits (409) until this invocation's deadline."""
        try:
            self._may_call("release the Idempotency-Key")
            self.store.release(key, order_id)
        except TransientError as e:
            observability.logger.warning("the key's reservation could not be released", extra={"reason": str(e)})

    def _first_execution(self, order_id: str, fingerprint: str, *, exists: bool = False) -> Accepted | None:
        """The answer with the key's execution if it has started (the first request answered, or died after
        StartExecution); None if it has not, or cannot be told (see _described)."""
        first = self._described(order_id, exists=exists)
        if first is None:
            return None
        first_input = json.loads(first.input or "{}")
        if first_input.get("requestHash") != fingerprint:
            raise IdempotencyConflictError(f"execution {order_id} was started by another request")
        observability.logger.info("idempotent replay", extra={"execution_arn": first.arn})
        return Accepted(order_id, replayed=True)

    def _described(self, order_id: str, *, exists: bool = False) -> Execution | None:
        """The order's execution (POST and GET alike), or None: there is none, none visible yet, or it cannot be
        described. Express executions cannot: with the type configured, Express is not asked, unless StartExecution
        has just answered that the execution `exists` (so the state machine is Standard's)."""
        if self.workflow_type() == EXPRESS and not exists:
            return None
        self._may_call("DescribeExecution")
        return self.executions.describe(order_id)

    # GET /orders/{orderId}

    def read(self, order_id: str, caller: str) -> dict[str, Any] | None:
        """The order as its owner sees it (docs/openapi.json's Order), or None: no such order, or not the caller's."""
        if not is_order_id(order_id):
            return None
        observability.append(order_id=order_id)
        self._may_call("read the order")
        stored = self.store.read(order_id)
        if stored is not None:
            # Another caller's order is answered exactly as a missing one: its existence is not revealed either.
            return public_order(stored) if stored.owner == caller else None
        return self._from_execution(order_id, caller)

    def _from_execution(self, order_id: str, caller: str) -> dict[str, Any] | None:
        """Before CreateOrder writes the order (or when validation failed first), the execution tells its status. On
        Express, whose executions cannot be described, the table is the record."""
        execution = self._described(order_id)
        if execution is None:
            return None
        try:
            started_by = json.loads(execution.input).get("owner")
        except (ValueError, AttributeError):  # no input told, or no JSON object: no owner
            return None
        if started_by != caller:
            return None
        started = iso(execution.started)
        body: dict[str, Any] = {
            "orderId": order_id,
            "status": OrderStatus.PENDING.value,
            "history": [{"status": OrderStatus.PENDING.value, "at": started}],
        }
        if execution.status != "RUNNING":
            stopped = execution.stopped
            body["status"] = OrderStatus.FAILED.value
            body["history"].append({"status": OrderStatus.FAILED.value, "at": iso(stopped) if stopped else started})
            error = execution.error if execution.error is not None else execution.status
            body["failure"] = public_failure(Failure(str(error or ""), execution.cause))
        return body


def public_order(stored: StoredOrder) -> dict[str, Any]:
    """The order as its owner sees it: amounts as decimal strings in the currency's minor units (DynamoDB keeps
    numbers normalized, so 12.50 comes back as 12.5, and 12.00 as the integer 12), and no internals."""
    fields: dict[str, Any] = {
        "orderId": stored.order_id,
        "status": stored.status,
        "customerId": stored.customer_id,
        "currency": stored.currency,
        "email": stored.email,
        "shippingAddress": stored.shipping_address,
        "history": list(stored.history) if stored.history is not None else None,
        "correlationId": stored.correlation_id,
        "createdAt": stored.created_at,
        "updatedAt": stored.updated_at,
    }
    body = {name: value for name, value in fields.items() if value is not None}
    currency = stored.currency or ""
    if stored.items is not None:
        body["items"] = [
            {
                "sku": item.sku,
                "quantity": item.quantity,
                "unitPrice": Money(item.unit_price, currency).wire(),
                "lineTotal": Money(item.unit_price, currency).times(item.quantity).wire(),
            }
            for item in stored.items
        ]
    if stored.total is not None:
        body["total"] = Money(stored.total, currency).wire()
    if stored.failure is not None:
        body["failure"] = public_failure(stored.failure)
    return body


def public_failure(failure: Failure) -> dict[str, str]:
    """Why an order failed, as far as it is the client's business: a rule its input broke, with the reason; for
    anything else, that it failed and was alerted (the cause may name internals: ARNs, tables, account ids)."""
    # A cause is shown when its error class says it is the client's own input; any other failure is an operator's
    # matter (and was alerted): its cause may name internals.
    shown_to_customer = (cls := declared(failure.error)) is not None and cls.shown_to_customer
    shown = {"error": failure.error, "cause": readable_cause(failure.cause) if shown_to_customer else ""}
    if not shown["cause"]:
        shown["cause"] = INTERNAL_FAILURE
    if failure.state:
        shown = {"state": failure.state, **shown}
    return shown
