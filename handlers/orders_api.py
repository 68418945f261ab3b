"""The HTTP API behind StartWorkflow: POST /orders starts an execution, GET /orders/{orderId} reads an order.

The execution is named after the order id, and the order id is derived from the Idempotency-Key, so one key can
never start two Standard executions: a second POST finds the first execution and replays its answer.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from handlers import observability
from handlers.alerts import readable_cause
from handlers.clock import iso, now
from handlers.domain import OrderStatus, order_id_for_key, parse_order, request_hash, validate_idempotency_key
from handlers.errors import OrderStoreUnavailable, OrderValidationError
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


@dataclass(frozen=True)
class OrdersApi:
    sfn: SFNClient
    store: OrdersStore
    state_machine_arn: str

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

        order_id = order_id_for_key(key)
        fingerprint = request_hash(payload)
        observability.append(order_id=order_id)
        execution_input = {
            "orderId": order_id,
            "idempotencyKey": key,
            "requestHash": fingerprint,
            "correlationId": correlation_id,
            "submittedAt": iso(now()),
            "order": order.to_dict(),
        }
        try:
            started = self.sfn.start_execution(
                stateMachineArn=self.state_machine_arn, name=order_id, input=json.dumps(execution_input)
            )
        except ClientError as e:
            code = e.response.get("Error", {}).get("Code", "")
            if code == "ExecutionAlreadyExists":
                return self._replay(order_id, fingerprint)
            if code in _THROTTLED:
                return problem(503, "Service Unavailable", "try again shortly", headers={"retry-after": "1"})
            raise
        observability.logger.info("order accepted", extra={"execution_arn": started["executionArn"]})
        return self._accepted(order_id, started["executionArn"], replayed=False)

    def _replay(self, order_id: str, fingerprint: str) -> Response:
        execution_arn = self.execution_arn(order_id)
        first = self.sfn.describe_execution(executionArn=execution_arn)
        first_input = json.loads(first.get("input") or "{}")
        if first_input.get("requestHash") != fingerprint:
            raise BadRequest(
                422,
                "Unprocessable Content",
                "this Idempotency-Key was already used with a different request body",
            )
        observability.logger.info("idempotent replay", extra={"execution_arn": execution_arn})
        return self._accepted(order_id, execution_arn, replayed=True)

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
            if e.response.get("Error", {}).get("Code") in {"ExecutionDoesNotExist", "InvalidArn"}:
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
