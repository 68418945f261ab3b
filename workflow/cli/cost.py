"""`orderflow cost`: dollars per 1M orders, per service, for STANDARD and EXPRESS, from the synthesized templates
and the usage measured on a local system running a mix of orders."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from workflow.cli.common import Commands, connect, target_arguments
from workflow.harness.progress import progress

if TYPE_CHECKING:
    from workflow.cost.model import Usage


def register(commands: Commands) -> None:
    cost = commands.add_parser(
        "cost",
        help="what an order costs on AWS (per 1M orders, per service, STANDARD and EXPRESS)",
        description="Synthesizes both workflow types' templates (or reads --templates), runs a mix of orders through "
        "its own local system to measure what each order uses, and prices it with the dated table in "
        "workflow/cost/. Local durations are not AWS's: billed durations are assumptions it prints (--durations).",
    )
    cost.add_argument("--orders", type=int, default=40, help="orders in the measured mix (default 40)")
    cost.add_argument("--mix", default="failed=0,retried=0", help="shares: failed=F,retried=R (default all succeed)")
    cost.add_argument("--durations", default="", help="billed ms per invocation: Function=ms,... (over the defaults)")
    cost.add_argument("--prices", help="a price table (JSON, as workflow/cost/prices-us-east-1.json)")
    cost.add_argument("--templates", help="a folder with standard.template.json and express.template.json")
    cost.add_argument("--seed", type=int, default=1)
    cost.add_argument(
        "--order",
        metavar="ORDER_ID",
        help="price this order from its execution history (on --target); what the history does not show is the mix's",
    )
    target_arguments(cost)
    cost.add_argument("--json", action="store_true", help="end with one JSON line")
    cost.add_argument(
        "--snapshot",
        metavar="PATH",
        help="also write the dollars per service and the usage per order to PATH (make regen writes the committed one)",
    )
    cost.set_defaults(run=_cost)


def _pairs(text: str, what: str) -> dict[str, float]:
    found = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, value = part.partition("=")
        try:
            found[name.strip()] = float(value)
        except ValueError:
            sep = ""
        if not sep:
            raise SystemExit(f"orderflow cost: {what} takes name=number pairs, not {part!r}")
    return found


def _one_order(args: argparse.Namespace, usage: Usage) -> Usage:
    """The usage with what the --order's execution history shows in place of the mix's."""
    from workflow.cost.run import one_order
    from workflow.ops.history import execution_arn, execution_history

    target = connect(args)
    arn = execution_arn(target.output("StateMachineArn"), args.order)
    found = one_order(execution_history(target.client("stepfunctions"), arn), usage)
    if not args.json:
        print(f"cost: order {args.order} from its history ({target.where}); the rest as measured", file=sys.stderr)
    return found


def _cost(args: argparse.Namespace) -> int:
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "INFO")  # as deployed: the meter counts what the handlers log
    from workflow.cost.model import DEFAULT_BILLED_MS, Assumptions, Prices, assumptions_dict, price
    from workflow.cost.run import measure
    from workflow.cost.template import facts, templates

    mix = _pairs(args.mix, "--mix")
    unknown = set(mix) - {"failed", "retried"}
    if unknown or not all(0 <= v <= 1 for v in mix.values()):
        raise SystemExit("orderflow cost: --mix takes failed= and retried= shares between 0 and 1")
    durations = {**DEFAULT_BILLED_MS, **_pairs(args.durations, "--durations")}
    prices = Prices.load(args.prices) if args.prices else Prices.load()
    # Three stages: the templates, the measured mix, the order's own history (when --order names one).
    with progress("cost", 3 if args.order else 2, json=args.json) as bar:
        bar.note(f"synthesizing both templates ({args.mix})")
        found = templates(args.templates)
        bar.advance()
        bar.note(f"measuring {args.orders} orders on a local system")
        usage = measure(args.orders, mix.get("failed", 0.0), mix.get("retried", 0.0), args.seed)
        bar.advance()
        if args.order:
            usage = _one_order(args, usage)
            bar.advance()
    assumptions = Assumptions(billed_ms=durations)
    result: dict[str, Any] = {}
    for workflow_type, template in found.items():
        estimate = price(usage, facts(template), assumptions, prices)
        result[workflow_type.lower()] = estimate.to_dict()
        print(f"\n{workflow_type}: ${estimate.total_per_million:,.2f} per 1M orders")
        for service, usd in sorted(estimate.by_service.items(), key=lambda kv: -kv[1]):
            print(f"  {service:18} ${usd:>10,.2f}")
        fixed = sum(estimate.fixed_monthly.values())
        print(f"  fixed per month, whatever the volume: ${fixed:,.2f} ({', '.join(estimate.fixed_monthly)})")
    print(
        f"\nper order: {usage.transitions:g} transitions, {usage.write_units:g} write units, {usage.read_units:g} read "
        f"units, {usage.sqs_requests:g} SQS requests, {usage.sns_publishes:g} SNS publishes; invocations "
        + ", ".join(f"{k} {v:g}" for k, v in usage.invocations.items())
    )
    print(
        f"prices: {prices.region}, checked {prices.checked}; billed ms (assumed): "
        + ", ".join(f"{k} {v:g}" for k, v in durations.items())
    )
    result["assumptions"] = {
        **assumptions_dict(assumptions),
        "mix": mix,
        "orders": args.orders,
        "prices_checked": prices.checked,
    }
    result["usage_per_order"] = {
        "transitions": usage.transitions,
        "invocations": dict(usage.invocations),
        "read_units": usage.read_units,
        "write_units": usage.write_units,
        "sqs_requests": usage.sqs_requests,
        "sns_publishes": usage.sns_publishes,
        "http_requests": usage.http_requests,
        "handler_log_bytes": usage.handler_log_bytes,
    }
    if args.snapshot:
        from workflow.cost.snapshot import snapshot

        Path(args.snapshot).write_text(json.dumps(snapshot(result), indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(f"cost: wrote {args.snapshot}", file=sys.stderr)
    if args.json:
        print(json.dumps(result, sort_keys=True))
    return 0
