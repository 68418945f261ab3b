"""The console's orders list over the orders-by-time index (workflow.console.orders, workflow.console.order_list),
against an in-memory index that answers Query as DynamoDB does (each shard newest first, the Limit counting what is
evaluated, the filter after it, LastEvaluatedKey when the Limit stopped it): every order is on exactly one page,
newest first, whatever the page size, filter or window; pages stay put while orders arrive; a page is kept, then
read again in the background; the failed rows' failures are read by key, once per change. And the failure route's
JSONata computes the shard CreateOrder computes."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from handlers.clock import iso
from handlers.domain import listing
from handlers.domain.identifiers import new_order_id
from workflow import query
from workflow.console import order_list
from workflow.console.order_list import OrderList
from workflow.console.orders import (
    BadFilter,
    Filter,
    OrderRow,
    ShardRead,
    decode_token,
    encode_token,
    first_limit,
    merge,
    query_arguments,
)
from workflow.failure_route import LIST_KEY, LIST_SHARD
from workflow.manifest import ORDERS_BY_TIME_INDEX
from workflow.ops.targets import Target

TABLE = "orders-table"
NOW = datetime.now(UTC)
PROJECTED = ("orderId", "status", "updatedAt", "currency", "total", listing.LIST_SHARD, listing.LIST_KEY)


def order(at: datetime, status: str = "FULFILLED", order_id: str | None = None) -> dict[str, Any]:
    order_id = order_id or new_order_id()
    stamp = iso(at)
    item: dict[str, Any] = {
        "orderId": {"S": order_id},
        "status": {"S": status},
        "updatedAt": {"S": stamp},
        "currency": {"S": "EUR"},
        "total": {"N": "25.99"},
        listing.LIST_SHARD: {"S": listing.list_shard(order_id)},
        listing.LIST_KEY: {"S": listing.list_key(stamp, order_id)},
    }
    if status == "FAILED":
        item["failure"] = {"M": {"state": {"S": "CreateOrder"}, "error": {"S": "Boom"}, "cause": {"S": "x" * 9000}}}
    return item


def key_of(item: dict[str, Any]) -> str:
    return str(item[listing.LIST_KEY]["S"])


class FakeDynamoDB:
    """The orders table with its orders-by-time index, as far as the list reads it."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = {item["orderId"]["S"]: item for item in items}
        self.queries: list[dict[str, Any]] = []
        self.batch_gets: list[list[str]] = []
        self._lock = threading.Lock()

    def query(self, **arguments: Any) -> dict[str, Any]:
        assert arguments["TableName"] == TABLE
        assert arguments["IndexName"] == ORDERS_BY_TIME_INDEX
        assert arguments["ScanIndexForward"] is False
        with self._lock:
            self.queries.append(arguments)
        values, condition = arguments["ExpressionAttributeValues"], arguments["KeyConditionExpression"]

        def in_range(key: str) -> bool:
            if ":since" in values and key < values[":since"]["S"]:
                return False
            before = values.get(":before", {}).get("S")
            return before is None or (key <= before if "BETWEEN" in condition else key < before)

        entries = sorted(
            (i for i in self.items.values() if i[listing.LIST_SHARD]["S"] == values[":shard"]["S"]),
            key=key_of,
            reverse=True,
        )
        entries = [e for e in entries if in_range(key_of(e))]
        if "ExclusiveStartKey" in arguments:
            start = arguments["ExclusiveStartKey"][listing.LIST_KEY]["S"]
            entries = [e for e in entries if key_of(e) < start]
        evaluated = entries[: arguments["Limit"]]
        matching = [e for e in evaluated if ":status" not in values or e["status"] == values[":status"]]
        answer: dict[str, Any] = {
            "Items": [{k: v for k, v in e.items() if k in PROJECTED} for e in matching],
            "ScannedCount": len(evaluated),
        }
        if len(evaluated) == arguments["Limit"]:  # DynamoDB says where it stopped whenever the Limit stopped it
            last = evaluated[-1]
            answer["LastEvaluatedKey"] = {k: last[k] for k in ("orderId", listing.LIST_SHARD, listing.LIST_KEY)}
        return answer

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        (request,) = RequestItems.values()
        wanted = [key["orderId"]["S"] for key in request["Keys"]]
        self.batch_gets.append(wanted)
        found = []
        for order_id in wanted:
            item = self.items[order_id]
            failure = item.get("failure", {}).get("M", {})
            found.append(
                {
                    "orderId": item["orderId"],
                    "updatedAt": item["updatedAt"],
                    "failure": {"M": {k: v for k, v in failure.items() if k in ("state", "error")}},
                }
            )
        return {"Responses": {TABLE: found}}


def a_list(dynamodb: FakeDynamoDB, max_age: float = 1.0, clock: Any = None) -> OrderList:
    no_session: Any = None  # the one client the list makes is given
    target = Target("local", no_session, None, {"OrdersTableName": TABLE}, "the stub", _clients={"dynamodb": dynamodb})
    return OrderList(target, max_age=max_age, **({"clock": clock} if clock else {}))


def orders(count: int, seed: int = 7, failed_every: int = 0) -> list[dict[str, Any]]:
    """`count` orders accepted over the last three days, with random ids (the same every run)."""
    rng = random.Random(seed)
    made = []
    for n in range(count):
        at = NOW - timedelta(seconds=rng.randint(60, 3 * 24 * 3600), milliseconds=n)
        status = "FAILED" if failed_every and n % failed_every == 0 else "FULFILLED"
        made.append(order(at, status, "ord_" + "".join(rng.choice(listing.ID_ALPHABET) for _ in range(26))))
    return made


def every_page(listed: OrderList, wanted: Filter, size: int) -> Iterator[list[OrderRow]]:
    for _ in range(1000):
        page = listed.read(wanted, size)
        yield page.rows
        if page.next_token is None:
            return
        wanted = Filter(wanted.status, wanted.window, decode_token(page.next_token))
    raise AssertionError("the pages never ended")


@pytest.mark.parametrize("size", [1, 7, 50])
def test_every_order_is_on_one_page_newest_first(size: int) -> None:
    items = orders(300)
    listed = a_list(FakeDynamoDB(items))
    shown = [row.order_id for rows in every_page(listed, Filter(), size) for row in rows]
    assert shown == [i["orderId"]["S"] for i in sorted(items, key=key_of, reverse=True)]


def test_a_status_and_a_window_choose_the_rows_and_every_match_is_found() -> None:
    items = orders(400, failed_every=9)
    listed = a_list(FakeDynamoDB(items))
    since = iso(NOW - timedelta(hours=24))
    expected = [
        i["orderId"]["S"]
        for i in sorted(items, key=key_of, reverse=True)
        if i["status"]["S"] == "FAILED" and key_of(i) >= since
    ]
    pages = list(every_page(listed, Filter("FAILED", "24h"), 10))
    assert [row.order_id for rows in pages for row in rows] == expected
    assert all(row.failed_state == "CreateOrder" and row.failed_error == "Boom" for rows in pages for row in rows)


def test_a_page_stays_put_while_new_orders_arrive_above_it() -> None:
    items = orders(120)
    dynamodb = FakeDynamoDB(items)
    listed = a_list(dynamodb)
    first = listed.read(Filter(), 50)
    assert first.next_token is not None
    for _ in range(30):
        new = order(NOW)
        dynamodb.items[new["orderId"]["S"]] = new
    second = listed.read(Filter(after=decode_token(first.next_token)), 50)
    newest = sorted(items, key=key_of, reverse=True)
    assert [r.order_id for r in second.rows] == [i["orderId"]["S"] for i in newest[50:100]]


def test_a_page_is_one_query_per_shard_when_the_shards_cover_it() -> None:
    dynamodb = FakeDynamoDB(orders(2000))
    page = a_list(dynamodb).read(Filter(), 50)
    assert len(page.rows) == 50
    assert len(dynamodb.queries) == listing.LIST_SHARDS
    assert {q["Limit"] for q in dynamodb.queries} == {first_limit(50, None)}
    assert {q["ExpressionAttributeValues"][":shard"]["S"] for q in dynamodb.queries} == set(listing.list_shards())


def test_a_shard_that_ends_too_soon_is_read_further() -> None:
    # Every order in one shard: the others are empty, and the one shard is read until the page is full.
    items = [order(NOW - timedelta(seconds=n), order_id=new_order_id()[:-1] + "a") for n in range(60)]
    dynamodb = FakeDynamoDB(items)
    page = a_list(dynamodb).read(Filter(), 50)
    assert [r.order_id for r in page.rows] == [i["orderId"]["S"] for i in items[:50]]
    assert len(dynamodb.queries) > listing.LIST_SHARDS


def test_a_status_looked_for_past_the_budget_says_how_far_it_looked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(order_list, "SHARD_BUDGET", 20)
    monkeypatch.setattr(order_list, "FILTERED_READ", 10)
    monkeypatch.setattr("workflow.console.orders.FILTERED_READ", 10)
    items = [order(NOW - timedelta(seconds=n)) for n in range(400)]
    oldest_failed = order(NOW - timedelta(days=1), "FAILED")
    listed = a_list(FakeDynamoDB([*items, oldest_failed]))
    page = listed.read(Filter("FAILED"), 10)
    assert page.rows == []
    assert page.searched_to is not None
    assert page.next_token is not None
    found = [row.order_id for rows in every_page(listed, Filter("FAILED"), 10) for row in rows]
    assert found == [oldest_failed["orderId"]["S"]]


def test_a_page_past_the_window_is_empty_without_a_query() -> None:
    dynamodb = FakeDynamoDB(orders(10))
    old = listing.list_key(iso(NOW - timedelta(days=3)), new_order_id())
    page = a_list(dynamodb).read(Filter(window="1h", after=old), 50)
    assert (page.rows, page.next_token, dynamodb.queries) == ([], None, [])


def test_failures_are_read_for_the_failed_rows_once_per_change() -> None:
    items = orders(40, failed_every=5)
    dynamodb = FakeDynamoDB(items)
    listed = a_list(dynamodb)
    listed.read(Filter(), 50)
    listed.read(Filter(), 50)
    failed = sorted(i["orderId"]["S"] for i in items if i["status"]["S"] == "FAILED")
    assert [sorted(ids) for ids in dynamodb.batch_gets] == [failed]
    changed = dynamodb.items[failed[0]]
    changed["updatedAt"] = {"S": iso(NOW)}
    listed.read(Filter(), 50)
    assert dynamodb.batch_gets[-1] == [failed[0]]


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_page_is_kept_then_read_again_in_the_background() -> None:
    dynamodb = FakeDynamoDB(orders(30))
    clock = Clock()
    listed = a_list(dynamodb, max_age=1.0, clock=clock)
    first = listed.page(Filter())
    asked = len(dynamodb.queries)
    assert listed.page(Filter()) is first
    assert len(dynamodb.queries) == asked  # kept
    new = order(NOW)
    dynamodb.items[new["orderId"]["S"]] = new
    clock.now += 1.5
    assert listed.page(Filter()) is first  # stale: served while it is read again
    for thread in threading.enumerate():
        if thread.name == "console-orders":
            thread.join(timeout=10)
    assert listed.page(Filter()).rows[0].order_id == new["orderId"]["S"]


def test_a_slow_read_is_kept_longer() -> None:
    listed = a_list(FakeDynamoDB([]), max_age=1.0)
    assert listed.refresh_after(0.01) == 1.0
    assert listed.refresh_after(3.0) == order_list.READ_SHARE * 3.0


def test_merge_holds_back_what_a_shard_has_not_been_read_past() -> None:
    def row(at: str, order_id: str) -> OrderRow:
        return OrderRow(order_id, "FULFILLED", at, at, "EUR", "1", "", "")

    a, b, c, d = ("ord_" + letter * 26 for letter in "abcd")
    a1, a2 = row("2026-01-01T00:00:09.000Z", a), row("2026-01-01T00:00:05.000Z", b)
    b1 = row("2026-01-01T00:00:08.000Z", c)
    # shard B was read down to 00:07 only: a2 (00:05) may have newer neighbours in B, so it waits for the next page
    page = merge([ShardRead([a1, a2], None), ShardRead([b1], listing.list_key("2026-01-01T00:00:07.000Z", d))], 5, 0)
    assert [r.order_id for r in page.rows] == [a, c]
    assert page.next_token is not None
    assert decode_token(page.next_token) == listing.list_key("2026-01-01T00:00:07.000Z", d)
    assert page.searched_to == "2026-01-01T00:00:07.000Z"
    done = merge([ShardRead([a1, a2], None), ShardRead([b1], None)], 2, 0)
    assert [r.order_id for r in done.rows] == [a, c]
    assert done.searched_to is None
    assert done.next_token is not None
    assert decode_token(done.next_token) == b1.key


def test_query_arguments_put_the_window_and_the_token_in_the_key_condition() -> None:
    after = listing.list_key("2026-01-01T00:00:07.000Z", "ord_" + "d" * 26)
    both = query_arguments(TABLE, "list#3", Filter("FAILED", "1h", after), "2026-01-01T00:00:00.000Z", 40)
    assert both["KeyConditionExpression"] == "listShard = :shard AND listKey BETWEEN :since AND :before"
    assert both["FilterExpression"] == "#s = :status"
    assert both["ExpressionAttributeValues"][":status"] == {"S": "FAILED"}
    assert both["Limit"] == 40
    assert query_arguments(TABLE, "list#3", Filter(), None, 7)["KeyConditionExpression"] == "listShard = :shard"
    assert "FilterExpression" not in query_arguments(TABLE, "list#3", Filter(), None, 7)


def test_page_tokens_hold_a_position_and_refuse_anything_else() -> None:
    key = listing.list_key("2026-01-01T00:00:07.000Z", "ord_" + "d" * 26)
    assert decode_token(encode_token(key)) == key
    assert Filter.parse("failed", "24h", encode_token(key)) == Filter("FAILED", "24h", key)
    for token in ("%%%", "eA", encode_token("2026-01-01#ord_x"), encode_token("yesterday#ord_" + "d" * 26)):
        with pytest.raises(BadFilter):
            Filter.parse(None, None, token)


def test_the_failure_route_computes_the_shard_create_order_computes() -> None:
    """RecordFailure writes an order first when it failed before CreateOrder: its JSONata must put the order where
    CreateOrder would have (handlers.domain.listing), and its sort key must never be empty."""
    shard, key = query.parse(LIST_SHARD.jsonata), query.parse(LIST_KEY.jsonata)
    ids = [new_order_id() for _ in range(200)] + ["", "ord_", "ord_" + "a" * 25 + "9"]
    for order_id in ids:
        states = {"input": {"orderId": order_id}, "context": {}}
        assert query.evaluate(shard, {"states": states}) == listing.list_shard(order_id), order_id
    context = {"Execution": {"StartTime": "2026-01-01T00:00:01.000Z"}}
    accepted = {"orderId": "ord_x", "submittedAt": "2026-01-01T00:00:00.500Z"}
    assert query.evaluate(key, {"states": {"input": accepted, "context": context}}) == "2026-01-01T00:00:00.500Z#ord_x"
    odd_times = ({"orderId": "ord_x", "submittedAt": None}, {"orderId": "ord_x", "submittedAt": 12})
    for missing in ({"orderId": "ord_x"}, {"orderId": "ord_x", "submittedAt": ""}, *odd_times):
        assert (
            query.evaluate(key, {"states": {"input": missing, "context": context}}) == "2026-01-01T00:00:01.000Z#ord_x"
        )
    # An index key holds 1,024 bytes: a hand-started execution's long id (or time) is cut, never refused.
    long = {"orderId": "ord_" + "é" * 2000, "submittedAt": "2026-01-01T00:00:00.500Z" + "x" * 2000}
    written = query.evaluate(key, {"states": {"input": long, "context": context}})
    assert written == "2026-01-01T00:00:00.500Zxxxxxxxxxxxxxxxx#ord_" + "é" * 176
    assert len(written.encode("utf-8")) <= 1024
    assert LIST_SHARD.jsonpath == "States.Format('list#{}', States.MathRandom(0, 7))"
    assert LIST_KEY.jsonpath == "States.Format('{}#{}', $.submittedAt, $.orderId)"
