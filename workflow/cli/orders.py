"""`orderflow submit` and `orderflow status`: the orders API as a client uses it."""

from __future__ import annotations

import argparse
import json
import sys
import uuid
from typing import Any

from workflow.cli.common import DEFAULT_URL, Commands, request

FINAL = {"FULFILLED", "FAILED"}


def register(commands: Commands) -> None:
    submit = commands.add_parser("submit", help="POST an order (JSON file, or - for stdin)")
    submit.add_argument("file")
    submit.add_argument("--key", help="Idempotency-Key (default: a new UUID)")
    submit.add_argument("--wait", action="store_true", help="follow the order to FULFILLED or FAILED")
    submit.add_argument("--timeout", type=float, default=60.0)
    submit.add_argument("--url", default=DEFAULT_URL)
    submit.set_defaults(run=_submit)

    status = commands.add_parser("status", help="show an order")
    status.add_argument("order_id")
    status.add_argument("--url", default=DEFAULT_URL)
    status.set_defaults(run=_status)


def _follow(base: str, order_id: str, timeout: float) -> Any:
    """The order once it is final, or as it is when `timeout` runs out. The order was just accepted, so a 404 means
    "not written yet" (on Express, nothing answers for an order before CreateOrder writes it): keep following."""
    from workflow.local.waiting import WaitTimeout, poll_until

    seen: list[Any] = [None]

    def final() -> Any:
        status, _, body = request("GET", f"{base}/orders/{order_id}")
        seen[0] = body
        return body if status not in (200, 404) or body.get("status") in FINAL else None

    try:
        return poll_until(final, timeout=timeout, what=f"order {order_id} final", first=0.1, longest=1.0)
    except WaitTimeout:
        return seen[0]


def _submit(args: argparse.Namespace) -> int:
    text = sys.stdin.read() if args.file == "-" else open(args.file, encoding="utf-8").read()  # noqa: SIM115
    key = args.key or str(uuid.uuid4())
    status, headers, body = request(
        "POST",
        f"{args.url}/orders",
        data=text.encode("utf-8"),
        headers={"Content-Type": "application/json", "Idempotency-Key": key},
    )
    print(json.dumps(body, indent=2))
    if status != 202:
        return 2
    print(
        f"Idempotency-Key: {key}" + ("  (replayed)" if headers.get("idempotent-replayed") else ""),
        file=sys.stderr,
    )
    if not args.wait:
        return 0
    order = _follow(args.url, body["orderId"], args.timeout)
    print(json.dumps(order, indent=2))
    final = order.get("status") if isinstance(order, dict) else None
    if final not in FINAL:
        state = "not found" if final == 404 else final
        print(f"orderflow: order still {state} after {args.timeout}s", file=sys.stderr)
        return 3
    return 0 if final == "FULFILLED" else 1


def _status(args: argparse.Namespace) -> int:
    status, _, body = request("GET", f"{args.url}/orders/{args.order_id}")
    print(json.dumps(body, indent=2))
    return 0 if status == 200 else 2
