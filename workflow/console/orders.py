"""The orders list's pieces, pure: the filter and its page tokens, a row, a page, one shard's Query for a page and
how the shards' reads merge into a page. workflow.console.order_list reads them.

The list reads the orders table's orders-by-time index (workflow.manifest ORDERS_BY_TIME_INDEX; its keys are
handlers.domain.listing's: eight shards by order id, each sorted by acceptance time, then order id). A page is a Query
per shard, merged newest first: each starts after the page token's position and stays inside the time window (key
conditions); a status is its FilterExpression, so only what matches comes back. A page holds only rows that every
shard has been read past (`merge`), so no row is skipped or shown twice from one page to the next; a page token is
the position (listKey) of the last row shown, so a page stays where it was while new orders arrive above it.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from handlers.domain import listing
from handlers.domain.identifiers import is_order_id
from handlers.domain.order import OrderStatus
from workflow.manifest import ORDERS_BY_TIME_INDEX

PAGE_SIZE = 50
# A shard's first Query for a page asks for 2.5 times its share of the page (16 entries for 50 rows): eight shards
# of random orders then cover the page in one round 998 times in 1,000 (1.5 times: 4 in 10). When they do not, merge
# holds back what a shard has not been read past, and the least-read shard is read further.
FIRST_READ_SHARE = 2.5
# With a status filter a shard's Query evaluates up to this many index entries (≈ 200 B each: well under its 1 MB),
# and a shard is read at most SHARD_BUDGET entries for one page: a status no recent order has is looked for that far
# back, then the page says how far it looked and its pager goes on from there.
FILTERED_READ = 2_000
SHARD_BUDGET = 10_000
WINDOWS = {"15m": timedelta(minutes=15), "1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7)}
STATUSES = tuple(status.value for status in OrderStatus)
# The rows whose failure the list shows: it failed, or failed and is being run again.
WITH_FAILURE = frozenset({OrderStatus.FAILED.value, OrderStatus.REDRIVING.value})


class BadFilter(ValueError):
    """A filter or page token the list cannot use; the message says which and what is allowed."""


@dataclass(frozen=True)
class OrderRow:
    order_id: str
    status: str
    submitted: str  # ISO time the API accepted it (the index's sort key)
    updated: str
    currency: str
    total: str
    failed_state: str
    failed_error: str

    @property
    def key(self) -> str:
        """Its position in the index (listKey): what a page token holds."""
        return listing.list_key(self.submitted, self.order_id)


@dataclass(frozen=True)
class Filter:
    status: str | None = None
    window: str | None = None
    after: str | None = None  # the position (listKey) of the previous page's last row

    @classmethod
    def parse(cls, status: str | None, window: str | None, page: str | None) -> Filter:
        status = (status or "").strip().upper() or None
        if status is not None and status not in STATUSES:
            raise BadFilter(f"unknown status {status[:40]!r}: use one of {', '.join(STATUSES)}")
        window = (window or "").strip() or None
        if window is not None and window not in WINDOWS:
            raise BadFilter(f"unknown time window {window[:40]!r}: use one of {', '.join(WINDOWS)}")
        return cls(status, window, decode_token(page) if page else None)


def encode_token(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def decode_token(token: str) -> str:
    """The position a page token holds; BadFilter for a token this console did not make."""
    try:
        key = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
        accepted_at, order_id = listing.position_of(key)
        datetime.fromisoformat(accepted_at)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadFilter("the page token is not one this console made: start again from the first page") from None
    if not is_order_id(order_id):
        raise BadFilter("the page token is not one this console made: start again from the first page")
    return key


@dataclass(frozen=True)
class Page:
    rows: list[OrderRow]
    next_token: str | None
    read_at: float  # when it was read (epoch seconds)
    # Set when a status was looked for as far back as one page may read and the page is not full: the acceptance
    # time it looked back to (the pager goes on from there).
    searched_to: str | None = None


@dataclass(frozen=True)
class ShardRead:
    """What one shard gave for a page: its rows, newest first, and how far it was read: the position of the last
    entry it evaluated, or None when it has nothing more for this page's query."""

    rows: list[OrderRow]
    reached: str | None


def boundary(reads: Iterable[ShardRead]) -> str | None:
    """Where the least-read shard stopped: every shard has been read down to it (None: every shard is done)."""
    stops = [read.reached for read in reads if read.reached is not None]
    return max(stops) if stops else None


def complete_rows(reads: Iterable[ShardRead]) -> list[OrderRow]:
    """The rows every shard has been read past, newest first: none newer than the boundary is missing."""
    reads = list(reads)
    stop = boundary(reads)
    rows = (row for read in reads for row in read.rows if stop is None or row.key >= stop)
    return sorted(rows, key=lambda row: row.key, reverse=True)


def merge(reads: Iterable[ShardRead], size: int, read_at: float) -> Page:
    """One page from every shard's read: `size` of the complete rows, and the token of the next page, which starts
    after the last row shown or, when a shard stopped short (a filter's budget), where it stopped."""
    reads = list(reads)
    complete, stop = complete_rows(reads), boundary(reads)
    shown = complete[:size]
    if len(complete) > size:
        return Page(shown, encode_token(shown[-1].key), read_at)
    if stop is not None:
        accepted_at, _ = listing.position_of(stop)
        return Page(shown, encode_token(stop), read_at, searched_to=accepted_at)
    return Page(shown, None, read_at)


def first_limit(size: int, status: str | None) -> int:
    """How many entries a shard's first Query for a page evaluates."""
    if status is not None:
        return FILTERED_READ
    return math.ceil((size + 1) * FIRST_READ_SHARE / listing.LIST_SHARDS)


def query_arguments(table: str, shard: str, wanted: Filter, since: str | None, limit: int) -> dict[str, Any]:
    """One shard's Query for a page: newest first, after the page token's position, inside the time window, the
    status as a filter (the Limit counts what is evaluated, not what matches)."""
    values: dict[str, Any] = {":shard": {"S": shard}}
    condition = f"{listing.LIST_SHARD} = :shard"
    if since is not None and wanted.after is not None:
        condition += f" AND {listing.LIST_KEY} BETWEEN :since AND :before"
        values[":since"], values[":before"] = {"S": since}, {"S": wanted.after}
    elif since is not None:
        condition += f" AND {listing.LIST_KEY} >= :since"
        values[":since"] = {"S": since}
    elif wanted.after is not None:
        condition += f" AND {listing.LIST_KEY} < :before"
        values[":before"] = {"S": wanted.after}
    arguments: dict[str, Any] = {
        "TableName": table,
        "IndexName": ORDERS_BY_TIME_INDEX,
        "KeyConditionExpression": condition,
        "ScanIndexForward": False,
        "Limit": limit,
    }
    if wanted.status is not None:
        arguments["FilterExpression"] = "#s = :status"
        arguments["ExpressionAttributeNames"] = {"#s": "status"}
        values[":status"] = {"S": wanted.status}
    arguments["ExpressionAttributeValues"] = values
    return arguments


def text(item: Mapping[str, Any], name: str) -> str:
    """An attribute of an item in DynamoDB's JSON, as text ("" when absent)."""
    value = item.get(name) or {}
    return str(value.get("S") or value.get("N") or "")


def row_of(item: Mapping[str, Any]) -> OrderRow:
    """A row from the index's entry (its keys and what it projects)."""
    accepted_at, order_id = listing.position_of(text(item, listing.LIST_KEY))
    return OrderRow(
        order_id=text(item, "orderId") or order_id,
        status=text(item, "status") or "?",
        submitted=accepted_at,
        updated=text(item, "updatedAt"),
        currency=text(item, "currency"),
        total=text(item, "total"),
        failed_state="",
        failed_error="",
    )
