"""Listing orders written before the orders-by-time index existed (`orderflow console --index-existing`).

Every writer gives an order its keys in the index (handlers.domain.listing) from the first write on; orders a stack
stored before that change have none, so the console's list does not show them. This gives each such order its keys
once: one Scan of the orders table for the orders without them (a few attributes each), then a conditional update per
order that sets them only where they are still missing. Its acceptance time is its history's first entry (PENDING,
when the API accepted it), else when it was written. Running it again changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from handlers.domain import listing
from workflow.ops.targets import Target


@dataclass(frozen=True)
class Indexed:
    listed: int  # orders given their keys now
    already: int  # orders that had them (or were given them meanwhile)
    unplaced: tuple[str, ...]  # orders with no time to list them by (left as they are)


def index_existing(target: Target) -> Indexed:
    """Give every order of the target's orders table that has no keys in the orders-by-time index its keys."""
    client, table = target.client("dynamodb"), target.output("OrdersTableName")
    listed, already, unplaced = 0, 0, []
    arguments: dict[str, Any] = {
        "TableName": table,
        "ProjectionExpression": "orderId, createdAt, updatedAt, history[0], #shard",
        "FilterExpression": "attribute_not_exists(#shard)",
        "ExpressionAttributeNames": {"#shard": listing.LIST_SHARD},
    }
    while True:
        page = client.scan(**arguments)
        for item in page.get("Items", []):
            order_id, accepted_at = str(item["orderId"]["S"]), accepted_at_of(item)
            if not accepted_at:
                unplaced.append(order_id)
            elif _set_keys(client, table, order_id, accepted_at):
                listed += 1
            else:
                already += 1
        if "LastEvaluatedKey" not in page:
            return Indexed(listed, already, tuple(unplaced))
        arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def accepted_at_of(item: Mapping[str, Any]) -> str:
    """When the API accepted the order (its history's first entry), else when it was written, from a Scan's item."""
    history = (item.get("history") or {}).get("L") or []
    first = (history[0].get("M") or {}) if history else {}
    for value in ((first.get("at") or {}), item.get("createdAt") or {}, item.get("updatedAt") or {}):
        if value.get("S"):
            return str(value["S"])
    return ""


def _set_keys(client: Any, table: str, order_id: str, accepted_at: str) -> bool:
    """The order's keys, set only where they are still missing: False when they were there."""
    try:
        client.update_item(
            TableName=table,
            Key={"orderId": {"S": order_id}},
            UpdateExpression="SET #shard = :shard, #key = :key",
            ConditionExpression="attribute_exists(orderId) AND attribute_not_exists(#shard)",
            ExpressionAttributeNames={"#shard": listing.LIST_SHARD, "#key": listing.LIST_KEY},
            ExpressionAttributeValues={
                ":shard": {"S": listing.list_shard(order_id)},
                ":key": {"S": listing.list_key(accepted_at, order_id)},
            },
        )
    except ClientError as e:
        if e.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            return False
        raise
    return True
