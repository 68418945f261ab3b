"""`orderflow alerts test|list|resolve`: a test alert through the real alert path with each target's result, the
recent alerts with their deliveries, and an order's incident resolved by hand.

`--target local|aws` says where, as for every command; the alert target a command is about is `--alert-target`."""

from __future__ import annotations

import argparse
import sys

from workflow.cli.common import Commands, connect, print_listing, target_arguments


def register(commands: Commands) -> None:
    from handlers.alert_registry import TARGETS

    alerts = commands.add_parser(
        "alerts", help="test the alert path, list recent alerts, resolve an order's incident"
    ).add_subparsers(dest="alerts_command", required=True)
    test = alerts.add_parser(
        "test",
        help="send a test alert through the alert topic and show each alert target's delivery",
        description="Publishes an ORDER_FAILED-shaped test alert (order ord_test…, error AlertPathTest) to the alert "
        "topic: the AlertHandler sends it to every target that is on, as its routes say. Each target's delivery is "
        "read from the alert log; afterwards the test incident is resolved. Run it after setting a target's secret. "
        "Exit status 1 when a target did not deliver it.",
    )
    test.add_argument(
        "--alert-target",
        choices=[spec.name for spec in TARGETS],
        help="show (and exit on) this alert target's result only; the test alert still goes to every target that is on",
    )
    test.add_argument(
        "--wait",
        type=float,
        metavar="SECONDS",
        help="how long to wait for the deliveries (default 60 on AWS, 20 locally)",
    )
    test.add_argument(
        "--keep-open", action="store_true", help="do not resolve the test incident afterwards (PagerDuty keeps it open)"
    )
    target_arguments(test)
    test.set_defaults(run=_alerts_test)

    listing = alerts.add_parser("list", help="recent alerts, newest first, with each target's delivery (the alert log)")
    listing.add_argument("--limit", type=int, default=20)
    listing.add_argument("--json", action="store_true")
    target_arguments(listing)
    listing.set_defaults(run=_alerts_list)

    resolve = alerts.add_parser(
        "resolve",
        help="resolve an order's incident by hand: PagerDuty resolves it, chat targets post a resolved notice",
    )
    resolve.add_argument("order_id")
    resolve.add_argument("--reason", help='what resolved it (default "resolved by hand")')
    target_arguments(resolve)
    resolve.set_defaults(run=_alerts_resolve)


def _alerts_test(args: argparse.Namespace) -> int:
    from workflow.ops.alert_path import send_test_alert

    target = connect(args)
    try:
        run = send_test_alert(target, only=args.alert_target, wait=args.wait, resolve_after=not args.keep_open)
    except ValueError as e:
        print(f"orderflow: {e}", file=sys.stderr)
        return 2
    if run.published:
        print(f"test alert about {run.order_id} published to {run.topic_arn} ({target.where})")
    for result in run.results:
        print(f"  {result.target:10} {result.status if result.ok else result.status.upper():15} {result.detail}")
        if result.fix:
            print(f"  {'':10} {'':15} -> {result.fix}")
    if run.resolved:
        print(f"the test incident is resolved (ORDER_RESOLVED for {run.order_id} published)")
    return 0 if run.ok else 1


def _alerts_list(args: argparse.Namespace) -> int:
    from workflow.ops.alerts import recent_alerts

    target = connect(args)
    return print_listing(
        recent_alerts(target, args.limit),
        args.json,
        empty=f"{target.where}: the alert log holds no alerts",
        header=f"{'WHEN':25} {'KIND':8} {'ABOUT':30} {'WHAT':40} DELIVERIES",
        row=lambda a: f"{a.when:25} {a.kind:8} {a.subject:30} {a.what[:40]:40} {a.targets()}",
    )


def _alerts_resolve(args: argparse.Namespace) -> int:
    from handlers.domain.identifiers import is_order_id
    from workflow.ops.alerts import NoSuchOrder, resolve_order

    if not is_order_id(args.order_id):
        print(f"orderflow: {args.order_id!r} is not an order id (ord_ and 26 characters a-z, 2-7)", file=sys.stderr)
        return 2
    target = connect(args)
    try:
        message = resolve_order(target, args.order_id, args.reason)
    except NoSuchOrder as e:
        print(f"orderflow: {e}", file=sys.stderr)
        return 1
    print(f"order {args.order_id} ({message['status']}) resolved: ORDER_RESOLVED published to the alert topic")
    print(
        "every alert target that is on gets it (PagerDuty resolves the order's incident); see `orderflow alerts list`"
    )
    return 0
