"""Running a FAILED order again after its cause is fixed (`orderflow rerun`): a new execution of the same order.

Serves both workflow types: the new execution's input is rebuilt from the orders table, which holds what a rerun
needs (the order CreateOrder wrote, its owner, key, request hash, correlation id and submission time), so no
execution has to be described (Express executions cannot be). An order that failed before CreateOrder wrote it
holds only its failure: on Standard its first execution's input is read instead; on Express that input is gone.

Not to be confused with a DLQ redrive (workflow.ops.dlq), which moves parked messages back to their queue.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from handlers.adapters.orders_store import OrdersStore
from handlers.arns import is_express_arn
from handlers.domain.errors import BUSINESS, InvalidTransitionError, OrderValidationError, failure_of
from handlers.domain.order import OrderStatus, order_payload
from handlers.domain.order_input import order_of_record
from workflow.ops.targets import Target, TargetError

# The order's identity in its execution's input, as the orders table keeps it under the same names.
IDENTITY = ("idempotencyKey", "requestHash", "owner", "correlationId")


class RerunRefused(TargetError):
    """The order cannot be run again; the message says why and what to do instead."""


def rerun_order(target: Target, order_id: str) -> str:
    """Run a FAILED order again, after its cause is fixed: a new execution of the same order (same input), which
    takes the order over (REDRIVING -> CREATED) and carries it on. Returns the new execution's ARN.

    Not for orders that failed validation: their input is the cause; submit a corrected order with a new key.
    (Step Functions' own RedriveExecution would resume at the failed state, which for this workflow is the final
    Fail state after the failure was recorded and alerted.)
    """
    store = OrdersStore(
        target.client("dynamodb"), target.output("OrdersTableName"), target.output("IdempotencyTableName")
    )
    order = store.get(order_id)
    if order is None:
        raise RerunRefused(f"no order {order_id} in {target.where}")
    if order.get("status") != OrderStatus.FAILED.value:
        raise RerunRefused(f"order {order_id} is {order.get('status')}; only a FAILED order is run again")
    error = str((order.get("failure") or {}).get("error") or "")
    if failure_of(error) == BUSINESS:
        raise RerunRefused(
            f"order {order_id} failed with {error}, a business failure: its input or state is the cause, and running "
            "it again cannot help; submit a corrected order with a new key"
        )
    sfn = target.client("stepfunctions")
    execution_input = json.dumps(rebuilt_input(sfn, order_id, order))
    attempt = 1 + sum(1 for entry in order.get("history", []) if entry.get("status") == OrderStatus.REDRIVING.value)
    try:
        store.transition(order_id, [OrderStatus.FAILED], OrderStatus.REDRIVING, datetime.now(UTC))
    except InvalidTransitionError as e:
        raise RerunRefused(f"order {order_id} is being run again already: {e}") from None
    try:
        # Through the live alias, as the API starts executions (the target resolves it where that cannot be done).
        started = sfn.start_execution(
            stateMachineArn=target.output("LiveAliasArn"), name=f"{order_id}-redrive-{attempt}", input=execution_input
        )
    except Exception:
        # Nothing will take the order over: put it back, so it can be run again.
        store.transition(order_id, [OrderStatus.REDRIVING], OrderStatus.FAILED, datetime.now(UTC))
        raise
    return str(started["executionArn"])


def rebuilt_input(sfn: Any, order_id: str, order: Mapping[str, Any]) -> dict[str, Any]:
    """The input the order's first execution started with, rebuilt from its record."""
    try:
        stored = order_of_record(order)
    except OrderValidationError as e:
        raise RerunRefused(f"order {order_id}'s stored order no longer passes the input rules: {e}") from None
    missing = [field for field in IDENTITY if not order.get(field)]
    submitted = next((h.get("at") for h in order.get("history", []) if h.get("status") == OrderStatus.PENDING), None)
    if stored is not None and not missing and submitted:
        return {
            "orderId": order_id,
            **{field: order[field] for field in IDENTITY},
            "submittedAt": submitted,
            **order_payload(stored),
        }
    arn = str(order.get("executionArn", ""))
    if is_express_arn(arn) or not arn:
        raise RerunRefused(
            f"order {order_id} failed before CreateOrder wrote it, so the orders table does not hold the order, and "
            "its Express execution's input is not kept: submit the order again with a new Idempotency-Key"
        )
    first: dict[str, Any] = json.loads(sfn.describe_execution(executionArn=arn)["input"])
    return first
