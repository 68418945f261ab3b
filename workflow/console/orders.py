"""The orders list: newest first, by status and time window, a page at a time.

The orders table's key is the order id and its one index holds open orders only, so no query returns orders by
time: the list is one projected, parallel Scan of the few fields a row shows, held in memory and read again when it
is older than `max_age` (on AWS, when the table is large, raise it: each refresh reads the whole table). Every
viewer and every live update shares that one read; pages are slices of it, so a page costs no AWS call of its own
once the index is warm. A refresh waits at least `SCAN_SHARE` times as long as the last read took, so however
large the table grows, re-reading it takes at most a tenth of the process (locally moto serves the table in the
same process: a 10 s Scan each second would slow every other page and the workflow itself). A page token is the
cursor of the last row shown (its time and order id), so a page stays where it was while new orders arrive above
it.
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from handlers.domain.identifiers import is_order_id
from handlers.domain.order import OrderStatus
from workflow.ops.targets import Target

_log = logging.getLogger(__name__)
PAGE_SIZE = 50
SEGMENTS = 4
SCAN_SHARE = 10  # a refresh waits at least this many times the last read's duration
WINDOWS = {"15m": timedelta(minutes=15), "1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7)}
STATUSES = tuple(status.value for status in OrderStatus)
_PROJECTION = "orderId, #s, createdAt, updatedAt, currency, #t, failure.#state, failure.#error"
_NAMES = {"#s": "status", "#t": "total", "#state": "state", "#error": "error"}


class BadFilter(ValueError):
    """A filter or page token the list cannot use; the message says which and what is allowed."""


@dataclass(frozen=True)
class OrderRow:
    order_id: str
    status: str
    created: str  # ISO time (the order's submission, or its last change when it holds only a failure)
    updated: str
    currency: str
    total: str
    failed_state: str
    failed_error: str

    @property
    def cursor(self) -> tuple[str, str]:
        return self.created, self.order_id


@dataclass(frozen=True)
class Filter:
    status: str | None = None
    window: str | None = None
    after: tuple[str, str] | None = None  # the cursor of the previous page's last row

    @classmethod
    def parse(cls, status: str | None, window: str | None, page: str | None) -> Filter:
        status = (status or "").strip().upper() or None
        if status is not None and status not in STATUSES:
            raise BadFilter(f"unknown status {status[:40]!r}: use one of {', '.join(STATUSES)}")
        window = (window or "").strip() or None
        if window is not None and window not in WINDOWS:
            raise BadFilter(f"unknown time window {window[:40]!r}: use one of {', '.join(WINDOWS)}")
        return cls(status, window, decode_token(page) if page else None)


def encode_token(cursor: tuple[str, str]) -> str:
    return base64.urlsafe_b64encode(f"{cursor[0]}|{cursor[1]}".encode()).decode().rstrip("=")


def decode_token(token: str) -> tuple[str, str]:
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
        created, order_id = text.split("|")
        datetime.fromisoformat(created)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadFilter("the page token is not one this console made: start again from the first page") from None
    if not is_order_id(order_id):
        raise BadFilter("the page token is not one this console made: start again from the first page")
    return created, order_id


@dataclass(frozen=True)
class Page:
    rows: list[OrderRow]
    next_token: str | None
    matching: int  # rows matching the filter (all pages)
    total: int  # orders in the table
    read_at: float  # when the index was read (epoch seconds)


class OrderIndex:
    """Every order's row, newest first, read by a projected Scan at most every `max_age` seconds."""

    def __init__(self, target: Target, max_age: float = 1.0, clock: Callable[[], float] = time.time) -> None:
        self._target = target
        self._table = target.output("OrdersTableName")
        self._client = target.client("dynamodb")
        self.max_age = max_age
        self._clock = clock
        self._rows: list[OrderRow] = []
        self._read_at = 0.0
        self._lock = threading.Lock()
        self._refreshing = False
        self._took = 0.0  # seconds the last read took

    @property
    def refresh_after(self) -> float:
        """Seconds a read is served before it is read again: `max_age`, or longer when the table is slow to read."""
        return max(self.max_age, SCAN_SHARE * self._took)

    def rows(self) -> tuple[list[OrderRow], float]:
        """The rows: the first call reads the table; after that a stale read is refreshed in the background and the
        previous read is served meanwhile, so no page waits on a Scan once there is one."""
        with self._lock:
            stale = self._clock() - self._read_at > self.refresh_after
            if self._read_at and (not stale or self._refreshing):
                return self._rows, self._read_at
            cold = not self._read_at
            self._refreshing = True
        if cold:
            self._refresh()
            return self._rows, self._read_at
        threading.Thread(target=self._refresh, name="console-orders", daemon=True).start()
        return self._rows, self._read_at

    def _refresh(self) -> None:
        try:
            started = time.perf_counter()
            rows = self._scan()
            with self._lock:
                self._rows, self._read_at = rows, self._clock()
                self._took = time.perf_counter() - started
        except Exception:  # the next page view tries again; this one keeps the previous read
            _log.warning("console: reading the orders table failed", exc_info=True)
        finally:
            with self._lock:
                self._refreshing = False

    def _scan(self) -> list[OrderRow]:
        def segment(number: int) -> list[OrderRow]:
            found = []
            arguments: dict[str, Any] = {
                "TableName": self._table,
                "ProjectionExpression": _PROJECTION,
                "ExpressionAttributeNames": _NAMES,
                "Segment": number,
                "TotalSegments": SEGMENTS,
            }
            while True:
                page = self._client.scan(**arguments)
                found += [_row(item) for item in page.get("Items", [])]
                if "LastEvaluatedKey" not in page:
                    return found
                arguments["ExclusiveStartKey"] = page["LastEvaluatedKey"]

        with ThreadPoolExecutor(SEGMENTS) as pool:
            rows = [row for rows in pool.map(segment, range(SEGMENTS)) for row in rows]
        rows.sort(key=lambda r: r.cursor, reverse=True)
        return rows

    def page(self, wanted: Filter, size: int = PAGE_SIZE) -> Page:
        rows, read_at = self.rows()
        return page_of(rows, wanted, size, read_at, datetime.now(UTC))


def page_of(rows: Sequence[OrderRow], wanted: Filter, size: int, read_at: float, now: datetime) -> Page:
    """One page of `rows` (newest first) that match the filter, after the cursor."""
    since = (now - WINDOWS[wanted.window]).isoformat() if wanted.window else ""
    matching = [
        row
        for row in rows
        if (wanted.status is None or row.status == wanted.status) and (not since or _utc(row.created) >= since)
    ]
    start = 0
    if wanted.after is not None:
        after = wanted.after
        start = next((i for i, row in enumerate(matching) if row.cursor < after), len(matching))
    shown = matching[start : start + size]
    more = start + size < len(matching)
    return Page(shown, encode_token(shown[-1].cursor) if shown and more else None, len(matching), len(rows), read_at)


def _utc(text: str) -> str:
    try:
        return datetime.fromisoformat(text).astimezone(UTC).isoformat()
    except ValueError:
        return ""


def _row(item: dict[str, Any]) -> OrderRow:
    def text(name: str) -> str:
        value = item.get(name) or {}
        return str(value.get("S") or value.get("N") or "")

    failure = (item.get("failure") or {}).get("M") or {}
    updated = text("updatedAt")
    return OrderRow(
        order_id=text("orderId"),
        status=text("status") or "?",
        created=text("createdAt") or updated,
        updated=updated,
        currency=text("currency"),
        total=text("total"),
        failed_state=str((failure.get("state") or {}).get("S", "")),
        failed_error=str((failure.get("error") or {}).get("S", "")),
    )
