"""Orders per second through the whole local pipeline (API -> workflow -> queue -> worker -> FULFILLED).

.venv/bin/python bench/throughput.py --orders 100 --concurrency 8 [--query-language JSONPath]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from workflow.definition import JSONATA, QUERY_LANGUAGES
from workflow.local.runtime import LocalRuntime, RuntimeConfig

ORDER = {"customerId": "bench", "currency": "EUR", "items": [{"sku": "A", "quantity": 1, "unitPrice": "1.00"}]}


def event() -> dict[str, object]:
    return {
        "version": "2.0",
        "routeKey": "POST /orders",
        "rawPath": "/orders",
        "headers": {"content-type": "application/json", "idempotency-key": str(uuid.uuid4())},
        "requestContext": {"requestId": str(uuid.uuid4()), "http": {"method": "POST", "path": "/orders"}},
        "body": json.dumps(ORDER),
        "isBase64Encoded": False,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--orders", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--query-language", choices=QUERY_LANGUAGES, default=JSONATA)
    args = parser.parse_args()
    with LocalRuntime(RuntimeConfig(time_scale=0.01, query_language=args.query_language)) as runtime:

        def one(_: int) -> float:
            started = time.monotonic()
            accepted = json.loads(runtime.invoke_api(event())["body"])
            runtime.wait_for_order(accepted["orderId"], ["FULFILLED"], timeout=120)
            return time.monotonic() - started

        began = time.monotonic()
        with ThreadPoolExecutor(args.concurrency) as pool:
            latencies = sorted(pool.map(one, range(args.orders)))
        elapsed = time.monotonic() - began
    print(
        json.dumps(
            {
                "orders": args.orders,
                "concurrency": args.concurrency,
                "seconds": round(elapsed, 2),
                "orders_per_second": round(args.orders / elapsed, 1),
                "latency_p50_s": round(statistics.median(latencies), 3),
                "latency_p95_s": round(latencies[int(0.95 * (len(latencies) - 1))], 3),
            }
        )
    )


if __name__ == "__main__":
    main()
