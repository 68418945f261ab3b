"""The HTTP API behind StartWorkflow: POST /orders starts an execution, GET /orders/{orderId} reads an order.

Every answer is JSON, every error an RFC 9457 problem body (docs/openapi.json is the contract; a test holds this
module to it). The API Gateway routes are ROUTES plus `$default`: whatever matches no route still reaches this
function, which answers 405 with Allow for a known path and 404 for anything else, as the local API does.

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
503 with Retry-After, never API Gateway's bare 5xx: each call is bounded (handlers.wiring.API_TIMEOUTS) and none
starts without the time to end and answer. The key stays retryable: released when StartExecution was refused, or
timed out on Standard (one execution per name, whatever a retry does); otherwise it stays in flight until the
invocation's deadline, since a reservation, or an Express start, that timed out may still take effect.

The state machine's type (`workflow_type`, STANDARD or EXPRESS) spares Express the DescribeExecution calls it refuses.
Not configured, the API describes anyway (a refusal reads as "none"), and a timed-out start keeps its key in flight.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as NoConnection

from handlers import observability
from handlers.adapters.http import ROUTES, BadRequest, Request, Response, problem
from handlers.adapters.orders_store import OrdersStore
from handlers.clock import iso, now
from handlers.domain.alerts import readable_cause
from handlers.domain.errors import IdempotencyConflictError, OrderValidationError, TransientError, declared
from handlers.domain.money import Money
from handlers.domain.order import (
    OrderStatus,
    execution_arn,
    is_order_id,
    new_order_id,
    order_payload,
    parse_order,
    request_hash,
    scoped_idempotency_key,
    valid_correlation_id,
    validate_idempotency_key,
)

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient
    from mypy_boto3_stepfunctions.type_defs import DescribeExecutionOutputTypeDef

_THROTTLED = frozenset({"ThrottlingException", "TooManyRequestsException", "ServiceUnavailable"})
# No execution to be seen: none of that name, or one DescribeExecution refuses (Express executions; an ARN it does not
# take), on the POST path and on GET alike.
_NOT_DESCRIBED = frozenset({"ExecutionDoesNotExist", "InvalidArn", "StateMachineTypeNotSupported"})
# botocore's transport failures, the classes its own retries count as transient: no connection (ConnectionError:
# ConnectTimeoutError, EndpointConnectionError) or no answer in time (HTTPClientError: ReadTimeoutError,
# ConnectionClosedError).
_NO_ANSWER = (NoConnection, HTTPClientError)
EXPRESS = "EXPRESS"
STANDARD = "STANDARD"
_PUBLIC_FIELDS = (
    "orderId",
    "status",
    "customerId",
    "currency",
    "email",
    "shippingAddress",
    "history",
    "correlationId",
    "createdAt",
    "updatedAt",
)
INTERNAL_FAILURE = "the order could not be processed; operators were alerted"


def _template(route: str) -> tuple[str, re.Pattern[str]]:
    method, _, path = route.partition(" ")
    return method, re.compile(re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(path)))


_MATCHERS = [_template(route) for route in ROUTES]


RETRY_IN_FLIGHT_SECONDS = 1
RETRY_UNAVAILABLE_SECONDS = 1
# How long a request counts as in flight when its invocation's deadline is unknown (HTTP API's longest wait).
DEFAULT_IN_FLIGHT_SECONDS = 30
# Time kept to answer after the last call: a call starts only while its longest duration and this much remain.
ANSWER_MARGIN = timedelta(milliseconds=500)


class StartExecutionBusy(TransientError):
    """Step Functions throttled StartExecution: the client may retry (503), the key's reservation is released."""


class DependencyUnavailable(TransientError):
    """DynamoDB or Step Functions gave no answer in time (a timeout, no connection) or throttled, or too little of the
    invocation is left for another call: the client may retry (503)."""


class RequestInFlight(Exception):
    """The key's first request is still within its deadline and its order not written yet: the client waits (409)."""

    detail = "a request with this Idempotency-Key is still being processed; retry after it finished"


class ExecutionNotVisible(RequestInFlight):
    """StartExecution answered ExecutionAlreadyExists, yet DescribeExecution does not see that execution (it is
    eventually consistent on AWS): the client waits (409) and is replayed once it does."""

    detail = "the order for this Idempotency-Key has started and is not visible yet; retry shortly"


def _unconfigured() -> str | None:
    return None


@dataclass(frozen=True)
class OrdersApi:
    sfn: SFNClient
    store: OrdersStore
    state_machine_arn: str
    # STANDARD, EXPRESS or None (not configured), asked at each use (handlers.wiring.workflow_type).
    workflow_type: Callable[[], str | None] = _unconfigured
    # The longest one call of `sfn` or `store` can take (their clients' timeouts): none starts without that much time.
    longest_call: timedelta = timedelta(0)
    _remaining_ms: list[Callable[[], int]] = field(default_factory=list, init=False, repr=False)

    def register_context(self, context: Any) -> None:
        """With the invocation's deadline, a request that dies in flight holds its key only until then."""
        self._remaining_ms.clear()
        if context is not None and hasattr(context, "get_remaining_time_in_millis"):
            self._remaining_ms.append(context.get_remaining_time_in_millis)

    def _time_left(self) -> timedelta:
        remaining = self._remaining_ms[0]() if self._remaining_ms else DEFAULT_IN_FLIGHT_SECONDS * 1000
        return timedelta(milliseconds=remaining)

    def _deadline(self, start: datetime) -> datetime:
        return start + self._time_left()

    @contextmanager
    def _calling(self, what: str) -> Iterator[None]:
        """Around one call of DynamoDB or Step Functions: it starts only if it can end with time left to answer, and
        a transport failure (the SDK's timeouts) becomes DependencyUnavailable, answered 503."""
        if self._time_left() < self.longest_call + ANSWER_MARGIN:
            raise DependencyUnavailable(f"{what}: too little time left in this invocation to call")
        try:
            yield
        except _NO_ANSWER as e:
            raise DependencyUnavailable(f"{what}: {type(e).__name__}") from e

    def handle(self, request: Request) -> Response:
        supplied = request.header("x-correlation-id")
        correlation_id = valid_correlation_id(supplied) or str(uuid.uuid4())
        observability.append(correlation_id=correlation_id)
        if supplied is not None and supplied != correlation_id:
            # Not logged or echoed: it is logged on every line and shown in alerts, so only the allowed form travels.
            observability.logger.info("X-Correlation-Id replaced", extra={"supplied_length": len(supplied)})
        try:
            response = self._route(request, correlation_id)
        except BadRequest as e:
            observability.logger.info("request refused", extra={"status": e.status, "detail": e.detail})
            response = e.response()
        except TransientError as e:  # OrderStoreUnavailable, StartExecutionBusy, DependencyUnavailable
            observability.logger.warning("dependency unavailable", extra={"detail": str(e)})
            response = problem(
                503,
                "Service Unavailable",
                "try again shortly",
                headers={"retry-after": str(RETRY_UNAVAILABLE_SECONDS)},
            )
        except Exception:  # a defect, not the client's input: still a problem body, and logged with its traceback
            observability.logger.exception("unexpected error")
            response = problem(500, "Internal Server Error", "the request failed; it was logged")
        return Response(
            response.status,
            response.body,
            {**response.headers, "x-correlation-id": correlation_id},
            response.content_type,
        )

    def _route(self, request: Request, correlation_id: str) -> Response:
        """Routing by method and path, not API Gateway's routeKey: `$default` brings every other request here too.
        A trailing slash names the same resource."""
        path = request.path.rstrip("/") or "/"
        allowed: list[str] = []
        for method, pattern in _MATCHERS:
            found = pattern.fullmatch(path)
            if found is None:
                continue
            if request.method != method:
                allowed.append(method)
            elif method == "POST":
                return self.submit(request, correlation_id)
            else:
                return self.read(unquote(found["orderId"]), request.caller)
        if allowed:
            return problem(
                405,
                "Method Not Allowed",
                f"{request.method[:20]} is not allowed here; use {', '.join(allowed)}",
                headers={"allow": ", ".join(allowed)},
            )
        return problem(404, "Not Found", "no such resource; the API serves POST /orders and GET /orders/{orderId}")

    # POST /orders

    def submit(self, request: Request, correlation_id: str) -> Response:
        try:
            key = validate_idempotency_key(request.header("idempotency-key"))
        except ValueError as e:
            raise BadRequest(400, "Bad Request", str(e)) from e
        payload = request.json_body()
        try:
            order = parse_order(payload)
        except OrderValidationError as e:
            raise BadRequest(422, "Unprocessable Content", "the order is not valid", errors=e.errors) from e
        submission = {
            # Keys are the caller's own (Stripe scopes them per account): another caller's same key is another order.
            "idempotencyKey": scoped_idempotency_key(request.caller, key),
            "requestHash": request_hash(payload),
            "owner": request.caller,
            "correlationId": correlation_id,
            "submittedAt": iso(now()),
            **order_payload(order),
        }
        try:
            accepted = self._accept(submission)
        except RequestInFlight as e:
            observability.logger.info("Idempotency-Key in flight", extra={"reason": type(e).__name__})
            return problem(409, "Conflict", e.detail, headers={"retry-after": str(RETRY_IN_FLIGHT_SECONDS)})
        except IdempotencyConflictError as e:
            raise BadRequest(
                422, "Unprocessable Content", "this Idempotency-Key was already used with a different request body"
            ) from e
        return self._accepted(accepted["orderId"], replayed=bool(accepted.get("replayed")))

    def _accept(self, submission: dict[str, Any]) -> dict[str, Any]:
        """Reserve the key's order id and start its execution, or answer with what the key's first request did."""
        key, fingerprint = submission["idempotencyKey"], submission["requestHash"]
        start = now()
        # A reserve that times out may still land: then the key is in flight until this invocation's deadline.
        with self._calling("reserve the Idempotency-Key"):
            reservation = self.store.reserve(key, fingerprint, new_order_id(), start, self._deadline(start))
        order_id = reservation.order_id
        observability.append(order_id=order_id)
        if not reservation.fresh:
            with self._calling("read the order"):
                written = self.store.get(order_id) is not None
            if written:
                observability.logger.info("idempotent replay: the order is written")
                return {"orderId": order_id, "replayed": True}
            first = self._first_execution(order_id, fingerprint)
            if first is not None:
                return first
            if reservation.in_flight:
                raise RequestInFlight(order_id)
        return self._start(key, order_id, fingerprint, {"orderId": order_id, **submission})

    def _start(self, key: str, order_id: str, fingerprint: str, execution_input: dict[str, Any]) -> dict[str, Any]:
        try:
            with self._calling("StartExecution"):
                started = self.sfn.start_execution(
                    stateMachineArn=self.state_machine_arn, name=order_id, input=json.dumps(execution_input)
                )
        except DependencyUnavailable:
            # No answer: the execution may have started all the same. Standard starts one execution per name, so a
            # retry is safe at once. On Express a retry could start a second one: the key stays in flight until this
            # invocation's deadline, by when an order that did start is usually written, and the retry replays it.
            if self.workflow_type() == STANDARD:
                self._release(key, order_id)
            raise
        except ClientError as e:
            code = e.response.get("Error", {}).get("Code", "")
            if code == "ExecutionAlreadyExists":
                # Only Standard de-duplicates names, so the execution is there, though DescribeExecution (eventually
                # consistent on AWS) may not see it yet: then the client retries, and is replayed once it does.
                replayed = self._first_execution(order_id, fingerprint, exists=True)
                if replayed is None:
                    observability.logger.warning("the execution that exists is not visible yet")
                    raise ExecutionNotVisible(order_id) from e
                return replayed
            self._release(key, order_id)
            if code in _THROTTLED:
                raise StartExecutionBusy(f"StartExecution answered {code}") from e
            raise
        observability.logger.info("order accepted", extra={"execution_arn": started["executionArn"]})
        observability.metric(observability.ORDERS_ACCEPTED)
        return {"orderId": order_id, "executionArn": started["executionArn"]}

    def _release(self, key: str, order_id: str) -> None:
        """Best effort: if the release fails too, a retry waits (409) until this invocation's deadline."""
        try:
            with self._calling("release the Idempotency-Key"):
                self.store.release(key, order_id)
        except TransientError as e:
            observability.logger.warning("the key's reservation could not be released", extra={"reason": str(e)})

    def _first_execution(self, order_id: str, fingerprint: str, *, exists: bool = False) -> dict[str, Any] | None:
        """The answer with the key's execution if it has started (the first request answered, or died after
        StartExecution); None if it has not, or cannot be told (see _described)."""
        first = self._described(order_id, exists=exists)
        if first is None:
            return None
        first_input = json.loads(first.get("input") or "{}")
        if first_input.get("requestHash") != fingerprint:
            raise IdempotencyConflictError(f"execution {order_id} was started by another request")
        observability.logger.info("idempotent replay", extra={"execution_arn": first["executionArn"]})
        return {"orderId": order_id, "executionArn": first["executionArn"], "replayed": True}

    def _described(self, order_id: str, *, exists: bool = False) -> DescribeExecutionOutputTypeDef | None:
        """DescribeExecution of the order's execution (POST and GET alike), or None: there is none, none visible yet,
        or it cannot be described. Express executions cannot: with the type configured, Express is not asked, unless
        StartExecution has just answered that the execution `exists` (so the state machine is Standard's)."""
        if self.workflow_type() == EXPRESS and not exists:
            return None
        try:
            with self._calling("DescribeExecution"):
                return self.sfn.describe_execution(executionArn=self.execution_arn(order_id))
        except ClientError as e:
            code = e.response.get("Error", {}).get("Code", "")
            if code in _NOT_DESCRIBED:
                return None
            if code in _THROTTLED:
                raise DependencyUnavailable(f"DescribeExecution answered {code}") from e
            raise

    def _accepted(self, order_id: str, *, replayed: bool) -> Response:
        location = f"/orders/{order_id}"
        headers = {"location": location}
        if replayed:
            headers["idempotent-replayed"] = "true"
        body = {"orderId": order_id, "status": OrderStatus.PENDING.value, "links": {"self": location}}
        return Response(202, body, headers)

    # GET /orders/{orderId}

    def read(self, order_id: str, caller: str) -> Response:
        not_found = problem(404, "Not Found", "no such order")
        if not is_order_id(order_id):
            return not_found
        observability.append(order_id=order_id)
        with self._calling("read the order"):
            record = self.store.get(order_id)
        if record is not None:
            # Another caller's order is answered exactly as a missing one: its existence is not revealed either.
            return Response(200, public_order(record)) if record.get("owner") == caller else not_found
        pending = self._from_execution(order_id, caller)
        return Response(200, pending) if pending is not None else not_found

    def _from_execution(self, order_id: str, caller: str) -> dict[str, Any] | None:
        """Before CreateOrder writes the order (or when validation failed first), the execution tells its status. On
        Express, whose executions cannot be described, the table is the record."""
        execution = self._described(order_id)
        if execution is None:
            return None
        try:
            started_by = json.loads(execution.get("input") or "{}").get("owner")
        except (ValueError, AttributeError):
            started_by = None
        if started_by != caller:
            return None
        started = iso(execution["startDate"])
        body: dict[str, Any] = {
            "orderId": order_id,
            "status": OrderStatus.PENDING.value,
            "history": [{"status": OrderStatus.PENDING.value, "at": started}],
        }
        if execution["status"] != "RUNNING":
            stopped = execution.get("stopDate")
            body["status"] = OrderStatus.FAILED.value
            body["history"].append({"status": OrderStatus.FAILED.value, "at": iso(stopped) if stopped else started})
            body["failure"] = public_failure(
                {"error": execution.get("error", execution["status"]), "cause": execution.get("cause")}
            )
        return body

    def execution_arn(self, order_id: str) -> str:
        return execution_arn(self.state_machine_arn, order_id)  # through an alias or a version too


def public_order(record: dict[str, Any]) -> dict[str, Any]:
    """The order as its owner sees it: amounts as decimal strings in the currency's minor units (DynamoDB keeps
    numbers normalized, so 12.50 comes back as 12.5, and 12.00 as the integer 12), and no internals."""
    body = {k: record[k] for k in _PUBLIC_FIELDS if k in record}
    currency = str(record.get("currency", ""))
    if isinstance(record.get("items"), list):
        body["items"] = []
        for item in record["items"]:
            price = Money(Decimal(str(item["unitPrice"])), currency)
            quantity = int(item["quantity"])
            body["items"].append(
                {
                    "sku": item["sku"],
                    "quantity": quantity,
                    "unitPrice": price.wire(),
                    "lineTotal": price.times(quantity).wire(),
                }
            )
    if "total" in record:
        body["total"] = Money(Decimal(str(record["total"])), currency).wire()
    if isinstance(record.get("failure"), dict):
        body["failure"] = public_failure(record["failure"])
    return body


def public_failure(failure: dict[str, Any]) -> dict[str, str]:
    """Why an order failed, as far as it is the client's business: a rule its input broke, with the reason; for
    anything else, that it failed and was alerted (the cause may name internals: ARNs, tables, account ids)."""
    error = str(failure.get("error") or "")
    # A cause is shown when its error class says it is the client's own input; any other failure is an operator's
    # matter (and was alerted): its cause may name internals.
    shown_to_customer = (cls := declared(error)) is not None and cls.shown_to_customer
    shown = {"error": error, "cause": readable_cause(failure.get("cause")) if shown_to_customer else ""}
    if not shown["cause"]:
        shown["cause"] = INTERNAL_FAILURE
    if failure.get("state"):
        shown = {"state": str(failure["state"]), **shown}
    return shown
