"""The open-orders index of the orders table (DynamoDB): orders accepted and not yet terminal, by when they were
accepted. A sparse index: CreateOrder writes its keys, FULFILLED and FAILED remove them (orders_store, RecordFailure),
and so does marking a stuck order alerted, so a query reads only what is still open and nothing scans the table.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from handlers.adapters.orders_store import OPEN_SHARDS, from_item
from handlers.domain.errors import OrderStoreUnavailable
from handlers.services.stuck_orders import OpenOrder

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class DynamoDBOpenOrders:
    def __init__(self, client: DynamoDBClient, table: str, index: str) -> None:
        self._client = client
        self._table = table
        self._index = index

    def opened_before(self, cutoff: str) -> Iterator[OpenOrder]:
        """Every open order accepted before `cutoff` (an ISO-8601 UTC time, which sorts as it reads), shard by shard,
        each shard's pages in full."""
        for shard in range(OPEN_SHARDS):
            start: dict[str, Any] | None = None
            while True:
                query: dict[str, Any] = {
                    "TableName": self._table,
                    "IndexName": self._index,
                    "KeyConditionExpression": "openShard = :shard AND openSince < :cutoff",
                    "ExpressionAttributeValues": {":shard": {"S": f"open#{shard}"}, ":cutoff": {"S": cutoff}},
                }
                if start is not None:
                    query["ExclusiveStartKey"] = start
                try:
                    page = self._client.query(**query)
                except ClientError as e:
                    raise OrderStoreUnavailable(f"query open orders: {e.response.get('Error', {}).get('Code')}") from e
                for item in page.get("Items", []):
                    order = from_item(item)
                    yield OpenOrder(
                        order_id=str(order["orderId"]),
                        status=str(order.get("status", "")),
                        open_since=str(order.get("openSince", "")),
                        updated_at=str(order.get("updatedAt", "")),
                        execution_arn=str(order.get("executionArn", "")),
                        correlation_id=str(order.get("correlationId", "")),
                    )
                start = page.get("LastEvaluatedKey")
                if not start:
                    break

    def mark_alerted(self, order: OpenOrder, at: str) -> bool:
        """The order's stuck alert is published: it leaves the index (one alert per stuck order). False when it
        moved on meanwhile (terminal, or taken over by a rerun): nothing is marked."""
        try:
            self._client.update_item(
                TableName=self._table,
                Key={"orderId": {"S": order.order_id}},
                UpdateExpression="SET stuckAlertedAt = :at REMOVE openShard, openSince",
                ConditionExpression="openSince = :since AND #s = :status",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={
                    ":at": {"S": at},
                    ":since": {"S": order.open_since},
                    ":status": {"S": order.status},
                },
            )
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise OrderStoreUnavailable(f"mark order {order.order_id} alerted: {e}") from e
        return True
