"""The orders-by-time index's keys (handlers.domain.listing): the shard an order id falls in, and the sort key that
orders the list by acceptance time, then order id."""

from __future__ import annotations

from collections import Counter

import pytest

from handlers.domain import listing
from handlers.domain.identifiers import new_order_id

# Mutants of handlers/domain/listing.py no test can kill, each with the reason (tests.support.mutation_score).
EQUIVALENT_MUTANTS: dict[str, str] = {
    "handlers.domain.listing.x_list_shard__mutmut_3": "find and rfind agree: the alphabet's characters are distinct",
    "handlers.domain.listing.x_list_shard__mutmut_6": (
        "position 0 counted as the alphabet's length lands in the same shard: 32 % 8 == 0 % 8"
    ),
    "handlers.domain.listing.x_list_shard__mutmut_7": (
        "position 0 counted as the alphabet's length lands in the same shard: 32 % 8 == 0 % 8"
    ),
}


def test_there_are_eight_shards_named_after_their_number() -> None:
    assert listing.LIST_SHARDS == 8
    assert listing.list_shards() == tuple(f"list#{n}" for n in range(8))


@pytest.mark.parametrize(
    ("order_id", "shard"),
    [
        ("ord_" + "a" * 26, "list#0"),  # a: position 0
        ("ord_" + "a" * 25 + "b", "list#1"),
        ("ord_" + "a" * 25 + "h", "list#7"),
        ("ord_" + "a" * 25 + "i", "list#0"),  # position 8
        ("ord_" + "a" * 25 + "z", "list#1"),  # position 25
        ("ord_" + "a" * 25 + "2", "list#2"),  # position 26
        ("ord_" + "a" * 25 + "7", "list#7"),  # position 31, the alphabet's last
        ("ord_" + "b" * 25 + "a", "list#0"),  # only the last character counts
    ],
)
def test_the_shard_is_the_last_character_s_place_in_the_id_alphabet_modulo_eight(order_id: str, shard: str) -> None:
    assert listing.list_shard(order_id) == shard


def test_a_string_no_order_id_is_falls_in_shard_zero_as_in_jsonata() -> None:
    # JSONata's $substringBefore returns the whole alphabet for a character it lacks (32 % 8 = 0), and "" for "".
    assert listing.list_shard("ord_" + "a" * 25 + "9") == "list#0"
    assert listing.list_shard("ord_" + "a" * 25 + "A") == "list#0"
    assert listing.list_shard("") == "list#0"


def test_new_order_ids_spread_over_every_shard() -> None:
    counts = Counter(listing.list_shard(new_order_id()) for _ in range(8000))
    assert set(counts) == set(listing.list_shards())
    assert min(counts.values()) > 800  # 1,000 each expected; a skew would make one partition hot


def test_the_sort_key_is_the_acceptance_time_then_the_order_id_and_reads_back() -> None:
    key = listing.list_key("2026-12-05T10:15:42.123Z", "ord_" + "a" * 26)
    assert key == "2026-12-05T10:15:42.123Z#ord_" + "a" * 26
    assert listing.position_of(key) == ("2026-12-05T10:15:42.123Z", "ord_" + "a" * 26)
    earlier = listing.list_key("2026-12-05T10:15:42.122Z", "ord_" + "z" * 26)
    assert earlier < key  # the time sorts first, as it reads
    assert key < listing.list_key("2026-12-05T10:15:42.123Z", "ord_" + "b" * 26)  # then the id


@pytest.mark.parametrize("key", ["", "no separator", "#ord_x", "2026-12-05T10:15:42.123Z#"])
def test_a_key_no_writer_made_is_refused(key: str) -> None:
    with pytest.raises(ValueError, match="not an orders-list key"):
        listing.position_of(key)


def test_a_key_is_read_back_at_its_last_separator_and_a_bad_one_is_named_cut() -> None:
    # The order id holds no separator; the part before it is the time, whatever it holds.
    assert listing.position_of("2026-12-06T01:00:00.000Z#odd#ord_x") == ("2026-12-06T01:00:00.000Z#odd", "ord_x")
    with pytest.raises(ValueError) as refused:
        listing.position_of("x" * 200)
    assert str(refused.value) == f"not an orders-list key: {'x' * 80!r}"
