"""`orderflow console`: the console in the browser (workflow.console), against the running local system or a
deployed stack (read-only there unless --allow-actions), served on loopback until Ctrl-C."""

from __future__ import annotations

import argparse
import threading

from workflow.cli.common import Commands, connect, target_arguments

DEFAULT_PORT = 8900


def register(commands: Commands) -> None:
    command = commands.add_parser(
        "console",
        help="the console in the browser: orders, executions, alerts, DLQs, the workflow (loopback only)",
        description=__doc__,
    )
    command.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port on 127.0.0.1 (default {DEFAULT_PORT})")
    command.add_argument(
        "--allow-actions",
        action="store_true",
        help="against AWS, offer DLQ redrive and rerun too (always offered locally)",
    )
    command.add_argument(
        "--index-existing",
        action="store_true",
        help="once, after deploying the orders-by-time index over a stack that has orders: give the orders stored "
        "before it their place in the orders list (one Scan, an update per order), then exit",
    )
    target_arguments(command)
    command.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from workflow.console import Console

    target = connect(args)
    if args.index_existing:
        from workflow.ops.order_index import index_existing

        done = index_existing(target)
        print(f"{target.where}: {done.listed} order(s) listed now, {done.already} were already", flush=True)
        if done.unplaced:
            print(f"no time to list these by (left as they are): {', '.join(done.unplaced)}", flush=True)
        return 0
    console = Console(target, port=args.port, actions=True if args.allow_actions else None).start()
    mode = "" if console.app.actions else " (read-only)"
    print(f"orderflow console for {target.where}{mode}: {console.url}  (Ctrl-C stops it)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        console.stop()
    return 0
