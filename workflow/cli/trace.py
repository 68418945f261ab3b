"""`orderflow trace ORDER_ID`: one order's journey as a timeline, from the request to its last alert delivery, with
its latency and what it cost on AWS (workflow.ops.trace)."""

from __future__ import annotations

import argparse
import json
import os
import sys

from workflow.cli.common import Commands, connect, target_arguments


def register(commands: Commands) -> None:
    trace = commands.add_parser(
        "trace",
        help="one order's journey: request, each state (retries, Catch), queue wait, worker, alerts and their "
        "deliveries, reruns, latency and cost",
        description="One order's timeline from what the system recorded: the order's status history, its executions "
        "(Standard: their histories; Express: their log records, which hold what the log level keeps) and the alert "
        "log. Offsets are from the API request; lines marked !! failed. Ends with the total latency and the order's "
        "cost on AWS, priced with `orderflow cost`'s table (the assumed figures are named).",
    )
    trace.add_argument("order_id")
    trace.add_argument("--json", action="store_true", help="print one JSON document instead")
    target_arguments(trace)
    trace.set_defaults(run=_trace)


def _trace(args: argparse.Namespace) -> int:
    from workflow.ops.trace import TraceError, read_trace

    target = connect(args)
    try:
        timeline = read_trace(target, args.order_id)
    except TraceError as e:
        print(f"orderflow trace: {e}", file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(timeline.to_dict(), indent=2))
    else:
        print(timeline.text(colour=sys.stdout.isatty() and not os.environ.get("NO_COLOR")))
    return 0
