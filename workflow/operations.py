"""Operator tools, the same against the local system and AWS (workflow.targets): what is parked in the dead-letter
queues and moving it back, and what the executions did.

- The order DLQ holds order messages the worker gave up on; the alert DLQ, alerts the AlertHandler could not deliver
  (Slack down), each after its queue's maxReceiveCount. Redrive moves them back to the queue they came from: SQS
  StartMessageMoveTask on AWS; moto has no message-move tasks, so locally (and for chosen messages anywhere) each
  message is sent back and only then deleted, so nothing is lost on the way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from handlers.domain.alerts import readable_cause
from workflow.targets import Target, TargetError

# DLQ -> (its output, the output of the queue it drains back into)
QUEUES = {"orders": ("OrderDlqUrl", "OrderQueueUrl"), "alerts": ("AlertDlqUrl", "AlertQueueUrl")}
PEEK_ROUNDS = 20


@dataclass(frozen=True)
class Parked:
    queue: str
    message_id: str
    sent_at: str
    receive_count: int
    order_id: str | None
    reason: str
    body: str
    receipt: str = field(repr=False, compare=False)
    attributes: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "queue": self.queue,
            "messageId": self.message_id,
            "sentAt": self.sent_at,
            "receiveCount": self.receive_count,
            "orderId": self.order_id,
            "reason": self.reason,
        }


def _queue_url(target: Target, queue: str) -> str:
    if queue not in QUEUES:
        raise TargetError(f"unknown DLQ {queue!r}: use one of {', '.join(QUEUES)}")
    return target.output(QUEUES[queue][0])


def _describe(queue: str, body: str) -> tuple[str | None, str]:
    """The order a parked message is about, and why it was parked (as far as the message tells)."""
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        return None, "not JSON"
    if not isinstance(data, dict):
        return None, "not a JSON object"
    if queue == "orders":
        order_id = data.get("orderId")
        return (str(order_id) if order_id else None), "the worker gave up after repeated failures"
    subject = data.get("orderId") or data.get("AlarmName")
    return (str(subject) if subject else None), "not delivered to every alert target (see the AlertHandler logs)"


def _collect(target: Target, url: str, queue: str, limit: int, hide_for: int) -> list[Parked]:
    """Receive every message (up to `limit`), each hidden for `hide_for` seconds so the next receive returns
    others: with a visibility timeout of 0, SQS (and moto) hand out the same few messages again and again."""
    sqs = target.client("sqs")
    wait = 1 if target.name == "aws" else 0  # long polling asks every SQS server, not a sample
    seen: dict[str, Parked] = {}
    for _ in range(limit // 10 + PEEK_ROUNDS):
        received = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            VisibilityTimeout=hide_for,
            WaitTimeSeconds=wait,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        ).get("Messages", [])
        for message in received:
            attributes = message.get("Attributes", {})
            sent = attributes.get("SentTimestamp")
            order_id, reason = _describe(queue, message["Body"])
            seen[message["MessageId"]] = Parked(
                queue=queue,
                message_id=message["MessageId"],
                sent_at=datetime.fromtimestamp(int(sent) / 1000, UTC).isoformat() if sent else "",
                receive_count=int(attributes.get("ApproximateReceiveCount", 0)),
                order_id=order_id,
                reason=reason,
                body=message["Body"],
                receipt=message["ReceiptHandle"],
                attributes=message.get("MessageAttributes", {}),
            )
        if not received or len(seen) >= limit:
            break
    return sorted(seen.values(), key=lambda p: p.sent_at)


def _release(target: Target, url: str, parked: Iterable[Parked]) -> None:
    sqs = target.client("sqs")
    for message in parked:
        sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=message.receipt, VisibilityTimeout=0)


def peek(target: Target, queue: str, limit: int = 100) -> list[Parked]:
    """The messages in a DLQ, left in place (visible again as soon as they are read; each read counts as a
    receive, as it does on AWS)."""
    url = _queue_url(target, queue)
    parked = _collect(target, url, queue, limit, hide_for=30)
    _release(target, url, parked)
    return parked[:limit]


@dataclass(frozen=True)
class Redriven:
    moved: list[str]
    how: str  # "message move task <handle>" | "sent back to the ... queue"
    skipped: list[str] = field(default_factory=list)


def redrive(target: Target, queue: str, message_ids: Iterable[str] = ()) -> Redriven:
    wanted = set(message_ids)
    sqs = target.client("sqs")
    url = _queue_url(target, queue)
    if not wanted and target.name == "aws":
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        task = sqs.start_message_move_task(SourceArn=arn)  # back to the queue each message came from
        return Redriven(moved=[], how=f"message move task {task['TaskHandle']}")
    # Everything is taken (hidden) first, so no one else redrives it meanwhile; each message is put back where it
    # belongs and only then deleted; the ones not asked for are made visible again.
    taken = _collect(target, url, queue, limit=100_000, hide_for=120)
    chosen = [p for p in taken if not wanted or p.message_id in wanted]
    _release(target, url, [p for p in taken if p not in chosen])
    source = target.output(QUEUES[queue][1])
    for message in chosen:
        sqs.send_message(QueueUrl=source, MessageBody=message.body, MessageAttributes=message.attributes)
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message.receipt)
    missing = sorted(wanted - {p.message_id for p in chosen})
    return Redriven(moved=[p.message_id for p in chosen], how=f"sent back to the {queue} queue", skipped=missing)


# Executions


@dataclass(frozen=True)
class ExecutionSummary:
    order_id: str
    status: str
    started: str
    stopped: str
    arn: str
    error: str = ""
    cause: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "orderId": self.order_id,
            "status": self.status,
            "started": self.started,
            "stopped": self.stopped,
            "error": self.error,
            "cause": self.cause,
            "executionArn": self.arn,
        }


def executions(target: Target, status: str | None = None, limit: int = 20) -> list[ExecutionSummary]:
    """The newest executions (optionally of one status), with why each failed one failed."""
    sfn = target.client("stepfunctions")
    arguments: dict[str, Any] = {"stateMachineArn": target.output("StateMachineArn"), "maxResults": min(limit, 1000)}
    if status:
        arguments["statusFilter"] = status.upper()
    listed = sfn.list_executions(**arguments)["executions"][:limit]
    summaries = []
    for execution in listed:
        error = cause = ""
        if execution["status"] == "FAILED":
            error, cause = _failure(sfn, execution["executionArn"])
        summaries.append(
            ExecutionSummary(
                order_id=execution["name"],
                status=execution["status"],
                started=_iso(execution.get("startDate")),
                stopped=_iso(execution.get("stopDate")),
                arn=execution["executionArn"],
                error=error,
                cause=cause,
            )
        )
    return summaries


def _failure(sfn: Any, execution_arn: str) -> tuple[str, str]:
    """What the order failed on: the workflow records it in its input to the Fail state ($.failure)."""
    history = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
    for event in history:
        details = event.get("stateEnteredEventDetails")
        if details and details.get("input"):
            failure = json.loads(details["input"]).get("failure")
            if isinstance(failure, dict) and failure.get("state") and isinstance(failure.get("error"), dict):
                caught = failure["error"]
                return f"{failure['state']}: {caught.get('Error', '?')}", _readable(caught.get("Cause"))
    described = sfn.describe_execution(executionArn=execution_arn)
    return str(described.get("error", "")), _readable(described.get("cause"))


def _readable(cause: Any) -> str:
    return readable_cause(cause)[:300]


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    return str(value or "")


# Redriving a failed order


class RedriveRefused(TargetError):
    """The order cannot be redriven; the message says why and what to do instead."""


def redrive_order(target: Target, order_id: str) -> str:
    """Run a FAILED order again, after its cause is fixed: a new execution of the same order (same input), which
    takes the order over (REDRIVING -> CREATED) and carries it on. Returns the new execution's ARN.

    Not for orders that failed validation: their input is the cause; submit a corrected order with a new key.
    (Step Functions' own RedriveExecution would resume at the failed state, which for this workflow is the final
    Fail state after the failure was recorded and alerted.)
    """
    from handlers.adapters.orders_store import OrdersStore
    from handlers.domain.errors import InvalidTransitionError
    from handlers.domain.order import OrderStatus

    store = OrdersStore(
        target.client("dynamodb"), target.output("OrdersTableName"), target.output("IdempotencyTableName")
    )
    order = store.get(order_id)
    if order is None:
        raise RedriveRefused(f"no order {order_id} in {target.where}")
    if order.get("status") != OrderStatus.FAILED.value:
        raise RedriveRefused(f"order {order_id} is {order.get('status')}; only a FAILED order is redriven")
    if (order.get("failure") or {}).get("error") == "OrderValidationError":
        raise RedriveRefused(
            f"order {order_id} failed validation: its input is the cause; submit a corrected order with a new key"
        )
    sfn = target.client("stepfunctions")
    first = sfn.describe_execution(executionArn=order["executionArn"])
    attempt = 1 + sum(1 for entry in order.get("history", []) if entry.get("status") == OrderStatus.REDRIVING.value)
    try:
        store.transition(order_id, [OrderStatus.FAILED], OrderStatus.REDRIVING, datetime.now(UTC))
    except InvalidTransitionError as e:
        raise RedriveRefused(f"order {order_id} is being redriven already: {e}") from None
    # On AWS through the live alias, as the API starts them; moto cannot start through an alias.
    machine = target.output("LiveAliasArn") if target.name == "aws" else target.output("StateMachineArn")
    try:
        started = sfn.start_execution(
            stateMachineArn=machine, name=f"{order_id}-redrive-{attempt}", input=first["input"]
        )
    except Exception:
        # Nothing will take the order over: put it back, so it can be redriven again.
        store.transition(order_id, [OrderStatus.REDRIVING], OrderStatus.FAILED, datetime.now(UTC))
        raise
    return str(started["executionArn"])
