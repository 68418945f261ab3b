"""What a write costs a table's global secondary indexes, as the meter counts it (workflow.harness.meter): an item
entering or leaving an index, a change of what it projects, a change of its keys, or nothing the index holds."""

from __future__ import annotations

from typing import Any

from workflow.harness.meter import Meter, index_entry, index_write_units
from workflow.manifest import MANIFEST, OPEN_ORDERS_INDEX, ORDERS_BY_TIME_INDEX, Index

(ORDERS,) = [table for table in MANIFEST.tables if table.name == "orders"]
INDEXES = {index.name: index for index in ORDERS.indexes}
LISTED = INDEXES[ORDERS_BY_TIME_INDEX]
OPEN = INDEXES[OPEN_ORDERS_INDEX]


def s(value: str) -> dict[str, str]:
    return {"S": value}


CREATED: dict[str, Any] = {
    "orderId": s("ord_a"),
    "status": s("CREATED"),
    "updatedAt": s("t1"),
    "history": {"L": [{"M": {"status": s("CREATED")}}]},
    "openShard": s("open#1"),
    "openSince": s("t0"),
    "listShard": s("list#0"),
    "listKey": s("t0#ord_a"),
}
FULFILLED = {
    **{k: v for k, v in CREATED.items() if k not in ("openShard", "openSince")},
    "status": s("FULFILLED"),
    "updatedAt": s("t2"),
}


def test_an_entry_holds_the_keys_and_what_the_index_projects_and_a_sparse_index_skips_items() -> None:
    entry = index_entry(LISTED, "orderId", CREATED)
    assert entry is not None
    assert set(entry) == {"orderId", "listShard", "listKey", "status", "updatedAt"}  # no history: not projected
    assert index_entry(OPEN, "orderId", FULFILLED) is None  # no openShard: not in the open-orders index
    assert index_entry(LISTED, "orderId", None) is None


def test_each_kind_of_change_costs_what_dynamodb_bills() -> None:
    def units(index: Index, before: dict[str, Any] | None, after: dict[str, Any] | None) -> float:
        return index_write_units(index, index_entry(index, "orderId", before), index_entry(index, "orderId", after))

    assert units(LISTED, None, CREATED) == 1  # enters
    assert units(OPEN, CREATED, FULFILLED) == 1  # leaves
    assert units(LISTED, CREATED, FULFILLED) == 1  # a projected attribute changed
    assert units(LISTED, CREATED, {**CREATED, "history": {"L": []}}) == 0  # nothing it holds changed
    assert units(LISTED, CREATED, {**CREATED, "listShard": s("list#3")}) == 2  # moved: a delete and a put
    assert units(OPEN, None, FULFILLED) == 0  # never in it
    big = {**CREATED, "status": s("x" * 1500)}
    assert units(LISTED, None, big) == 2  # rounded up per KB


def test_the_meter_adds_index_writes_to_the_write_and_the_item() -> None:
    meter = Meter(partition_keys={"orders": "orderId"}, indexes={"orders": ORDERS.indexes})
    items: dict[str, dict[str, Any]] = {}

    def read_item(table: str, key: Any) -> dict[str, Any] | None:
        return items.get(key["orderId"]["S"])

    items["ord_a"] = CREATED
    meter.dynamodb("PutItem", {"TableName": "orders", "Item": CREATED}, "{}", read_item)
    assert meter.units_by_item[("orders", "ord_a")] == (0, 3)  # the item, and both indexes
    items["ord_a"] = FULFILLED
    update = {"TableName": "orders", "Key": {"orderId": s("ord_a")}, "UpdateExpression": "..."}
    meter.dynamodb("UpdateItem", update, "{}", read_item)
    assert meter.units_by_item[("orders", "ord_a")] == (0, 6)  # + the item, leaving open-orders, the list's status
    assert meter.write_units_by_index == {f"orders/{OPEN_ORDERS_INDEX}": 2, f"orders/{ORDERS_BY_TIME_INDEX}": 2}
    refused: tuple[int, dict[str, str], str] = (400, {}, '{"__type": "ConditionalCheckFailedException"}')
    meter.dynamodb("UpdateItem", update, refused, read_item)
    assert meter.units_by_item[("orders", "ord_a")] == (0, 7)  # a failed condition is billed; no index is written
    assert meter.write_units == 7
