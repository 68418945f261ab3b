"""What is parked in the dead-letter queues, and moving it back: the same against the local system and AWS
(workflow.ops.targets).

Every queue of the manifest with a dead-letter queue is one here, named after the queue it drains back into
(`orders`, `alerts`): the order DLQ holds order messages the worker gave up on; the alert DLQ, alerts the
AlertHandler could not deliver (Slack down), each after its queue's maxReceiveCount. `redrive_messages` moves them
back to the queue they came from: SQS StartMessageMoveTask on AWS; moto has no message-move tasks, so locally (and
for chosen messages anywhere) each message is sent back and only then deleted, so nothing is lost on the way.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from workflow.manifest import MANIFEST, Manifest, QueueUrl
from workflow.ops.targets import Target, TargetError

PEEK_ROUNDS = 20


@dataclass(frozen=True)
class DeadLetterQueue:
    queue: str  # the queue it drains back into; what operators call the DLQ
    dlq_output: str  # the output keys of both queues' URLs
    queue_output: str
    parked_reason: str  # why a message is in the DLQ (the manifest's words)


def dead_letter_queues(manifest: Manifest = MANIFEST) -> dict[str, DeadLetterQueue]:
    """Every queue with a dead-letter queue, by the queue's name: from the manifest, so a new one is served here,
    in the CLI's choices and in chaos without being listed again."""
    found = {}
    for dlq in manifest.dead_letter_queues():
        queue = manifest.source_queue(dlq.name)
        found[queue.name] = DeadLetterQueue(
            queue=queue.name,
            dlq_output=manifest.output_key(QueueUrl(dlq.name)),
            queue_output=manifest.output_key(QueueUrl(queue.name)),
            parked_reason=dlq.alarm.parked_reason if dlq.alarm else f"received {queue.max_receive_count} times",
        )
    return found


DEAD_LETTER_QUEUES = dead_letter_queues()


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


def _dlq(queue: str) -> DeadLetterQueue:
    if queue not in DEAD_LETTER_QUEUES:
        raise TargetError(f"unknown DLQ {queue!r}: use one of {', '.join(DEAD_LETTER_QUEUES)}")
    return DEAD_LETTER_QUEUES[queue]


def _describe(queue: str, body: str) -> tuple[str | None, str]:
    """What a parked message is about (an order, or an alarm), and why it was parked."""
    try:
        data = json.loads(body)
    except json.JSONDecodeError:
        return None, "not JSON"
    if not isinstance(data, dict):
        return None, "not a JSON object"
    subject = data.get("orderId") or data.get("AlarmName")
    return (str(subject) if subject else None), _dlq(queue).parked_reason


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
    url = target.output(_dlq(queue).dlq_output)
    parked = _collect(target, url, queue, limit, hide_for=30)
    _release(target, url, parked)
    return parked[:limit]


@dataclass(frozen=True)
class Redriven:
    moved: list[str]
    how: str  # "message move task <handle>" | "sent back to the ... queue"
    skipped: list[str] = field(default_factory=list)


def redrive_messages(target: Target, queue: str, message_ids: Iterable[str] = ()) -> Redriven:
    """Parked messages back to the queue they came from (all of them, or the ones named)."""
    wanted = set(message_ids)
    sqs = target.client("sqs")
    dlq = _dlq(queue)
    url = target.output(dlq.dlq_output)
    if not wanted and target.name == "aws":
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        task = sqs.start_message_move_task(SourceArn=arn)  # back to the queue each message came from
        return Redriven(moved=[], how=f"message move task {task['TaskHandle']}")
    # Everything is taken (hidden) first, so no one else redrives it meanwhile; each message is put back where it
    # belongs and only then deleted; the ones not asked for are made visible again.
    taken = _collect(target, url, queue, limit=100_000, hide_for=120)
    chosen = [p for p in taken if not wanted or p.message_id in wanted]
    _release(target, url, [p for p in taken if p not in chosen])
    source = target.output(dlq.queue_output)
    for message in chosen:
        sqs.send_message(QueueUrl=source, MessageBody=message.body, MessageAttributes=message.attributes)
        sqs.delete_message(QueueUrl=url, ReceiptHandle=message.receipt)
    missing = sorted(wanted - {p.message_id for p in chosen})
    return Redriven(moved=[p.message_id for p in chosen], how=f"sent back to the {queue} queue", skipped=missing)
