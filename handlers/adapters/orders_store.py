"""The DynamoDB adapter for orders and the Idempotency-Key locks that reserve their ids: the orders API's Orders
port (reserve, release, read: typed records), CreateOrder's (create), the fulfilment's (transition), and the whole
record as it is stored for the operator tools (get).

botocore errors become domain errors here (throttling -> OrderStoreUnavailable, a lock held by another request ->
IdempotencyConflictError), so the workflow's Retry/Catch can match on class names.

Lock expiry is compared in the condition itself: DynamoDB's TTL deletes expired items only eventually (up to days
later), so an item past `expiresAt` must count as absent even while it still exists.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError

from handlers.clock import iso
from handlers.domain import listing
from handlers.domain.errors import (
    IdempotencyConflictError,
    InvalidTransitionError,
    OrderNotFoundError,
    OrderStoreUnavailable,
)
from handlers.domain.order import OrderStatus
from handlers.services.order_creation import NewOrder, WrittenOrder
from handlers.services.orders_ports import Failure, Reservation, StoredItem, StoredOrder

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

_TRANSIENT_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionConflictException",
        "LimitExceededException",
    }
)

# The open-orders index (workflow.manifest OPEN_ORDERS_INDEX) is sparse: an order is in it from CreateOrder until it
# is FULFILLED or FAILED. Its partition key spreads the open orders over a few shards, so no one index partition takes
# every order's write.
OPEN_SHARDS = 8
TERMINAL = frozenset({OrderStatus.FULFILLED, OrderStatus.FAILED})


def open_shard(order_id: str) -> str:
    return f"open#{int(hashlib.sha256(order_id.encode()).hexdigest()[:8], 16) % OPEN_SHARDS}"


_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def to_item(data: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in data.items() if v is not None}


def from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


# botocore's transport failures: no connection, or no answer in time (the clients' read timeout). A retry may well
# succeed, so the workflow's Retry (by class name) and the API's 503 treat them as DynamoDB's throttling.
_NO_ANSWER = (BotocoreConnectionError, HTTPClientError)


def _no_answer(e: Exception) -> OrderStoreUnavailable:
    return OrderStoreUnavailable(f"DynamoDB did not answer: {type(e).__name__}")


def _store_error(e: ClientError, what: str) -> Exception:
    code = e.response.get("Error", {}).get("Code", "")
    if code in _TRANSIENT_CODES:
        return OrderStoreUnavailable(f"{what}: DynamoDB answered {code}")
    return e


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


class OrdersStore:
    def __init__(
        self,
        client: DynamoDBClient,
        orders_table: str,
        idempotency_table: str,
        lock_ttl: timedelta = timedelta(hours=24),
    ) -> None:
        self._client = client
        self._orders = orders_table
        self._locks = idempotency_table
        self._lock_ttl = lock_ttl

    def reserve(
        self, idempotency_key: str, request_hash: str, order_id: str, now: datetime, in_flight_until: datetime
    ) -> Reservation:
        """Reserve the order id for an Idempotency-Key for 24 hours: the one record of a POST (one write).

        The first request of a window puts the reservation with `order_id`, in flight until `in_flight_until` (its
        invocation's deadline). Any later request in the window (a retry after a crash, a concurrent duplicate)
        gets the reservation already there, read from the failed put itself, so it names the same order. A key
        past its expiry counts as free even while TTL has not deleted it yet. The same key with another body raises
        IdempotencyConflictError.
        """
        lock = {
            "idempotencyKey": idempotency_key,
            "orderId": order_id,
            "requestHash": request_hash,
            "createdAt": iso(now),
            "expiresAt": int((now + self._lock_ttl).timestamp()),
            "inFlightUntil": _epoch_ms(in_flight_until),
        }
        try:
            self._client.put_item(
                TableName=self._locks,
                Item=to_item(lock),
                ConditionExpression="attribute_not_exists(idempotencyKey) OR expiresAt < :now",
                ExpressionAttributeValues={":now": {"N": str(int(now.timestamp()))}},
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except _NO_ANSWER as e:
            raise _no_answer(e) from e
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise _store_error(e, "reserve idempotency key") from e
            old: Any = e.response.get("Item")
            held = from_item(old or {})
        else:
            return Reservation(order_id, fresh=True, in_flight=True)
        if not held:
            # Deleted between the condition and the answer (only an operator does that): the caller may retry.
            raise OrderStoreUnavailable("the idempotency reservation vanished while being read; retry")
        if held.get("requestHash") != request_hash:
            raise IdempotencyConflictError(
                f"idempotency key is already used by another request (order {held.get('orderId')})"
            )
        in_flight = int(held.get("inFlightUntil") or 0) > _epoch_ms(now)
        return Reservation(str(held["orderId"]), fresh=False, in_flight=in_flight)

    def release(self, idempotency_key: str, order_id: str) -> None:
        """The request that reserved the key ends without starting its execution (StartExecution refused): a retry
        need not wait for its deadline. Best effort: if this fails too, the retry waits (409) until the deadline."""
        try:
            self._client.update_item(
                TableName=self._locks,
                Key={"idempotencyKey": {"S": idempotency_key}},
                UpdateExpression="REMOVE inFlightUntil",
                ConditionExpression="orderId = :id",
                ExpressionAttributeValues={":id": {"S": order_id}},
            )
        except _NO_ANSWER as e:
            raise _no_answer(e) from e
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return  # the key has expired and names another order now: nothing of ours to release
            raise _store_error(e, "release idempotency key") from e

    def create(self, new: NewOrder, now: datetime) -> WrittenOrder:
        """Write the order once: a conditional put, so a retried or redelivered call (Standard retries, Express's
        at-least-once) returns the existing order with created=False instead of writing it twice.
        """
        record = {
            "orderId": new.order_id,
            "status": OrderStatus.CREATED.value,
            "customerId": new.order.customer_id,
            "currency": new.order.currency,
            "items": [{"sku": i.sku, "quantity": i.quantity, "unitPrice": i.unit_price} for i in new.order.items],
            "total": new.order.total.amount,
            "email": new.order.email,
            "shippingAddress": new.order.shipping_address.to_dict() if new.order.shipping_address else None,
            # Who created it (handlers.adapters.http.caller_of): only that caller may read it.
            "owner": new.owner,
            "idempotencyKey": new.idempotency_key,
            "requestHash": new.request_hash,
            "correlationId": new.correlation_id,
            "executionArn": new.execution_arn,
            "createdAt": iso(now),
            "updatedAt": iso(now),
            "history": [
                {"status": OrderStatus.PENDING.value, "at": new.submitted_at},
                {"status": OrderStatus.CREATED.value, "at": iso(now)},
            ],
            # In the open-orders index until it is terminal: FindStuckOrders finds it there if it stops moving.
            "openShard": open_shard(new.order_id),
            "openSince": new.submitted_at,
            # In the orders-by-time index for good: the console lists it there, by when it was accepted.
            listing.LIST_SHARD: listing.list_shard(new.order_id),
            listing.LIST_KEY: listing.list_key(new.submitted_at, new.order_id),
        }
        try:
            self._client.put_item(
                TableName=self._orders,
                Item=to_item(record),
                ConditionExpression="attribute_not_exists(orderId)",
            )
        except _NO_ANSWER as e:
            raise _no_answer(e) from e
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise _store_error(e, "create order") from e
            existing = self._existing(new)
            if existing.get("status") == OrderStatus.REDRIVING.value:
                return self._adopt(record, existing, new, now)
            return _written(existing, created=False)
        return _written(record, created=True)

    def _adopt(self, record: dict[str, Any], existing: dict[str, Any], new: NewOrder, now: datetime) -> WrittenOrder:
        """A redriven order: this execution takes it over. The whole order is written again (an order that failed
        before CreateOrder holds only its failure), keeping its history, and becomes CREATED under this execution."""
        adopted = {
            **record,
            "createdAt": existing.get("createdAt") or record["createdAt"],
            # Where the list shows it stays where it was (the failure route may have written it first).
            listing.LIST_SHARD: existing.get(listing.LIST_SHARD) or record[listing.LIST_SHARD],
            listing.LIST_KEY: existing.get(listing.LIST_KEY) or record[listing.LIST_KEY],
            "history": [*existing.get("history", []), {"status": OrderStatus.CREATED.value, "at": iso(now)}],
        }
        try:
            self._client.put_item(
                TableName=self._orders,
                Item=to_item(adopted),
                ConditionExpression="#s = :redriving",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues={":redriving": {"S": OrderStatus.REDRIVING.value}},
            )
        except _NO_ANSWER as e:
            raise _no_answer(e) from e
        except ClientError as e:
            # Someone else took it over first: that execution owns it.
            if e.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return _written(self._existing(new), created=False)
            raise _store_error(e, "take over a redriven order") from e
        return _written(adopted, created=True)

    def _existing(self, new: NewOrder) -> dict[str, Any]:
        """The order is already written: the same request again -> return it; anything else is a conflict."""
        existing = self.get(new.order_id)
        if existing is None:
            # The condition failed, yet the order is not there: nothing to replay; a retry decides.
            raise OrderStoreUnavailable(f"order {new.order_id}: the conditional put failed but the order is absent")
        if existing.get("requestHash") != new.request_hash:
            raise IdempotencyConflictError(f"order {new.order_id} already exists for another request")
        return existing

    def read(self, order_id: str) -> StoredOrder | None:
        """The order as the API reads it (typed), or None when it is not written."""
        record = self.get(order_id)
        return stored_order(record) if record is not None else None

    def get(self, order_id: str) -> dict[str, Any] | None:
        """The whole record as it is stored (the operator tools read every field), or None."""
        try:
            response = self._client.get_item(
                TableName=self._orders, Key={"orderId": {"S": order_id}}, ConsistentRead=True
            )
        except _NO_ANSWER as e:
            raise _no_answer(e) from e
        except ClientError as e:
            raise _store_error(e, "read order") from e
        item = response.get("Item")
        return order_from_item(item) if item else None

    def transition(
        self,
        order_id: str,
        allowed_from: Iterable[OrderStatus],
        to: OrderStatus,
        now: datetime,
        passing: Sequence[tuple[OrderStatus, datetime]] = (),
    ) -> dict[str, Any]:
        """Move the order to `to` if its status is one of `allowed_from`, in one conditional write; its history gains
        the `passing` entries (statuses it went through on the way, with their times), then `to` at `now`. Raises
        OrderNotFoundError, or InvalidTransitionError with the status the order has."""
        sources = list(allowed_from)
        entries = [*passing, (to, now)]
        values: dict[str, Any] = {
            ":to": {"S": to.value},
            ":now": {"S": iso(now)},
            ":entry": {"L": [{"M": {"status": {"S": status.value}, "at": {"S": iso(at)}}} for status, at in entries]},
        }
        placeholders = []
        for index, status in enumerate(sources):
            values[f":from{index}"] = {"S": status.value}
            placeholders.append(f":from{index}")
        try:
            response = self._client.update_item(
                TableName=self._orders,
                Key={"orderId": {"S": order_id}},
                # A terminal order leaves the open-orders index.
                UpdateExpression="SET #s = :to, updatedAt = :now, history = list_append(history, :entry)"
                + (" REMOVE openShard, openSince" if to in TERMINAL else ""),
                ConditionExpression=f"attribute_exists(orderId) AND #s IN ({', '.join(placeholders)})",
                ExpressionAttributeNames={"#s": "status"},
                ExpressionAttributeValues=values,
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except _NO_ANSWER as e:
            raise _no_answer(e) from e
        except ClientError as e:
            if e.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise _store_error(e, f"move order to {to.value}") from e
            old: Any = e.response.get("Item")
            if not old:
                raise OrderNotFoundError(f"order {order_id} does not exist") from e
            record = _plain(from_item(old))
            current = record.get("status")
            raise InvalidTransitionError(
                f"order {order_id} is {current}; only {', '.join(s.value for s in sources)} may become {to.value}",
                current=str(current) if current is not None else None,
                record=record,
            ) from e
        updated: dict[str, Any] = _plain(from_item(response["Attributes"]))
        return updated


def _written(record: Mapping[str, Any], *, created: bool) -> WrittenOrder:
    owner = record.get("executionArn")
    return WrittenOrder(
        str(record["orderId"]), str(record["status"]), str(owner) if owner is not None else None, created
    )


def _text(record: Mapping[str, Any], name: str) -> str | None:
    value = record.get(name)
    return str(value) if value is not None else None


def stored_order(record: Mapping[str, Any]) -> StoredOrder:
    """An orders-table record (as get returns it) as the orders API reads it."""
    items, failure = record.get("items"), record.get("failure")
    return StoredOrder(
        order_id=str(record["orderId"]),
        owner=_text(record, "owner"),
        status=_text(record, "status"),
        customer_id=_text(record, "customerId"),
        currency=_text(record, "currency"),
        email=_text(record, "email"),
        shipping_address=record.get("shippingAddress"),
        history=tuple(record["history"]) if isinstance(record.get("history"), list) else None,
        correlation_id=_text(record, "correlationId"),
        created_at=_text(record, "createdAt"),
        updated_at=_text(record, "updatedAt"),
        items=tuple(
            StoredItem(str(item["sku"]), int(item["quantity"]), Decimal(str(item["unitPrice"]))) for item in items
        )
        if isinstance(items, list)
        else None,
        total=Decimal(str(record["total"])) if record.get("total") is not None else None,
        failure=Failure(
            error=str(failure.get("error") or ""),
            cause=failure.get("cause"),
            state=str(failure["state"]) if failure.get("state") else None,
        )
        if isinstance(failure, dict)
        else None,
    )


def order_from_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """An order as stored (DynamoDB JSON) as the store hands it out."""
    order: dict[str, Any] = _plain(from_item(item))
    return order


def _plain(value: Any) -> Any:
    """DynamoDB numbers come back as Decimal; integral ones become int, amounts stay Decimal."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal) and value == value.to_integral_value() and value.as_tuple().exponent == 0:
        return int(value)
    return value
