"""The HTTP API behind StartWorkflow: POST /orders starts an execution, GET /orders/{orderId} reads an order.

The Idempotency-Key contract (Stripe; the IETF Idempotency-Key draft), in two layers:

1. Powertools idempotency records each POST under its key for 24 hours (DynamoDB, the expiry compared in the
   conditional write): the same key and body again -> the first response replayed (`Idempotent-Replayed: true`);
   another body -> 422; while the first request is still in flight -> 409 with Retry-After. A record left
   IN_PROGRESS by an invocation that died expires with that invocation's own timeout, then a retry takes over.
2. Inside it, the key reserves an order id for its 24 hours (OrdersStore.reserve). The execution is named after the
   order id, so whatever path a retry takes (a crash after StartExecution, a lost record), one key never starts two
   executions: StartExecution answers ExecutionAlreadyExists and the first execution is replayed. A key reused after
   its 24 hours reserves a new order id: a new order.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig, idempotent_function
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyPersistenceLayerError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.idempotency.persistence.base import BasePersistenceLayer
from aws_lambda_powertools.utilities.idempotency.persistence.datarecord import DataRecord
from botocore.exceptions import ClientError

from handlers import observability
from handlers.alerts import readable_cause
from handlers.clock import iso, now
from handlers.domain import OrderStatus, new_order_id, parse_order, request_hash, validate_idempotency_key
from handlers.errors import IdempotencyConflictError, OrderStoreUnavailable, OrderValidationError, TransientError
from handlers.http import BadRequest, Request, Response, problem
from handlers.orders_store import OrdersStore

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

_THROTTLED = frozenset({"ThrottlingException", "TooManyRequestsException", "ServiceUnavailable"})
_PUBLIC_FIELDS = (
    "orderId",
    "status",
    "customerId",
    "currency",
    "items",
    "total",
    "email",
    "shippingAddress",
    "history",
    "failure",
    "executionArn",
    "correlationId",
    "createdAt",
    "updatedAt",
)


KEY_TTL_SECONDS = 24 * 3600
RETRY_IN_FLIGHT_SECONDS = 1


class StartExecutionBusy(TransientError):
    """Step Functions throttled StartExecution: the client may retry (503), the idempotency record is released."""


def _mark_replayed(response: Any, idempotent_data: DataRecord) -> Any:
    # Powertools calls this when it answers from a stored record instead of running the request again.
    return {**response, "replayed": True} if isinstance(response, dict) else response


@dataclass(frozen=True)
class OrdersApi:
    sfn: SFNClient
    store: OrdersStore
    state_machine_arn: str
    requests: BasePersistenceLayer | None = None  # Powertools' record of POSTs; None only in unit tests of GET
    key_ttl_seconds: int = KEY_TTL_SECONDS
    config: IdempotencyConfig = field(init=False)

    def __post_init__(self) -> None:
        config = IdempotencyConfig(
            event_key_jmespath="idempotencyKey",
            payload_validation_jmespath="requestHash",
            raise_on_no_idempotency_key=True,
            expires_after_seconds=self.key_ttl_seconds,
            response_hook=_mark_replayed,
        )
        object.__setattr__(self, "config", config)
        if self.requests is not None:
            accept = idempotent_function(
                self._accept,
                data_keyword_argument="submission",
                persistence_store=self.requests,
                config=config,
                key_prefix="orderflow#POST /orders",
            )
            object.__setattr__(self, "_accept_once", accept)

    def register_context(self, context: Any) -> None:
        """With the invocation's deadline, an IN_PROGRESS record of a request that dies expires with it."""
        if context is not None and hasattr(context, "get_remaining_time_in_millis"):
            self.config.register_lambda_context(context)

    def handle(self, request: Request) -> Response:
        correlation_id = request.header("x-correlation-id") or request.request_id or str(uuid.uuid4())
        observability.append(correlation_id=correlation_id)
        try:
            if request.route_key == "POST /orders":
                response = self.submit(request, correlation_id)
            elif request.route_key == "GET /orders/{orderId}":
                response = self.read(request.path_parameters.get("orderId", ""))
            else:
                response = problem(404, "Not Found", f"no route for {request.method} {request.path}")
        except BadRequest as e:
            observability.logger.info("request refused", extra={"status": e.status, "detail": e.detail})
            response = e.response()
        except OrderStoreUnavailable as e:
            observability.logger.warning("order store unavailable", extra={"detail": str(e)})
            response = problem(503, "Service Unavailable", "try again shortly", headers={"retry-after": "1"})
        return Response(
            response.status,
            response.body,
            {**response.headers, "x-correlation-id": correlation_id},
            response.content_type,
        )

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
        # Keys are the caller's own (Stripe scopes them per account): another caller's same key is another order.
        scoped_key = key if request.caller is None else f"{request.caller}|{key}"
        submission = {
            "idempotencyKey": scoped_key,
            "requestHash": request_hash(payload),
            "correlationId": correlation_id,
            "submittedAt": iso(now()),
            "order": order.to_dict(),
        }
        try:
            accepted = self._accept_once(submission=submission)
        except IdempotencyAlreadyInProgressError:
            return problem(
                409,
                "Conflict",
                "a request with this Idempotency-Key is still being processed; retry after it finished",
                headers={"retry-after": str(RETRY_IN_FLIGHT_SECONDS)},
            )
        except (IdempotencyValidationError, IdempotencyConflictError) as e:
            raise BadRequest(
                422, "Unprocessable Content", "this Idempotency-Key was already used with a different request body"
            ) from e
        except (IdempotencyPersistenceLayerError, TransientError) as e:
            observability.logger.warning("POST /orders could not be recorded", extra={"reason": str(e)})
            return problem(503, "Service Unavailable", "try again shortly", headers={"retry-after": "1"})
        return self._accepted(accepted["orderId"], accepted["executionArn"], replayed=bool(accepted.get("replayed")))

    def _accept_once(self, *, submission: dict[str, Any]) -> dict[str, Any]:
        raise RuntimeError("OrdersApi was built without its idempotency record store (requests=)")

    def _accept(self, submission: dict[str, Any]) -> dict[str, Any]:
        """Runs once per key and window (Powertools); its result is what a replay answers."""
        key, fingerprint = submission["idempotencyKey"], submission["requestHash"]
        order_id = self.store.reserve(key, fingerprint, new_order_id(), now())
        observability.append(order_id=order_id)
        execution_input = {"orderId": order_id, **submission}
        try:
            started = self.sfn.start_execution(
                stateMachineArn=self.state_machine_arn, name=order_id, input=json.dumps(execution_input)
            )
        except ClientError as e:
            code = e.response.get("Error", {}).get("Code", "")
            if code == "ExecutionAlreadyExists":
                return self._replay(order_id, fingerprint)
            if code in _THROTTLED:
                raise StartExecutionBusy(f"StartExecution answered {code}") from e
            raise
        observability.logger.info("order accepted", extra={"execution_arn": started["executionArn"]})
        return {"orderId": order_id, "executionArn": started["executionArn"]}

    def _replay(self, order_id: str, fingerprint: str) -> dict[str, Any]:
        """The key's execution already started (an earlier attempt died after StartExecution): answer with it."""
        execution_arn = self.execution_arn(order_id)
        first = self.sfn.describe_execution(executionArn=execution_arn)
        first_input = json.loads(first.get("input") or "{}")
        if first_input.get("requestHash") != fingerprint:
            raise IdempotencyConflictError(f"execution {order_id} was started by another request")
        observability.logger.info("idempotent replay", extra={"execution_arn": execution_arn})
        return {"orderId": order_id, "executionArn": execution_arn, "replayed": True}

    def _accepted(self, order_id: str, execution_arn: str, *, replayed: bool) -> Response:
        location = f"/orders/{order_id}"
        headers = {"location": location}
        if replayed:
            headers["idempotent-replayed"] = "true"
        body = {
            "orderId": order_id,
            "status": OrderStatus.PENDING.value,
            "executionArn": execution_arn,
            "links": {"self": location},
        }
        return Response(202, body, headers)

    # GET /orders/{orderId}

    def read(self, order_id: str) -> Response:
        observability.append(order_id=order_id)
        if not order_id.startswith("ord_"):
            return problem(404, "Not Found", f"no order {order_id}")
        record = self.store.get(order_id)
        if record is not None:
            body = {k: record[k] for k in _PUBLIC_FIELDS if k in record}
            if isinstance(body.get("failure"), dict):
                # The stored cause is the Lambda runtime's error document; clients get its message only.
                body["failure"] = {**body["failure"], "cause": readable_cause(body["failure"].get("cause"))}
            return Response(200, body)
        pending = self._from_execution(order_id)
        if pending is not None:
            return Response(200, pending)
        return problem(404, "Not Found", f"no order {order_id}")

    def _from_execution(self, order_id: str) -> dict[str, Any] | None:
        """Before CreateOrder writes the order (or when validation failed first), the execution tells its status."""
        arn = self.execution_arn(order_id)
        try:
            execution = self.sfn.describe_execution(executionArn=arn)
        except ClientError as e:
            # Express executions cannot be described (StateMachineTypeNotSupported): the table is the record.
            if e.response.get("Error", {}).get("Code") in {
                "ExecutionDoesNotExist",
                "InvalidArn",
                "StateMachineTypeNotSupported",
            }:
                return None
            raise
        started = iso(execution["startDate"])
        body: dict[str, Any] = {
            "orderId": order_id,
            "status": OrderStatus.PENDING.value,
            "history": [{"status": OrderStatus.PENDING.value, "at": started}],
            "executionArn": arn,
        }
        if execution["status"] != "RUNNING":
            stopped = execution.get("stopDate")
            body["status"] = OrderStatus.FAILED.value
            body["history"].append({"status": OrderStatus.FAILED.value, "at": iso(stopped) if stopped else started})
            body["failure"] = {
                "error": execution.get("error", execution["status"]),
                "cause": readable_cause(execution.get("cause")),
            }
        return body

    def execution_arn(self, order_id: str) -> str:
        # Executions started through an alias or a version (`...:stateMachine:name:live`) belong to the state
        # machine itself: `...:execution:name:<execution name>`.
        prefix, _, qualified = self.state_machine_arn.rpartition(":stateMachine:")
        name = qualified.split(":", 1)[0]
        return f"{prefix}:execution:{name}:{order_id}"
