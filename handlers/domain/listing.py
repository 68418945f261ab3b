"""Where an order sits in the orders table's time-sorted index (workflow.manifest ORDERS_BY_TIME_INDEX), which the
console's orders list reads newest first. Pure: the keys every writer of an order gives it, and how to read them back.

- Partition key `listShard`: one of LIST_SHARDS values, from the order id. Every order writes this index when it is
  written and at each status change; one DynamoDB partition takes at most 1,000 write units a second, so one
  partition for all would cap the system near 500 orders/s (Express workflows start thousands of executions a second
  by default) and, once throttled, hold back the orders table's own writes. Eight spread them as the open-orders
  index does; the list queries the eight in parallel and merges them.
- Sort key `listKey`: when the API accepted the order, then its id (`2026-12-05T10:15:42.123Z#ord_…`). The id makes
  it unique, so a page ends exactly where the next begins; the time sorts as it reads (handlers.clock.iso: UTC, ms).

The shard is the position of the id's last character in the id's alphabet, modulo LIST_SHARDS: the ids are random
base32 (handlers.domain.identifiers.new_order_id), so it is uniform, and the failure route (an order that fails
before CreateOrder is first written by RecordFailure) computes the same in JSONata, which has no arithmetic on hashes
(workflow.failure_route).
"""

from __future__ import annotations

LIST_SHARD = "listShard"
LIST_KEY = "listKey"
LIST_SHARDS = 8
# The characters of an order id after `ord_`, in order (handlers.domain.contract ORDER_ID_PATTERN).
ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
SHARD_PREFIX = "list#"
SEPARATOR = "#"


def list_shard(order_id: str) -> str:
    """The order's partition in the index. A last character outside the alphabet (no order id has one) counts as
    the alphabet's length, as JSONata's `$substringBefore` does, so both agree on every string."""
    position = ID_ALPHABET.find(order_id[-1:])
    if position < 0:
        position = len(ID_ALPHABET)
    return f"{SHARD_PREFIX}{position % LIST_SHARDS}"


def list_shards() -> tuple[str, ...]:
    """Every partition of the index: what a reader queries."""
    return tuple(f"{SHARD_PREFIX}{shard}" for shard in range(LIST_SHARDS))


def list_key(accepted_at: str, order_id: str) -> str:
    """The order's sort key: its acceptance time (ISO 8601, UTC), then its id."""
    return f"{accepted_at}{SEPARATOR}{order_id}"


def position_of(key: str) -> tuple[str, str]:
    """A sort key read back: (acceptance time, order id). Raises ValueError for a key no writer made."""
    accepted_at, separator, order_id = key.rpartition(SEPARATOR)
    if not separator or not accepted_at or not order_id:
        raise ValueError(f"not an orders-list key: {key[:80]!r}")
    return accepted_at, order_id
