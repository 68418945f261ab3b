"""`orderflow dlq list|show|redrive`: what the dead-letter queues hold, and moving it back to its queue."""

from __future__ import annotations

import argparse
import json
import sys

from workflow.cli.common import Commands, connect, print_listing, target_arguments


def register(commands: Commands) -> None:
    from workflow.ops.dlq import DEAD_LETTER_QUEUES

    queues = tuple(DEAD_LETTER_QUEUES)
    dlq = commands.add_parser("dlq", help="what is parked in the dead-letter queues, and redrive it").add_subparsers(
        dest="dlq_command", required=True
    )
    listing = dlq.add_parser("list", help=f"the messages in the {' and '.join(queues)} DLQs (left in place)")
    listing.add_argument("queue", nargs="?", choices=queues, help="one DLQ (default: all)")
    listing.add_argument("--limit", type=int, default=100)
    listing.add_argument("--json", action="store_true")
    target_arguments(listing)
    listing.set_defaults(run=_dlq_list)
    show = dlq.add_parser("show", help="one parked message in full")
    show.add_argument("message_id")
    show.add_argument("--queue", choices=queues)
    target_arguments(show)
    show.set_defaults(run=_dlq_show)
    again = dlq.add_parser(
        "redrive",
        help="move parked messages back to the queue they came from",
        description="Without message ids, everything in the DLQ (on AWS, with an SQS message move task). Fix the "
        "cause first: a message that fails again comes back to the DLQ.",
    )
    again.add_argument("queue", choices=queues)
    again.add_argument("message_ids", nargs="*", metavar="MESSAGE_ID")
    target_arguments(again)
    again.set_defaults(run=_dlq_redrive)


def _queues(args: argparse.Namespace) -> list[str]:
    from workflow.ops.dlq import DEAD_LETTER_QUEUES

    return [args.queue] if args.queue else list(DEAD_LETTER_QUEUES)


def _dlq_list(args: argparse.Namespace) -> int:
    from workflow.ops.dlq import peek

    target = connect(args)
    parked = [p for queue in _queues(args) for p in peek(target, queue, args.limit)]
    return print_listing(
        parked,
        args.json,
        empty=f"{target.where}: the dead-letter queues are empty",
        header=f"{'QUEUE':7} {'MESSAGE ID':36} {'SENT':25} {'RECV':>4}  {'ORDER':30} REASON",
        row=lambda p: (
            f"{p.queue:7} {p.message_id:36} {p.sent_at[:25]:25} {p.receive_count:>4}  {p.order_id or '-':30} {p.reason}"
        ),
    )


def _dlq_show(args: argparse.Namespace) -> int:
    from workflow.ops.dlq import peek

    target = connect(args)
    for queue in _queues(args):
        for parked in peek(target, queue, limit=10_000):
            if parked.message_id == args.message_id:
                print(json.dumps(parked.to_dict(), indent=2))
                try:
                    print(json.dumps(json.loads(parked.body), indent=2))
                except json.JSONDecodeError:
                    print(parked.body)
                return 0
    print(f"orderflow: no message {args.message_id} in the dead-letter queues", file=sys.stderr)
    return 2


def _dlq_redrive(args: argparse.Namespace) -> int:
    from workflow.ops.dlq import redrive_messages

    target = connect(args)
    result = redrive_messages(target, args.queue, args.message_ids)
    if result.moved:
        print(f"{len(result.moved)} message(s) {result.how}: {', '.join(result.moved)}")
    elif result.how.startswith("message move task"):
        print(f"started SQS {result.how}: the {args.queue} DLQ drains back into the {args.queue} queue")
    else:
        print(f"nothing to redrive in the {args.queue} DLQ")
    if result.skipped:
        print(f"orderflow: not redriven (not found): {', '.join(result.skipped)}", file=sys.stderr)
        return 2
    return 0
