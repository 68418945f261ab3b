"""`orderflow executions` and `orderflow rerun` (also spelled `redrive`): what the executions did, and a FAILED
order run again."""

from __future__ import annotations

import argparse

from workflow.cli.common import Commands, connect, print_listing, target_arguments


def register(commands: Commands) -> None:
    runs = commands.add_parser(
        "executions",
        help="the newest executions, with why failed ones failed (Standard: from the API; Express: from the state "
        "machine's log records)",
    )
    runs.add_argument("--status", choices=("RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"), type=str.upper)
    runs.add_argument("--limit", type=int, default=20)
    runs.add_argument(
        "--since-hours", type=float, default=24.0, help="Express: how far back to read log records (default 24)"
    )
    runs.add_argument("--json", action="store_true")
    target_arguments(runs)
    runs.set_defaults(run=_executions)

    rerun = commands.add_parser(
        "rerun",
        aliases=["redrive"],
        help="run a FAILED order again after its cause is fixed (a new execution takes the order over; "
        "`redrive` is the old name)",
    )
    rerun.add_argument("order_id")
    target_arguments(rerun)
    rerun.set_defaults(run=_rerun)


def _executions(args: argparse.Namespace) -> int:
    from workflow.ops.executions import executions

    target = connect(args)
    return print_listing(
        executions(target, args.status, args.limit, args.since_hours),
        args.json,
        empty=f"{target.where}: no {args.status.upper() + ' ' if args.status else ''}executions",
        header=f"{'ORDER':30} {'STATUS':9} {'STARTED':25} {'STOPPED':25} FAILURE",
        row=lambda e: (
            f"{e.order_id:30} {e.status:9} {e.started:25} {e.stopped:25} {f'{e.error} - {e.cause}' if e.error else ''}"
        ),
    )


def _rerun(args: argparse.Namespace) -> int:
    from workflow.ops.rerun import rerun_order

    target = connect(args)
    arn = rerun_order(target, args.order_id)
    print(f"order {args.order_id} is REDRIVING: execution {arn}")
    print(f"follow it: orderflow status {args.order_id}   or: orderflow graph --execution {arn} --out run.svg")
    return 0
