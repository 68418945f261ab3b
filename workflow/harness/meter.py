"""What the local system served, counted as AWS bills it: Lambda invocations, DynamoDB read and write units (item
sizes rounded as DynamoDB rounds them, transactions at double rate, failed conditions still charged, and each write
a table's global secondary indexes take), SQS requests, SNS publishes, HTTP API requests and the bytes the handlers
logged. A Meter is the runtime's observer (workflow.local.observer); `orderflow cost` reads it (workflow.cost).

An index is written when a write adds an item to it, takes one out, changes its keys (a delete and a put) or changes
an attribute it projects; a write that changes none of those costs it nothing. The meter keeps each item's index
entries as its last write left them, so it knows what a write changed.

Only what the deployed system would do is counted: the runtime's own observations (waits, reports, provisioning)
read moto's backend directly or are not billed actions.
"""

from __future__ import annotations

import json
import math
import threading
from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from workflow.manifest import DEFAULT_REGION, MANIFEST, Index, Manifest
from workflow.ops.local_names import LocalNames

# What the deployed system calls on SQS and SNS (not the runtime's GetQueueAttributes, CreateQueue, ...).
SQS_BILLED = frozenset(
    {
        "SendMessage",
        "SendMessageBatch",
        "ReceiveMessage",
        "DeleteMessage",
        "DeleteMessageBatch",
        "ChangeMessageVisibility",
    }
)
SNS_BILLED = frozenset({"Publish", "PublishBatch"})
_READS = frozenset({"GetItem", "Query", "Scan", "BatchGetItem", "TransactGetItems"})
_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})

ReadItem = Callable[[str, Mapping[str, Any]], dict[str, Any] | None]


def attribute_size(value: Mapping[str, Any]) -> int:
    """DynamoDB's size of one attribute value (DynamoDB JSON), in bytes."""
    (kind, data), *_ = value.items()
    if kind == "S":
        return len(str(data).encode())
    if kind == "N":
        digits = str(data).lstrip("-").replace(".", "").lstrip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(str(data)) * 3 // 4
    if kind in {"BOOL", "NULL"}:
        return 1
    if kind in {"SS", "NS", "BS"}:
        return sum(attribute_size({kind[0]: v}) for v in data)
    if kind == "L":
        return 3 + sum(1 + attribute_size(v) for v in data)
    if kind == "M":
        return 3 + sum(len(k.encode()) + 1 + attribute_size(v) for k, v in data.items())
    return len(json.dumps(data))


def item_size(item: Mapping[str, Any]) -> int:
    """DynamoDB's item size: each attribute's name and value."""
    return sum(len(name.encode()) + attribute_size(value) for name, value in item.items())


def write_units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return units if consistent else units / 2


@dataclass
class Meter:
    invocations: Counter[str] = field(default_factory=Counter)
    read_units: float = 0.0
    write_units: float = 0.0
    sqs_requests: int = 0
    sns_publishes: int = 0
    http_requests: int = 0
    handler_log_bytes: int = 0
    write_units_by_table: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    read_units_by_table: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    write_units_by_index: dict[str, float] = field(default_factory=lambda: defaultdict(float))  # "table/index"
    # (table, partition key value) -> (read units, write units with its index writes): what one order, or one
    # request record, cost
    units_by_item: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    partition_keys: Mapping[str, str] = field(default_factory=dict)  # table -> its partition key attribute
    indexes: Mapping[str, tuple[Index, ...]] = field(default_factory=dict)  # table -> its global secondary indexes
    # (table, item key) -> index name -> the item's entry in it, as the last write left it
    _entries: dict[tuple[str, str], dict[str, dict[str, Any]]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def invoked(self, function: str) -> None:
        with self._lock:
            self.invocations[function] += 1

    def http_request(self) -> None:
        with self._lock:
            self.http_requests += 1

    def messaging(self, service: str, action: str, params: Mapping[str, Any], answer: Any = None) -> None:
        """One SQS or SNS call served. An empty receive is the event source's long poll, billed by the month whatever
        the orders (workflow.cost counts it apart), so it is not an order's."""
        if service == "sqs" and action == "ReceiveMessage" and not _body(answer).get("Messages"):
            return
        with self._lock:
            if service == "sqs" and action in SQS_BILLED:
                self.sqs_requests += 1
            elif service == "sns" and action in SNS_BILLED:
                entries = params.get("PublishBatchRequestEntries")
                self.sns_publishes += len(entries) if isinstance(entries, list) else 1

    def logged(self, size: int) -> None:
        with self._lock:
            self.handler_log_bytes += size

    def dynamodb(self, action: str, params: Mapping[str, Any], answer: Any, read_item: ReadItem) -> None:
        """One served DynamoDB call: its units, from the items it read or wrote (after the call), and its indexes'
        writes when a write succeeded."""
        if action not in _READS | _WRITES:
            return
        body = _body(answer) if action in _READS or params.get("ReturnValues") == "ALL_NEW" else {}
        if action in _READS:
            touched = _read(action, params, body)
        else:
            written = _written(action, params, body, read_item)
            succeeded = _succeeded(answer)
            touched = [
                (name, key, 0.0, units + (self._index_writes(name, key, after) if succeeded else 0.0))
                for name, key, units, after in written
            ]
        with self._lock:
            for name, item, reads, writes in touched:
                self.read_units += reads
                self.write_units += writes
                self.read_units_by_table[name] += reads
                self.write_units_by_table[name] += writes
                key = self._key_of(name, item)
                if key is not None:
                    was_read, was_written = self.units_by_item.get((name, key), (0.0, 0.0))
                    self.units_by_item[(name, key)] = (was_read + reads, was_written + writes)

    def _index_writes(self, table: str, key: Mapping[str, Any], after: Mapping[str, Any] | None) -> float:
        """The write units the table's indexes take for a write that left the item as `after` (None: deleted)."""
        indexes = self.indexes.get(table, ())
        item_key = self._key_of(table, key)
        if not indexes or item_key is None:
            return 0.0
        with self._lock:
            before = self._entries.get((table, item_key), {})
            now = {
                index.name: entry
                for index in indexes
                if (entry := index_entry(index, self.partition_keys[table], after))
            }
            self._entries[(table, item_key)] = now
            units = 0.0
            for index in indexes:
                taken = index_write_units(index, before.get(index.name), now.get(index.name))
                self.write_units_by_index[f"{table}/{index.name}"] += taken
                units += taken
        return units

    def _key_of(self, table: str, item: Mapping[str, Any]) -> str | None:
        attribute = self.partition_keys.get(table)
        value = item.get(attribute) if attribute else None
        return str(next(iter(value.values()))) if isinstance(value, Mapping) and value else None


# (table, the item or its key, read units, write units) for each item a call touched
Touched = list[tuple[str, Mapping[str, Any], float, float]]
# (table, the item or its key, write units, the item as the write left it: None when deleted) for each item written
Written = list[tuple[str, Mapping[str, Any], float, Mapping[str, Any] | None]]


def _read(action: str, params: Mapping[str, Any], body: Mapping[str, Any]) -> Touched:
    table = str(params.get("TableName") or "")
    consistent = bool(params.get("ConsistentRead"))
    if action == "GetItem":
        item = body.get("Item") or params.get("Key") or {}
        return [(table, item, read_units(item_size(body.get("Item") or {}), consistent), 0.0)]
    if action in {"Query", "Scan"}:
        size = sum(item_size(i) for i in body.get("Items", []))
        return [(table, {}, read_units(size, consistent), 0.0)]
    if action == "TransactGetItems":
        return [
            ("", response.get("Item") or {}, 2 * read_units(item_size(response.get("Item") or {}), True), 0.0)
            for response in body.get("Responses", [])
        ]
    return []  # BatchGetItem: nothing the deployed system does calls it (the console, an operator's, does)


def _written(action: str, params: Mapping[str, Any], body: Mapping[str, Any], read_item: ReadItem) -> Written:
    table = str(params.get("TableName") or "")
    if action == "PutItem":
        item = params.get("Item") or {}
        return [(table, item, write_units(item_size(item)), item)]
    if action in {"UpdateItem", "DeleteItem"}:
        key = params.get("Key") or {}
        # The item as written: in the answer when the caller asked for it (ALL_NEW), else read once more.
        after = body.get("Attributes") or read_item(table, key)
        return [(table, key, write_units(item_size(after or key)), after if action == "UpdateItem" else None)]
    written: Written = []
    for entry in params.get("TransactItems", []):
        for kind, operation in entry.items():
            name = str(operation.get("TableName"))
            key = operation.get("Key") or {}
            # A condition check leaves the item as it was (read again: its indexes see no change).
            after = operation.get("Item") if kind == "Put" else None if kind == "Delete" else read_item(name, key)
            written.append((name, after or key, 2 * write_units(item_size(after or key)), after))
    for name, requests in (params.get("RequestItems") or {}).items():
        for request in requests:
            for kind, operation in request.items():
                item = operation.get("Item") or operation.get("Key") or {}
                written.append((name, item, write_units(item_size(item)), item if kind == "PutRequest" else None))
    return written


def index_entry(index: Index, table_key: str, item: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The item's entry in the index (its keys, the table's key and what the index projects), or None when the item
    is not in it (deleted, or without the index's keys: the index is sparse)."""
    if item is None or not all(item.get(k) for k in (index.partition_key, index.sort_key)):
        return None
    kept = (table_key, index.partition_key, index.sort_key, *index.projected)
    return {name: item[name] for name in kept if name in item}


def index_write_units(index: Index, before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> float:
    """What a write costs the index, as DynamoDB bills it: a put for an item that enters it or whose projected
    attributes change, a delete for one that leaves it, both when its index keys change, nothing otherwise."""
    if before is None and after is None:
        return 0.0
    if before is None or after is None:
        return float(write_units(item_size(after or before or {})))
    keys = (index.partition_key, index.sort_key)
    if any(before.get(k) != after.get(k) for k in keys):
        return float(write_units(item_size(before)) + write_units(item_size(after)))
    return float(write_units(item_size(after))) if before != after else 0.0


def _succeeded(answer: Any) -> bool:
    """Whether a moto answer ((status, headers, body), or a body for 200) is a success."""
    return not (isinstance(answer, tuple) and answer and isinstance(answer[0], int) and answer[0] >= 300)


def _body(answer: Any) -> dict[str, Any]:
    text = answer[2] if isinstance(answer, tuple) and len(answer) == 3 else answer
    try:
        parsed = json.loads(text) if isinstance(text, str | bytes) else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def local_meter(manifest: Manifest = MANIFEST, region: str = DEFAULT_REGION) -> Meter:
    """A meter for a local system of this manifest: `LocalRuntime(config, observer=local_meter())`."""
    names = LocalNames(region, manifest)
    return Meter(
        partition_keys={names.table_name(t.name): t.partition_key for t in manifest.tables},
        indexes={names.table_name(t.name): t.indexes for t in manifest.tables if t.indexes},
    )
