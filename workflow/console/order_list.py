"""The orders list, read: `OrderList.page(filter)` reads a page through the orders-by-time index (workflow.console.
orders: a Query per shard, merged) and keeps it.

A page's first round queries the eight shards in parallel, each for a little more than its share of the page; when
one shard's rows end too soon to fill the page (merge's boundary), that shard alone is read further, until the page
is full, the shards are done, or a status filter has looked as far back as a page may (SHARD_BUDGET). The index
leaves out the failure (its cause can be 16 KB), so a page's failed rows have their step and error read by key
(BatchGetItem), once per change of the row.

Each page read is kept for `max_age` seconds, or longer when reading is slow: at least READ_SHARE times as long as
the read took. Once there is a read, a stale one is served while it is read again in the background, so no page view
or live update waits on DynamoDB. Locally that bounds the share of moto's time the list takes: moto serves the table
in the same process, and every Query there goes through the whole table before it looks at the index (~30 ms a
shard at 10,000 orders with the emulator's Query row, workflow/emulator/dynamodb.py).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from handlers.clock import iso
from handlers.domain import listing
from workflow.console.orders import (
    FILTERED_READ,
    PAGE_SIZE,
    SHARD_BUDGET,
    WINDOWS,
    WITH_FAILURE,
    Filter,
    OrderRow,
    Page,
    ShardRead,
    boundary,
    complete_rows,
    first_limit,
    merge,
    query_arguments,
    row_of,
    text,
)
from workflow.ops.targets import Target

_log = logging.getLogger(__name__)
READ_SHARE = 10  # a page is read again no sooner than this many times as long as its last read took
CACHED_PAGES = 32
FAILURES_KEPT = 10_000
MAX_ROUNDS = 100  # a page's reads after the first round (each reads the shards that are behind)
PageKey = tuple[str | None, str | None, str | None]


@dataclass
class _Shard:
    """One shard's read for a page so far."""

    shard: str
    rows: list[OrderRow] = field(default_factory=list)
    start: Mapping[str, Any] | None = None  # where its next Query starts (the last one's LastEvaluatedKey)
    evaluated: int = 0
    done: bool = False  # it has nothing more for this page's query

    @property
    def read(self) -> ShardRead:
        reached = None if self.done or self.start is None else str(self.start[listing.LIST_KEY]["S"])
        return ShardRead(self.rows, reached)


@dataclass
class _Kept:
    page: Page
    took: float
    refreshing: bool = False


@dataclass
class OrderList:
    """Pages of the orders list, each read through the index and kept (see the module's docstring)."""

    target: Target
    max_age: float = 1.0
    clock: Callable[[], float] = time.time
    _pages: dict[PageKey, _Kept] = field(default_factory=dict, init=False)
    _failures: dict[str, tuple[str, str, str]] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        self._table = self.target.output("OrdersTableName")
        self._client = self.target.client("dynamodb")

    def refresh_after(self, took: float) -> float:
        """Seconds a page read is served before it is read again."""
        return max(self.max_age, READ_SHARE * took)

    def page(self, wanted: Filter, size: int = PAGE_SIZE) -> Page:
        """The page: read on its first view; after that, a stale read is served while it is read again in the
        background."""
        key = (wanted.status, wanted.window, wanted.after)
        with self._lock:
            kept = self._pages.get(key)
            if kept is not None:
                if self.clock() - kept.page.read_at > self.refresh_after(kept.took) and not kept.refreshing:
                    kept.refreshing = True
                    threading.Thread(
                        target=self._refresh_later, args=(key, wanted, size), name="console-orders", daemon=True
                    ).start()
                return kept.page
        return self._refresh(key, wanted, size)

    def _refresh_later(self, key: PageKey, wanted: Filter, size: int) -> None:
        try:
            self._refresh(key, wanted, size)
        except Exception:  # the next view tries again; until then the previous read is served
            _log.warning("console: reading the orders list failed", exc_info=True)
            with self._lock:
                kept = self._pages.get(key)
                if kept is not None:
                    kept.refreshing = False

    def _refresh(self, key: PageKey, wanted: Filter, size: int) -> Page:
        started = time.perf_counter()
        page = self.read(wanted, size)
        with self._lock:
            self._pages[key] = _Kept(page, time.perf_counter() - started)
            if len(self._pages) > CACHED_PAGES:
                del self._pages[min(self._pages, key=lambda k: self._pages[k].page.read_at)]
        return page

    def read(self, wanted: Filter, size: int = PAGE_SIZE) -> Page:
        """One page, read now (module docstring), with its failed rows' failures."""
        since = iso(datetime.now(UTC) - WINDOWS[wanted.window]) if wanted.window else None
        if since is not None and wanted.after is not None and wanted.after < since:
            return Page([], None, self.clock())  # paged past the window's start
        shards = [_Shard(shard) for shard in listing.list_shards()]
        limit = first_limit(size, wanted.status)
        with ThreadPoolExecutor(len(shards)) as pool:
            list(pool.map(lambda shard: self._query(shard, wanted, since, limit), shards))
        for _ in range(MAX_ROUNDS):
            reads = [shard.read for shard in shards]
            stop = boundary(reads)
            if stop is None or len(complete_rows(reads)) > size:
                break
            behind = [shard for shard in shards if shard.read.reached == stop]
            if any(shard.evaluated >= SHARD_BUDGET for shard in behind):
                break
            for shard in behind:
                self._query(shard, wanted, since, FILTERED_READ if wanted.status else size + 1)
        page = merge([shard.read for shard in shards], size, self.clock())
        return replace(page, rows=self._with_failures(page.rows))

    def _query(self, shard: _Shard, wanted: Filter, since: str | None, limit: int) -> None:
        """One more Query of the shard, from where its last one stopped."""
        arguments = query_arguments(self._table, shard.shard, wanted, since, limit)
        if shard.start is not None:
            arguments["ExclusiveStartKey"] = shard.start
        answer = self._client.query(**arguments)
        rows = map(row_of, answer.get("Items", []))
        shard.rows += [row for row in rows if wanted.after is None or row.key < wanted.after]
        shard.evaluated += int(answer.get("ScannedCount", 0))
        shard.start = answer.get("LastEvaluatedKey")
        shard.done = shard.start is None

    def _with_failures(self, rows: Sequence[OrderRow]) -> list[OrderRow]:
        """The rows, each failed one with its failed step and error (read by key once per change of the row)."""
        with self._lock:
            missing = [
                row.order_id
                for row in rows
                if row.status in WITH_FAILURE and self._failures.get(row.order_id, ("",))[0] != row.updated
            ]
        if missing:
            found = read_failures(self._client, self._table, missing)
            with self._lock:
                if len(self._failures) > FAILURES_KEPT:
                    self._failures.clear()
                self._failures.update(found)
        with self._lock:
            failures = {row.order_id: self._failures.get(row.order_id) for row in rows if row.status in WITH_FAILURE}
        shown = []
        for row in rows:
            failure = failures.get(row.order_id)
            shown.append(replace(row, failed_state=failure[1], failed_error=failure[2]) if failure else row)
        return shown


def read_failures(client: Any, table: str, order_ids: Sequence[str]) -> dict[str, tuple[str, str, str]]:
    """order id -> (updatedAt, failed step, error), read by key (BatchGetItem, 100 a call; what DynamoDB leaves
    unprocessed is asked again, up to five times)."""
    found: dict[str, tuple[str, str, str]] = {}
    for start in range(0, len(order_ids), 100):
        request: dict[str, Any] = {
            table: {
                "Keys": [{"orderId": {"S": order_id}} for order_id in order_ids[start : start + 100]],
                "ProjectionExpression": "orderId, updatedAt, failure.#state, failure.#error",
                "ExpressionAttributeNames": {"#state": "state", "#error": "error"},
            }
        }
        for _ in range(5):
            answer = client.batch_get_item(RequestItems=request)
            for item in answer.get("Responses", {}).get(table, []):
                failure = (item.get("failure") or {}).get("M") or {}
                found[text(item, "orderId")] = (text(item, "updatedAt"), text(failure, "state"), text(failure, "error"))
            request = answer.get("UnprocessedKeys") or {}
            if not request:
                break
    return found
