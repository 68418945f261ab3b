"""What the local system served, counted as AWS bills it: Lambda invocations, DynamoDB read and write units (item
sizes rounded as DynamoDB rounds them, transactions at double rate, failed conditions still charged), SQS requests,
SNS publishes, HTTP API requests and the bytes the handlers logged. A Meter is the runtime's observer
(workflow.local.observer); `orderflow cost` reads it (workflow.cost).

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

from workflow.manifest import DEFAULT_REGION, MANIFEST, Manifest
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
    # (table, partition key value) -> (read units, write units): what one order, or one request record, cost
    units_by_item: dict[tuple[str, str], tuple[float, float]] = field(default_factory=dict)
    partition_keys: Mapping[str, str] = field(default_factory=dict)  # table -> its partition key attribute
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
        """One served DynamoDB call: its units, from the items it read or wrote (after the call)."""
        if action not in _READS | _WRITES:
            return
        body = _body(answer) if action in _READS or params.get("ReturnValues") == "ALL_NEW" else {}
        table = str(params.get("TableName") or "")
        consistent = bool(params.get("ConsistentRead"))
        # (table, the item or its key, read units, write units) for each item the call touched
        touched: list[tuple[str, Mapping[str, Any], float, float]] = []
        if action == "GetItem":
            item = body.get("Item") or params.get("Key") or {}
            touched.append((table, item, read_units(item_size(body.get("Item") or {}), consistent), 0))
        elif action in {"Query", "Scan"}:
            size = sum(item_size(i) for i in body.get("Items", []))
            touched.append((table, {}, read_units(size, consistent), 0))
        elif action == "TransactGetItems":
            for response in body.get("Responses", []):
                touched.append(
                    ("", response.get("Item") or {}, 2 * read_units(item_size(response.get("Item") or {}), True), 0)
                )
        elif action == "PutItem":
            item = params.get("Item") or {}
            touched.append((table, item, 0, write_units(item_size(item))))
        elif action in {"UpdateItem", "DeleteItem"}:
            key = params.get("Key") or {}
            # The item as written: in the answer when the caller asked for it (ALL_NEW), else read once more.
            after = body.get("Attributes") or read_item(table, key)
            touched.append((table, key, 0, write_units(item_size(after or key))))
        elif action == "TransactWriteItems":
            for entry in params.get("TransactItems", []):
                for kind, operation in entry.items():
                    name = str(operation.get("TableName"))
                    item = operation.get("Item") if kind == "Put" else None
                    key = operation.get("Key") or {}
                    size = item_size(item) if item is not None else item_size(read_item(name, key) or key)
                    touched.append((name, item or key, 0, 2 * write_units(size)))
        elif action == "BatchWriteItem":
            for name, requests in (params.get("RequestItems") or {}).items():
                for request in requests:
                    for operation in request.values():
                        item = operation.get("Item") or operation.get("Key") or {}
                        touched.append((name, item, 0, write_units(item_size(item))))
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

    def _key_of(self, table: str, item: Mapping[str, Any]) -> str | None:
        attribute = self.partition_keys.get(table)
        value = item.get(attribute) if attribute else None
        return str(next(iter(value.values()))) if isinstance(value, Mapping) and value else None


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
    return Meter(partition_keys={names.table_name(t.name): t.partition_key for t in manifest.tables})
