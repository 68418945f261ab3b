"""DynamoDB as the local system needs it from moto: `DynamoHandler.call_action` serialized per table, after the
call's fault (if any); and reads of moto's backend for the runtime's own observations.

Why serialized: DynamoDB's conditional writes are atomic per item, and moto's are not across threads. Calls on one
table run one at a time while calls on other tables go on; a call on several tables (a transaction, a batch) holds
all of theirs, taken in name order so that two such calls cannot deadlock.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from moto.dynamodb.models import dynamodb_backends
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler

from workflow.emulator.patches import moto_original
from workflow.emulator.services import FaultFor, error_headers

_CALL_ACTION = moto_original(DynamoHandler, "call_action")
_QUERY = moto_original(Table, "query")
_ALL_ITEMS = moto_original(Table, "all_items")
_in_query = threading.local()
_WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"})
# What DynamoDB says with an error a fault answers (by its code).
MESSAGES = {
    "ProvisionedThroughputExceededException": (
        "The level of configured provisioned throughput for the table was exceeded"
    ),
    "ConditionalCheckFailedException": "The conditional request failed",
}

# What a write wrote: (table, the item or its key) per item, in DynamoDB's JSON.
Written = list[tuple[str, Mapping[str, Any]]]
OnWrite = Callable[[Written], None]
# (action, params, answer): a call served
OnCall = Callable[[str, Mapping[str, Any], Any], None]


def error_body(code: str) -> str:
    """DynamoDB's JSON error for a fault's error code."""
    message = MESSAGES.get(code, "injected fault")
    return json.dumps({"__type": f"com.amazonaws.dynamodb.v20120810#{code}", "message": f"{message} (injected fault)"})


class _TableLocks:
    """One lock per table (see the module's docstring)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.RLock] = {}

    def of(self, tables: Iterable[str]) -> list[threading.RLock]:
        with self._guard:
            return [self._locks.setdefault(name, threading.RLock()) for name in sorted(set(tables))]


_LOCKS = _TableLocks()


def read_item(account: str, region: str, table: str, key: Mapping[str, Any]) -> dict[str, Any] | None:
    """An item as a consistent GetItem returns it (DynamoDB JSON), read from moto's backend under the table's lock:
    for the local runtime's own observations (waits, reports), which need not pay for a request's parsing and
    serialization, nor for faults meant for the handlers."""
    with contextlib.ExitStack() as held:
        for lock in _LOCKS.of([table]):
            held.enter_context(lock)
        item = dynamodb_backends[account][region].get_item(table, dict(key))
        return dict(item.to_json()["Attributes"]) if item is not None else None


def tables_of(action: str, params: Mapping[str, Any]) -> list[str]:
    """The tables a DynamoDB call touches ("" for a call on none, e.g. ListTables)."""
    if isinstance(params.get("TableName"), str):
        return [params["TableName"]]
    if action.startswith("Transact"):
        return [
            str(operation.get("TableName"))
            for item in params.get("TransactItems", [])
            for operation in item.values()
            if isinstance(operation, dict)
        ] or [""]
    if isinstance(params.get("RequestItems"), dict):
        return list(params["RequestItems"]) or [""]
    return [""]


def written_items(action: str, params: Mapping[str, Any]) -> Written:
    """What a successful write wrote: (table, the item or its key), in DynamoDB's JSON."""
    if action == "PutItem":
        return [(str(params.get("TableName")), params.get("Item") or {})]
    if action in {"UpdateItem", "DeleteItem"}:
        return [(str(params.get("TableName")), params.get("Key") or {})]
    written: Written = []
    for item in params.get("TransactItems", []):
        for kind, operation in item.items():
            if kind != "ConditionCheck" and isinstance(operation, dict):
                written.append((str(operation.get("TableName")), operation.get("Item") or operation.get("Key") or {}))
    for table, requests in (params.get("RequestItems") or {}).items():
        for request in requests:
            for operation in request.values():
                written.append((table, operation.get("Item") or operation.get("Key") or {}))
    return written


def serving(fault_for: FaultFor, on_write: OnWrite | None = None, on_call: OnCall | None = None) -> Any:
    """DynamoDB calls on one table run one at a time, after `fault_for(action, table)` had its say: an injected
    error, or latency before the call. `on_write` hears of every write that succeeded: what it wrote; `on_call` of
    every call served (its action, parameters and answer), for the meter."""
    locks = _LOCKS

    def call_action(self: DynamoHandler) -> Any:
        action = self._get_action()
        params = getattr(self, "params", None) or {}
        fault = fault_for(action, params.get("TableName"))
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)  # outside the locks: other calls go on meanwhile
            if fault.error is not None:
                return 400, error_headers("application/x-amz-json-1.0"), error_body(fault.error)
        with contextlib.ExitStack() as held:
            for lock in locks.of(tables_of(action, params)):
                held.enter_context(lock)
            answer = _CALL_ACTION(self)
        if on_call is not None:  # counted before anyone waiting for the write hears of it
            on_call(action, params, answer)
        if on_write is not None and action in _WRITES and _status(answer) < 300:
            on_write(written_items(action, params))
        return answer

    return call_action


def _status(answer: Any) -> int:
    """A moto response's status: (status, headers, body), or just a body for 200."""
    if isinstance(answer, tuple) and answer and isinstance(answer[0], int):
        return answer[0]
    return 200


def query_unsorted(self: Table, *args: Any, **kwargs: Any) -> Any:
    """`Table.query`: moto sorts the whole table (`all_items`) before it keeps a Query's matches, and compares each
    item's partition key through its typed values (a tenth of a millisecond an item): every Query on an index of a
    10,000-order table took 70-300 ms, whatever it matched. Inside a Query the table's items come unsorted and, for
    string partition keys, only those whose key is equal as written (moto still checks and sorts them)."""
    wanted = [
        (name, value.type, value.value)
        for name, value in kwargs.get("hash_key_conditions") or []
        if getattr(value, "type", None) == "S"  # a number's text may differ where its value does not
    ]
    _in_query.wanted = wanted
    _in_query.on = True
    try:
        return _QUERY(self, *args, **kwargs)
    finally:
        _in_query.on = False
        _in_query.wanted = []


def _matches(item: Any, wanted: list[tuple[str, str, Any]]) -> bool:
    for name, kind, value in wanted:
        found = item.attrs.get(name)
        if found is None or found.type != kind or found.value != value:
            return False
    return True


def all_items(self: Table) -> list[Any]:
    """`Table.all_items`: inside a Query, unsorted and only the items its partition key conditions can match (moto
    sorts and checks what it keeps); anywhere else sorted as moto sorts them (a Scan pages in that order)."""
    if not getattr(_in_query, "on", False):
        items: list[Any] = _ALL_ITEMS(self)
        return items
    wanted = getattr(_in_query, "wanted", [])
    found: list[Any] = []
    for by_hash in self.items.values():
        for item in by_hash.values() if self.range_key_attr else (by_hash,):
            if _matches(item, wanted):
                found.append(item)
    return found
