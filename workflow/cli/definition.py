"""`orderflow asl` and `orderflow openapi`: what the repository compiles, printed (nothing needs to run)."""

from __future__ import annotations

import argparse
import sys

from workflow.cli.common import Commands, workflow_type_argument
from workflow.definition import JSONATA, QUERY_LANGUAGES


def register(commands: Commands) -> None:
    asl = commands.add_parser("asl", help="print the compiled Amazon States Language definition, or its retry budget")
    workflow_type_argument(asl, "compile for this type, with its retry policy")
    asl.add_argument(
        "--query-language",
        choices=QUERY_LANGUAGES,
        default=JSONATA,
        help="JSONata (default: what ships) or JSONPath (the same workflow, with a Pass state per failure route)",
    )
    asl.add_argument(
        "--budget",
        action="store_true",
        help="print each terminal's worst path instead: every attempt to its timeout, every retry delay",
    )
    asl.set_defaults(run=_asl)
    contract = commands.add_parser("openapi", help="print the orders API's OpenAPI 3.1 document (docs/openapi.json)")
    contract.set_defaults(run=_openapi)


def _asl(args: argparse.Namespace) -> int:
    from workflow import asl

    try:
        definition = asl.compile_order_workflow(args.workflow_type, args.query_language)
    except asl.DefinitionError as e:
        print(f"orderflow asl: {e}", file=sys.stderr)
        return 2
    if not args.budget:
        sys.stdout.write(asl.to_json(definition))
        return 0
    limit = asl.TIME_LIMITS[args.workflow_type]
    print(f"{args.workflow_type}: an execution may run {limit:,} s. The worst path to each end:")
    for path in asl.budget(definition):
        seconds = "unbounded (a Task without TimeoutSeconds)" if path.seconds is None else f"{path.seconds:g} s"
        print(f"  {seconds:>10}  {' -> '.join(path.states)}")
    print("Per state (attempts x TimeoutSeconds + retry delays):")
    for name, state in definition["States"].items():
        cost = asl.state_budget(name, state)
        if state.get("Type") == "Task":
            seconds = "no TimeoutSeconds" if cost.seconds is None else f"{cost.seconds:g} s"
            print(f"  {name:18} {cost.attempts} attempts  {seconds}")
    return 0


def _openapi(args: argparse.Namespace) -> int:
    from workflow.openapi import document, to_json

    sys.stdout.write(to_json(document()))
    return 0
