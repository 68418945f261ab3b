"""How fast the console answers: the orders list with many orders in the table, how soon a new order shows in it,
and one order's page.

    from workflow.console.bench import measure
    print(measure(target, order_id="ord_...", seed=10_000).text())

`seed` writes that many synthetic FULFILLED orders into the target's orders table first, with the keys CreateOrder
gives them (a throwaway local system only: they stay). Times are server times (the WSGI call, no network), the
median of `repeat` calls. "a new order shows after" is the time from an order's write to the first live rows
fragment that lists it, asked every 0.1 s of a console with the default refresh (a browser asks every 2 s).
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from werkzeug.test import Client

from handlers.clock import iso
from handlers.domain import listing
from workflow.console.app import ConsoleApp
from workflow.console.orders import Filter
from workflow.ops.targets import Target, connect

_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"


@dataclass(frozen=True)
class Timings:
    orders: int
    figures: dict[str, float] = field(default_factory=dict)  # what -> milliseconds

    def text(self) -> str:
        lines = [f"console server times with {self.orders} orders in the table (median ms):"]
        lines += [f"  {what:44} {ms:8.1f}" for what, ms in self.figures.items()]
        return "\n".join(lines)


def synthetic_order(at: datetime, status: str = "FULFILLED") -> dict[str, Any]:
    """An order item as CreateOrder writes its listed fields (DynamoDB JSON), accepted at `at`."""
    order_id = "ord_" + "".join(secrets.choice(_BASE32) for _ in range(26))
    stamp = iso(at)
    return {
        "orderId": {"S": order_id},
        "status": {"S": status},
        "createdAt": {"S": stamp},
        "updatedAt": {"S": stamp},
        "currency": {"S": "EUR"},
        "total": {"N": "25.99"},
        listing.LIST_SHARD: {"S": listing.list_shard(order_id)},
        listing.LIST_KEY: {"S": listing.list_key(stamp, order_id)},
    }


def seed_orders(target: Target, count: int) -> None:
    """`count` synthetic FULFILLED orders, one a second back from now."""
    client = target.client("dynamodb")
    table = target.output("OrdersTableName")
    now = datetime.now(UTC)
    batch = []
    for n in range(count):
        batch.append({"PutRequest": {"Item": synthetic_order(now - timedelta(seconds=n + 60))}})
        if len(batch) == 25:
            client.batch_write_item(RequestItems={table: batch})
            batch = []
    if batch:
        client.batch_write_item(RequestItems={table: batch})


def _time(client: Client, path: str, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path, headers={"Host": "127.0.0.1"})
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
    return statistics.median(times)


def measure(target: Target, order_id: str | None = None, seed: int = 0, repeat: int = 5) -> Timings:
    if seed:
        seed_orders(target, seed)
    app = ConsoleApp(target, list_max_age=3600.0)
    client = Client(app)
    figures: dict[str, float] = {}
    figures["orders list, first page (cold: reads the index)"] = _time(client, "/orders", 1)
    figures["orders list, first page (warm)"] = _time(client, "/orders", repeat)
    failed = "/orders?status=FAILED&window=24h"
    figures["orders list, FAILED in the last 24h (cold)"] = _time(client, failed, 1)
    figures["orders list, FAILED in the last 24h (warm)"] = _time(client, failed, repeat)
    page = app.orders.page(Filter())
    if page.next_token:
        figures["orders list, second page (cold)"] = _time(client, f"/orders?page={page.next_token}", 1)
        figures["orders list, second page (warm)"] = _time(client, f"/orders?page={page.next_token}", repeat)
    figures["orders live rows fragment (warm)"] = _time(client, "/orders/rows", repeat)
    reads = []
    for _ in range(max(1, repeat // 2)):
        started = time.perf_counter()
        app.orders.read(Filter())
        reads.append((time.perf_counter() - started) * 1000)
    figures["orders list, a page read (a Query per shard)"] = statistics.median(reads)
    figures["orders list, a new order shows after"] = new_order_delay(target)
    total = int(
        target.client("dynamodb").describe_table(TableName=target.output("OrdersTableName"))["Table"]["ItemCount"]
    )
    if order_id is not None:
        figures["order page (first: renders the graph)"] = _time(client, f"/orders/{order_id}", 1)
        figures["order page"] = _time(client, f"/orders/{order_id}", repeat)
        figures["order live fragment, unchanged (204)"] = _time_live(client, app, order_id, repeat)
    return Timings(total, figures)


def new_order_delay(target: Target, timeout: float = 300.0) -> float:
    """Milliseconds from a new order's write to the first live rows fragment that lists it, on a console with the
    default refresh whose list was already read (asked every 0.1 s)."""
    app = ConsoleApp(target)
    client = Client(app)
    _time(client, "/orders/rows", 1)
    item = synthetic_order(datetime.now(UTC))
    written = time.perf_counter()
    target.client("dynamodb").put_item(TableName=target.output("OrdersTableName"), Item=item)
    deadline = written + timeout
    while time.perf_counter() < deadline:
        if item["orderId"]["S"] in client.get("/orders/rows", headers={"Host": "127.0.0.1"}).get_data(as_text=True):
            return (time.perf_counter() - written) * 1000
        time.sleep(0.1)
    raise RuntimeError(f"a new order did not show in the orders list within {timeout:.0f} s")


def _time_live(client: Client, app: ConsoleApp, order_id: str, repeat: int) -> float:
    fingerprint = app.reader.read(order_id).fingerprint
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(f"/orders/{order_id}/live?fp={fingerprint}", headers={"Host": "127.0.0.1"})
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--order", help="an order id to time its page")
    parser.add_argument("--seed", type=int, default=0, help="synthetic orders to write first (throwaway systems only)")
    parser.add_argument("--endpoint-url")
    args = parser.parse_args()
    print(measure(connect("local", endpoint_url=args.endpoint_url), args.order, args.seed).text())


if __name__ == "__main__":
    main()
