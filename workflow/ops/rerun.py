"""Running a FAILED order again after its cause is fixed (`orderflow rerun`): a new execution of the same order.

Not to be confused with a DLQ redrive (workflow.ops.dlq), which moves parked messages back to their queue.
"""

from __future__ import annotations

from datetime import UTC, datetime

from handlers.adapters.orders_store import OrdersStore
from handlers.domain.errors import InvalidTransitionError
from handlers.domain.order import OrderStatus
from workflow.ops.targets import Target, TargetError


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
    if (order.get("failure") or {}).get("error") == "OrderValidationError":
        raise RerunRefused(
            f"order {order_id} failed validation: its input is the cause; submit a corrected order with a new key"
        )
    sfn = target.client("stepfunctions")
    first = sfn.describe_execution(executionArn=order["executionArn"])
    attempt = 1 + sum(1 for entry in order.get("history", []) if entry.get("status") == OrderStatus.REDRIVING.value)
    try:
        store.transition(order_id, [OrderStatus.FAILED], OrderStatus.REDRIVING, datetime.now(UTC))
    except InvalidTransitionError as e:
        raise RerunRefused(f"order {order_id} is being run again already: {e}") from None
    try:
        # Through the live alias, as the API starts executions (the target resolves it where that cannot be done).
        started = sfn.start_execution(
            stateMachineArn=target.output("LiveAliasArn"), name=f"{order_id}-redrive-{attempt}", input=first["input"]
        )
    except Exception:
        # Nothing will take the order over: put it back, so it can be run again.
        store.transition(order_id, [OrderStatus.REDRIVING], OrderStatus.FAILED, datetime.now(UTC))
        raise
    return str(started["executionArn"])
