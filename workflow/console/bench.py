"""How fast the console answers: the orders list with many orders in the table, and one order's page.

    from workflow.console.bench import measure
    print(measure(target, order_id="ord_...", seed=10_000).text())

`seed` writes that many synthetic FULFILLED orders into the target's orders table first (a throwaway local system
only: they stay). Times are server times (the WSGI call, no network), the median of `repeat` calls.
"""

from __future__ import annotations

import argparse
import secrets
import statistics
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from werkzeug.test import Client

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


def seed_orders(target: Target, count: int) -> None:
    """`count` synthetic FULFILLED orders, one a second back from now."""
    client = target.client("dynamodb")
    table = target.output("OrdersTableName")
    now = datetime.now(UTC)
    batch = []
    for n in range(count):
        at = (now - timedelta(seconds=n + 60)).isoformat(timespec="milliseconds")
        order_id = "ord_" + "".join(secrets.choice(_BASE32) for _ in range(26))
        item = {
            "orderId": {"S": order_id},
            "status": {"S": "FULFILLED"},
            "createdAt": {"S": at},
            "updatedAt": {"S": at},
            "currency": {"S": "EUR"},
            "total": {"N": "25.99"},
        }
        batch.append({"PutRequest": {"Item": item}})
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
    figures["orders list, first page (cold: reads the table)"] = _time(client, "/orders", 1)
    figures["orders list, first page (warm)"] = _time(client, "/orders", repeat)
    figures["orders list, FAILED in the last 24h (warm)"] = _time(client, "/orders?status=FAILED&window=24h", repeat)
    page = app.index.page(Filter())
    if page.next_token:
        figures["orders list, second page (warm)"] = _time(client, f"/orders?page={page.next_token}", repeat)
    figures["orders live rows fragment (warm)"] = _time(client, "/orders/rows", repeat)
    app.index.max_age = 0.0
    figures["orders list, table read again each time"] = _time(client, "/orders", max(1, repeat // 2))
    rows = app.index.rows()[0]
    total = len(rows)
    if order_id is not None:
        figures["order page (first: renders the graph)"] = _time(client, f"/orders/{order_id}", 1)
        figures["order page"] = _time(client, f"/orders/{order_id}", repeat)
        figures["order live fragment, unchanged (204)"] = _time_live(client, app, order_id, repeat)
    return Timings(total, figures)


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
