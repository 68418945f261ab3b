"""`orderflow chaos` and `orderflow fuzz`: harnesses that start their own local system and check it."""

from __future__ import annotations

import argparse

from workflow.cli.common import Commands, print_report, workflow_type_argument
from workflow.harness.progress import progress


def register(commands: Commands) -> None:
    chaos = commands.add_parser(
        "chaos",
        help="run orders through a local system under injected faults and check nothing is lost or doubled",
        description="Starts its own local system (not `orderflow up`), submits N orders with 20% duplicates (half of "
        "them concurrent) and 10% malformed ones under a fault plan, waits for quiescence and checks the invariants. "
        "Exit code 1 when one fails.",
    )
    chaos.add_argument("--orders", type=int, default=100)
    chaos.add_argument("--concurrency", type=int, default=8)
    chaos.add_argument("--faults", help="a JSON fault plan (workflow/local/faults.py); default: a moderate mix")
    workflow_type_argument(
        chaos, "the local state machine's type; EXPRESS: at-least-once starts, duplicate_start in the plan"
    )
    _harness_arguments(chaos)
    chaos.set_defaults(run=_chaos)

    fuzz = commands.add_parser(
        "fuzz",
        help="fuzz a local system's orders API from its OpenAPI document (schemathesis) and check every answer",
        description="Starts its own local system (not `orderflow up`), sends at least N generated requests (valid, "
        "invalid and unusual ones, Idempotency-Key replays included) and checks each answer against the OpenAPI "
        "document. Exit code 1 on any 5xx, any answer that breaks the document, or a run cut short.",
    )
    fuzz.add_argument("--cases", type=int, default=1000)
    fuzz.add_argument("--document", help="an OpenAPI document (JSON file); default: workflow.openapi.document()")
    fuzz.add_argument("--request-timeout", type=float, default=10.0, help="seconds per request (default 10)")
    fuzz.add_argument("--deadline", type=float, default=900.0, help="seconds for the whole run (default 900)")
    _harness_arguments(fuzz)
    fuzz.set_defaults(run=_fuzz)


def _harness_arguments(command: argparse.ArgumentParser) -> None:
    """What both harnesses take: the seed of their draws, the time scale of their own local system, --json."""
    command.add_argument("--seed", type=int, default=1)
    command.add_argument(
        "--time-scale", type=float, default=0.01, help="multiplies retry intervals and queue timeouts (default 0.01)"
    )
    command.add_argument("--json", action="store_true", help="end with one JSON line: the report")


def _chaos(args: argparse.Namespace) -> int:
    from workflow.harness.chaos import DEFAULT_PLAN, run_chaos
    from workflow.local.faults import FaultPlan

    plan = FaultPlan.load(args.faults) if args.faults else DEFAULT_PLAN
    with progress("chaos", None, json=args.json) as bar:  # the requests sent: known once they are drawn
        report = run_chaos(
            args.orders,
            args.seed,
            plan,
            concurrency=args.concurrency,
            time_scale=args.time_scale,
            progress=bar.note,
            workflow_type=args.workflow_type,
            requests=bar.total,
            sent=bar.advance,
        )
    return print_report(report, args.json)


def _fuzz(args: argparse.Namespace) -> int:
    from workflow.harness.fuzz import load_document, load_schema, operations_of, run_local_fuzz

    document = load_document(args.document)
    # The fuzzer reports once per operation it is done with: done/total counts operations.
    with progress("fuzz", len(operations_of(load_schema(document))), json=args.json) as bar:

        def done(line: str) -> None:
            bar.note(line)
            bar.advance()

        report = run_local_fuzz(
            args.cases,
            args.seed,
            document,
            time_scale=args.time_scale,
            request_timeout=args.request_timeout,
            deadline_seconds=args.deadline,
            progress=done,
        )
    return print_report(report, args.json)
