"""The orders-by-time index on the running local system, and the console's list over it: every writer of an order
gives it the keys handlers.domain.listing computes (CreateOrder; RecordFailure's JSONata for an order that failed
before CreateOrder; a rerun's takeover keeps them), the index follows the order's status, and the list pages through
it newest first, each order once, by status and time. The order page's live view answers "no change" from a cheap
marker and sees a change at once."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from handlers.clock import iso
from handlers.domain import listing
from tests.support.fixtures import Submit, create_order_store_retry
from workflow import cli
from workflow.console import Console
from workflow.console.bench import synthetic_order
from workflow.console.orders import Filter, decode_token
from workflow.local.runtime import LocalRuntime
from workflow.local.samples import sample_order
from workflow.manifest import ORDERS_BY_TIME_INDEX
from workflow.ops.order_index import index_existing
from workflow.ops.rerun import rerun_order
from workflow.ops.targets import Target, connect


@pytest.fixture(scope="module")
def local(runtime: LocalRuntime) -> Target:
    return connect("local", endpoint_url=runtime.aws_endpoint or runtime.serve_aws(port=0))


@pytest.fixture(scope="module")
def console(local: Target) -> Iterator[Console]:
    with Console(local, port=0) as served:
        yield served


def listed(runtime: LocalRuntime, order_id: str) -> list[dict[str, Any]]:
    """The order's entries in the index, found where the list looks for it: its shard, by its acceptance time."""
    record = runtime.order(order_id)
    assert record is not None
    key = listing.list_key(record["history"][0]["at"], order_id)  # PENDING: when the API accepted it
    found: list[dict[str, Any]] = runtime.dynamodb.query(
        TableName=runtime.table_name("orders"),
        IndexName=ORDERS_BY_TIME_INDEX,
        KeyConditionExpression="listShard = :shard AND listKey = :key",
        ExpressionAttributeValues={":shard": {"S": listing.list_shard(order_id)}, ":key": {"S": key}},
    )["Items"]
    return found


def test_created_and_early_failed_orders_are_listed_where_the_list_looks_with_their_status(
    runtime: LocalRuntime, submit: Submit
) -> None:
    good = submit(sample_order())["json"]["orderId"]
    bad = submit(sample_order(currency="XQZ"))["json"]["orderId"]  # fails at ValidateOrder: RecordFailure writes it
    runtime.wait_for_order(good, ["FULFILLED"])
    runtime.wait_for_order(bad, ["FAILED"])
    for order_id, status in ((good, "FULFILLED"), (bad, "FAILED")):
        (entry,) = listed(runtime, order_id)
        assert entry["orderId"]["S"] == order_id
        assert entry["status"]["S"] == status
        assert "failure" not in entry  # not projected: the list reads it by key
    (fulfilled,) = listed(runtime, good)
    assert fulfilled["total"]["N"] == "25.99"  # what a row shows is projected


def test_a_rerun_keeps_the_order_where_the_failure_route_listed_it(
    runtime: LocalRuntime, local: Target, submit: Submit
) -> None:
    # CreateOrder cannot write it (its table throttled past the Retry): RecordFailure writes the order first.
    retry = create_order_store_retry()
    runtime.dynamodb_faults.throttle("PutItem", times=1 + retry["MaxAttempts"], table=runtime.table_name("orders"))
    order_id = submit(sample_order())["json"]["orderId"]
    failed = runtime.wait_for_order(order_id, ["FAILED"])
    assert "items" not in failed  # written by the failure route alone
    assert [entry["status"]["S"] for entry in listed(runtime, order_id)] == ["FAILED"]
    rerun_order(local, order_id)
    fulfilled = runtime.wait_for_order(order_id, ["FULFILLED"])
    assert (fulfilled[listing.LIST_SHARD], fulfilled[listing.LIST_KEY]) == (
        failed[listing.LIST_SHARD],
        failed[listing.LIST_KEY],
    )
    assert [entry["status"]["S"] for entry in listed(runtime, order_id)] == ["FULFILLED"]


def page_ids(html: str) -> list[str]:
    body = html[html.index('<tbody id="order-rows">') :]
    return re.findall(r'<a class="mono" href="/orders/(ord_[a-z2-7]{26})">', body[: body.index("</tbody>")])


def next_link(html: str) -> str | None:
    found = re.search(r'<a class="next" href="(/orders\?[^"]+)">', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_the_list_pages_through_the_index_newest_first_each_order_once(local: Target, console: Console) -> None:
    now = datetime.now(UTC)
    seeded = [synthetic_order(now - timedelta(minutes=30, seconds=n)) for n in range(130)]
    seeded.append(synthetic_order(now - timedelta(minutes=40), status="FAILED"))  # the oldest of them
    older = synthetic_order(now - timedelta(hours=3))
    dynamodb, table = local.client("dynamodb"), local.output("OrdersTableName")
    for item in [*seeded, older]:
        dynamodb.put_item(TableName=table, Item=item)

    shown: list[str] = []
    path: str | None = "/orders"
    while path is not None:
        html = requests.get(f"{console.url}{path}", timeout=60).text
        shown += page_ids(html)
        path = next_link(html)
    assert len(shown) == len(set(shown))  # no order twice
    ids = [item["orderId"]["S"] for item in seeded]
    assert [order_id for order_id in shown if order_id in ids] == ids  # every one, newest first
    assert older["orderId"]["S"] in shown

    # The rows the list reads, newest first across the shards, and a page token that goes on from the last row.
    first = console.app.orders.read(Filter(), 20)
    keys = [row.key for row in first.rows]
    assert keys == sorted(keys, reverse=True)
    assert first.next_token is not None
    assert decode_token(first.next_token) == keys[-1]

    hour = requests.get(f"{console.url}/orders?window=1h&status=FULFILLED", timeout=60).text
    assert older["orderId"]["S"] not in hour
    failed = requests.get(f"{console.url}/orders?status=FAILED", timeout=60).text
    assert seeded[-1]["orderId"]["S"] in page_ids(failed)
    assert not set(page_ids(failed)) & set(ids[:-1])


def test_the_live_view_answers_no_change_from_a_marker_and_sees_a_change(
    runtime: LocalRuntime, submit: Submit, console: Console
) -> None:
    order_id = submit(sample_order())["json"]["orderId"]
    runtime.wait_for_order(order_id, ["FULFILLED"])
    runtime.wait_for_execution(runtime.execution_arn(order_id))
    page = requests.get(f"{console.url}/orders/{order_id}", timeout=30).text
    (fingerprint,) = re.findall(r'data-live-fp="([^"]+)"', page)
    live = f"{console.url}/orders/{order_id}/live"
    assert requests.get(live, params={"fp": fingerprint}, timeout=30).status_code == 204
    assert console.app.reader.marker(order_id) == fingerprint

    # Anything that writes the order (the worker, the failure route, a rerun) changes its updatedAt.
    runtime.dynamodb.update_item(
        TableName=runtime.table_name("orders"),
        Key={"orderId": {"S": order_id}},
        UpdateExpression="SET updatedAt = :now",
        ExpressionAttributeValues={":now": {"S": datetime.now(UTC).isoformat()}},
    )
    changed = requests.get(live, params={"fp": fingerprint}, timeout=30)
    assert changed.status_code == 200
    (now_shown,) = re.findall(r'data-live-fp="([^"]+)"', changed.text)
    assert now_shown != fingerprint
    assert requests.get(live, params={"fp": now_shown}, timeout=30).status_code == 204
    unknown = f"{console.url}/orders/ord_{'a' * 26}/live"
    assert requests.get(unknown, params={"fp": fingerprint}, timeout=30).status_code == 404


def test_orders_stored_before_the_index_are_listed_by_index_existing(
    local: Target, console: Console, capsys: pytest.CaptureFixture[str]
) -> None:
    """A stack that stored orders before the orders-by-time index existed: they are not listed until `orderflow
    console --index-existing` gives them their keys (by their history's first time); running it again changes
    nothing."""
    dynamodb, table = local.client("dynamodb"), local.output("OrdersTableName")
    accepted = datetime.now(UTC) - timedelta(minutes=5)
    old = synthetic_order(accepted)
    del old[listing.LIST_SHARD], old[listing.LIST_KEY]
    old["history"] = {"L": [{"M": {"status": {"S": "PENDING"}, "at": {"S": iso(accepted)}}}]}
    dynamodb.put_item(TableName=table, Item=old)
    order_id = old["orderId"]["S"]
    assert not [row for row in console.app.orders.read(Filter(window="15m"), 500).rows if row.order_id == order_id]

    arguments = ["console", "--index-existing", "--endpoint-url", local.endpoint_url or ""]
    assert cli.main(arguments) == 0
    assert "order(s) listed now" in capsys.readouterr().out
    (row,) = [row for row in console.app.orders.read(Filter(window="15m"), 500).rows if row.order_id == order_id]
    assert row.submitted == iso(accepted)
    again = index_existing(local)
    assert (again.listed, again.unplaced) == (0, ())
