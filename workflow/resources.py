"""What the manifest (workflow.manifest) is made of: references to resources (resolved per target: the local
runtime's moto names, CDK's tokens), the resources themselves (tables and their indexes, queues and their DLQs,
topics, secrets), a function's triggers and the AWS access it is granted (infra/permissions.py turns that into IAM),
and `Manifest`, which checks itself when it is made (`ManifestError`): every name it refers to exists, every index
a function queries exists, every DLQ has its alarm, and a queue's visibility timeout covers its consumer.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TypeVar

# The alias callers start executions through (the same on AWS and locally).
LIVE_ALIAS = "live"

# SQS redelivers a message whose consumer is still running once its visibility timeout ends: AWS recommends at least
# six times the consumer function's timeout.
VISIBILITY_PER_FUNCTION_TIMEOUT = 6


# References, resolved per target.
@dataclass(frozen=True)
class TableName:
    table: str


@dataclass(frozen=True)
class IndexName:
    """An index's name, as the function that queries it must know it (the same locally and on AWS)."""

    table: str
    index: str


@dataclass(frozen=True)
class QueueUrl:
    queue: str


@dataclass(frozen=True)
class QueueArn:
    queue: str


@dataclass(frozen=True)
class TopicArn:
    topic: str


@dataclass(frozen=True)
class FunctionArn:
    function: str


@dataclass(frozen=True)
class SecretArn:
    secret: str


@dataclass(frozen=True)
class StateMachineArn:
    """The state machine, or with `alias` the alias that callers start executions through (CDK resolves the alias;
    moto cannot start executions through an alias, so the local runtime resolves the state machine itself, whose
    definition is the one the alias's latest version holds)."""

    alias: str | None = None


@dataclass(frozen=True)
class Partition:
    pass


@dataclass(frozen=True)
class WorkflowType:
    """The state machine's type as deployed, STANDARD or EXPRESS (the stack's workflowType, the runtime's)."""


@dataclass(frozen=True)
class Setting:
    """A value the operator provides (e.g. the Slack webhook); absent means the feature is off."""

    name: str


Ref = (
    TableName
    | IndexName
    | QueueUrl
    | QueueArn
    | TopicArn
    | FunctionArn
    | SecretArn
    | StateMachineArn
    | Partition
    | WorkflowType
    | Setting
)


@dataclass(frozen=True)
class Index:
    """A global secondary index (projecting the keys, and `projected`). Sparse: an item without its keys is not in it,
    so an index of what is still open costs nothing for what is done. Each write that changes an item's entry is a
    write of the index too, billed as one (workflow.harness.meter counts them)."""

    name: str
    partition_key: str
    sort_key: str
    # Attributes copied into the index besides the keys, so a query answers without reading the table.
    projected: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    name: str
    partition_key: str
    ttl_attribute: str | None = None
    indexes: tuple[Index, ...] = ()


@dataclass(frozen=True)
class DlqAlarm:
    """What it means that a dead-letter queue holds messages: on AWS, the CloudWatch alarm of that name."""

    name: str
    description: str
    # Why a message is in that DLQ, as `orderflow dlq list` says it of each one.
    parked_reason: str


@dataclass(frozen=True)
class Queue:
    name: str
    visibility_timeout: int = 30
    dead_letter_queue: str | None = None
    max_receive_count: int = 5
    retention_seconds: int = 4 * 24 * 3600
    # A topic this queue is subscribed to (raw message delivery: the message body is the published message).
    subscribes_to: str | None = None
    # Every dead-letter queue has one; no other queue does.
    alarm: DlqAlarm | None = None
    # A tick is sent to this queue every so many minutes (on AWS an EventBridge schedule, whose target's DLQ is this
    # queue's; locally a timer): a scheduled job runs as the queue's consumer, so a failed run is redelivered and
    # then parked in the DLQ like any message, with no asynchronous invocation that could drop it.
    tick_minutes: int | None = None


@dataclass(frozen=True)
class Topic:
    name: str


@dataclass(frozen=True)
class Secret:
    name: str
    description: str
    # Locally the runtime stores this operator setting's value in the secret; on AWS the operator puts the value.
    local_value_from: str


@dataclass(frozen=True)
class HttpRoutes:
    routes: tuple[str, ...]


@dataclass(frozen=True)
class QueueTrigger:
    queue: str
    batch_size: int = 10
    # Seconds the event source gathers messages before invoking (up to batch_size); 0: as soon as any arrive.
    batch_window: int = 0
    # At most this many invocations at once (0: Lambda decides); few, so a storm stays in few batches.
    max_concurrency: int = 0


Trigger = HttpRoutes | QueueTrigger


# What a function does on AWS beyond its own logs and traces: infra/ grants exactly this (infra/permissions.py turns it
# into IAM); its trigger (API, event source) grants itself.
@dataclass(frozen=True)
class TableAccess:
    table: str
    # DynamoDB operations, exactly the calls the code makes, e.g. ("GetItem", "UpdateItem").
    operations: tuple[str, ...]


@dataclass(frozen=True)
class QueryIndex:
    """Queries one index of a table (dynamodb:Query on that index alone)."""

    table: str
    index: str


@dataclass(frozen=True)
class PublishTo:
    topic: str


@dataclass(frozen=True)
class SendTo:
    queue: str


@dataclass(frozen=True)
class ReadSecret:
    secret: str


@dataclass(frozen=True)
class StartExecutions:
    """Starts executions of the state machine through this alias (and no other)."""

    alias: str = LIVE_ALIAS


@dataclass(frozen=True)
class SendEmail:
    """Sends e-mail through SES as the configured sender (ALERT_EMAIL_FROM): infra scopes it to that identity."""


@dataclass(frozen=True)
class DescribeExecutions:
    """Reads the state machine's executions (their names are known only at run time)."""


Access = TableAccess | QueryIndex | PublishTo | SendTo | ReadSecret | StartExecutions | DescribeExecutions | SendEmail


@dataclass(frozen=True)
class Function:
    name: str
    handler: str
    timeout: int = 10
    memory: int = 256
    environment: dict[str, Ref] = field(default_factory=dict)
    trigger: Trigger | None = None
    access: tuple[Access, ...] = ()
    # One invocation's billed duration on AWS, assumed (local durations are not AWS's): `orderflow cost` prices each
    # invocation an order makes with it, and refuses a function an order invokes that has none.
    billed_ms: float | None = None


class ManifestError(ValueError):
    """The manifest contradicts itself (a name it refers to is missing, or a timeout does not fit)."""


@dataclass(frozen=True)
class Manifest:
    tables: tuple[Table, ...]
    queues: tuple[Queue, ...]
    topics: tuple[Topic, ...]
    functions: tuple[Function, ...]
    secrets: tuple[Secret, ...]
    # ${Placeholder} in the compiled ASL -> what it stands for.
    substitutions: dict[str, Ref]
    # What operators and the CLI look up on a deployed system (CloudFormation outputs on AWS, the same keys locally).
    # Every substitution is an output too, so a scripted workflow update can fill the placeholders.
    outputs: dict[str, Ref] = field(default_factory=dict)
    live_alias: str = LIVE_ALIAS

    def __post_init__(self) -> None:
        problems = [
            *self._missing_names(),
            *self._index_problems(),
            *self._dead_letter_problems(),
            *self._visibility_problems(),
        ]
        if problems:
            raise ManifestError("; ".join(problems))

    def function(self, name: str) -> Function:
        return _one(self.functions, name, "function")

    def queue(self, name: str) -> Queue:
        return _one(self.queues, name, "queue")

    def table(self, name: str) -> Table:
        return _one(self.tables, name, "table")

    def topic(self, name: str) -> Topic:
        return _one(self.topics, name, "topic")

    def secret(self, name: str) -> Secret:
        return _one(self.secrets, name, "secret")

    def all_outputs(self) -> dict[str, Ref]:
        return {**self.substitutions, **self.outputs}

    def output_key(self, ref: Ref) -> str:
        """The output (a CloudFormation output on AWS, the same key locally) that holds ref's value."""
        for key, value in self.all_outputs().items():
            if value == ref:
                return key
        raise KeyError(f"no output holds {ref!r}")

    def dead_letter_queues(self) -> tuple[Queue, ...]:
        """The queues that hold other queues' failed messages, in manifest order."""
        named = {q.dead_letter_queue for q in self.queues}
        return tuple(q for q in self.queues if q.name in named)

    def source_queue(self, dead_letter_queue: str) -> Queue:
        """The queue whose failed messages this DLQ holds: where a redrive returns them."""
        for queue in self.queues:
            if queue.dead_letter_queue == dead_letter_queue:
                return queue
        raise KeyError(f"no queue of the manifest has the dead-letter queue {dead_letter_queue!r}")

    def consumers(self, queue: str) -> tuple[Function, ...]:
        """The functions a queue triggers."""
        return tuple(f for f in self.functions if isinstance(f.trigger, QueueTrigger) and f.trigger.queue == queue)

    def _missing_names(self) -> Iterator[str]:
        names = {
            "table": {t.name for t in self.tables},
            "queue": {q.name for q in self.queues},
            "topic": {t.name for t in self.topics},
            "function": {f.name for f in self.functions},
            "secret": {s.name for s in self.secrets},
            "alias": {self.live_alias},
        }
        refers: list[tuple[str, Ref | Access]] = []
        for queue in self.queues:
            if queue.dead_letter_queue:
                refers.append((f"queue {queue.name}", QueueUrl(queue.dead_letter_queue)))
            if queue.subscribes_to:
                refers.append((f"queue {queue.name}", TopicArn(queue.subscribes_to)))
        for function in self.functions:
            if isinstance(function.trigger, QueueTrigger):
                refers.append((f"function {function.name}'s trigger", QueueUrl(function.trigger.queue)))
            refers += [(f"function {function.name}'s {key}", ref) for key, ref in function.environment.items()]
            refers += [(f"function {function.name}'s access", access) for access in function.access]
        refers += [(f"substitution {key}", ref) for key, ref in self.substitutions.items()]
        refers += [(f"output {key}", ref) for key, ref in self.outputs.items()]
        for where, item in refers:
            kind, name = _names(item)
            if name is not None and name not in names[kind]:
                yield f"{where} names the {kind} {name!r}, which the manifest does not have"

    def _index_problems(self) -> Iterator[str]:
        indexes = {(t.name, i.name) for t in self.tables for i in t.indexes}
        tables = {t.name for t in self.tables}
        for function in self.functions:
            for access in function.access:
                if not isinstance(access, QueryIndex) or access.table not in tables:
                    continue  # a missing table is _missing_names' to say
                if (access.table, access.index) not in indexes:
                    yield f"function {function.name} queries an index {access.table} does not have: {access!r}"

    def _dead_letter_problems(self) -> Iterator[str]:
        dead_letter_queues = {q.name for q in self.dead_letter_queues()}
        for queue in self.queues:
            if queue.name in dead_letter_queues and queue.alarm is None:
                yield f"queue {queue.name} is a dead-letter queue without an alarm"
            if queue.name not in dead_letter_queues and queue.alarm is not None:
                yield f"queue {queue.name} has a DLQ alarm but is no queue's dead-letter queue"

    def _visibility_problems(self) -> Iterator[str]:
        for queue in self.queues:
            for consumer in self.consumers(queue.name):
                if queue.visibility_timeout < VISIBILITY_PER_FUNCTION_TIMEOUT * consumer.timeout:
                    yield (
                        f"queue {queue.name}: visibility timeout {queue.visibility_timeout}s is under "
                        f"{VISIBILITY_PER_FUNCTION_TIMEOUT}x {consumer.name}'s timeout ({consumer.timeout}s); "
                        "messages would be redelivered while still being processed"
                    )


def _names(item: Ref | Access) -> tuple[str, str | None]:
    """The kind and name of the resource a reference or an access names (no name: it names none)."""
    match item:
        case TableName(name) | TableAccess(name) | QueryIndex(name) | IndexName(name):
            return "table", name
        case QueueUrl(name) | QueueArn(name) | SendTo(name):
            return "queue", name
        case TopicArn(name) | PublishTo(name):
            return "topic", name
        case FunctionArn(name):
            return "function", name
        case SecretArn(name) | ReadSecret(name):
            return "secret", name
        case StateMachineArn(name) | StartExecutions(name):
            return "alias", name
    return "none", None


_Named = TypeVar("_Named", Table, Queue, Topic, Function, Secret)


def _one(items: tuple[_Named, ...], name: str, kind: str) -> _Named:
    for item in items:
        if item.name == name:
            return item
    raise KeyError(f"the manifest has no {kind} named {name!r}")
