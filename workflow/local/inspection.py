"""Inspection: what a running local system answers about itself (executions, orders, queues), and the bounded waits
for them. A mixin of LocalRuntime (workflow.local.runtime), which starts the system these read.

Express executions are read from the engine (workflow.emulator.express): AWS refuses them to the API. Orders are
read from moto's backend: watching them costs the pipeline little, and no fault meant for the handlers meets them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from handlers.adapters.orders_store import order_from_item
from workflow.emulator import dynamodb, express
from workflow.local.config import RuntimeConfig
from workflow.local.waiting import Changes, poll_until
from workflow.ops.history import execution_arn, execution_history
from workflow.ops.local_names import ACCOUNT

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient

TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"})


class Inspection:
    # What the runtime provides (workflow.local.runtime).
    config: RuntimeConfig
    sfn: SFNClient
    sqs: SQSClient
    state_machine_arn: str
    queue_urls: dict[str, str]
    # Every successful write to an order, by its id: what waits for an order sleeps until its order is written.
    order_changes: Changes
    _orders_table: str

    @property
    def express(self) -> bool:
        return self.config.workflow_type == express.EXPRESS

    def describe_execution(self, execution_arn: str) -> dict[str, Any]:
        """DescribeExecution's answer, for Express executions too (read from the engine: the API refuses them)."""
        if not express.is_express_arn(execution_arn):
            return dict(self.sfn.describe_execution(executionArn=execution_arn))
        found = express.execution_by_arn(ACCOUNT, self.config.region, execution_arn)
        if found is None:
            raise LookupError(f"no execution {execution_arn}")
        return express.described(found)

    def execution_events(self, execution_arn: str) -> list[dict[str, Any]]:
        """Every event of an execution, for Express too (the engine's record: the API refuses them, and the log
        records hold only what the logging level keeps)."""
        if not express.is_express_arn(execution_arn):
            return execution_history(self.sfn, execution_arn)
        found = express.execution_by_arn(ACCOUNT, self.config.region, execution_arn)
        if found is None:
            raise LookupError(f"no execution {execution_arn}")
        return express.history(found)

    def running_executions(self) -> int:
        if self.express:
            return express.running(ACCOUNT, self.config.region)
        listed = self.sfn.list_executions(stateMachineArn=self.state_machine_arn, statusFilter="RUNNING", maxResults=1)
        return len(listed["executions"])

    def wait_for_execution(self, execution_arn: str, timeout: float = 30.0) -> dict[str, Any]:
        """The execution once it is terminal."""
        seen: dict[str, Any] = {}

        def terminal() -> dict[str, Any] | None:
            seen.update(self.describe_execution(execution_arn))
            return dict(seen) if seen["status"] in TERMINAL else None

        return poll_until(
            terminal,
            timeout=timeout,
            what=f"{execution_arn} terminal",
            first=0.005,
            longest=0.1,
            describe=lambda: f"still {seen.get('status')}",
        )

    def messages_in(self, queue: str) -> int:
        """Messages a queue holds, visible or in flight (0: everything sent to it so far was handled)."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_urls[queue],
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"]) + int(attributes["ApproximateNumberOfMessagesNotVisible"])

    def execution_arn(self, order_id: str) -> str:
        """The execution the API started for an order (named after it; public answers do not carry its ARN). An
        Express execution's ARN ends in an id of its own: the first one of that name."""
        if not self.express:
            return execution_arn(self.state_machine_arn, order_id)
        arns = self.execution_arns(order_id)
        if not arns:
            raise LookupError(f"no execution of order {order_id}")
        return arns[0]

    def execution_arns(self, name: str) -> list[str]:
        """Every execution of that name, oldest first (an Express order may run twice: at-least-once starts)."""
        if not self.express:
            return [execution_arn(self.state_machine_arn, name)]
        return [e.exec_arn for e in express.executions_named(ACCOUNT, self.config.region, name)]

    def order(self, order_id: str) -> dict[str, Any] | None:
        """The order as the handlers' own store reads it (consistent read; straight from moto's backend, so that
        watching orders costs the pipeline little, and no fault meant for the handlers is injected into it)."""
        item = dynamodb.read_item(ACCOUNT, self.config.region, self._orders_table, {"orderId": {"S": order_id}})
        return order_from_item(item) if item is not None else None

    def wait_for_order(self, order_id: str, statuses: Iterable[str], timeout: float = 30.0) -> dict[str, Any]:
        """The order once it has one of `statuses`."""
        wanted = set(statuses)
        seen: list[dict[str, Any] | None] = [None]

        def arrived() -> dict[str, Any] | None:
            seen[0] = self.order(order_id)
            return seen[0] if seen[0] is not None and seen[0].get("status") in wanted else None

        return poll_until(
            arrived,
            timeout=timeout,
            what=f"order {order_id} {sorted(wanted)}",
            longest=0.1,
            changes=self.order_changes.watch(order_id),
            describe=lambda: f"it is {seen[0].get('status') if seen[0] else 'absent'}",
        )

    def _tables_written(self, written: list[tuple[str, Mapping[str, Any]]]) -> None:
        """The emulator's DynamoDB hook heard of writes: the orders among them changed."""
        orders = [
            str(item["orderId"].get("S"))
            for table, item in written
            if table == self._orders_table and "orderId" in item
        ]
        if orders:
            self.order_changes.changed(*orders)
