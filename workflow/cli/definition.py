"""`orderflow asl` and `orderflow openapi`: what the repository compiles, printed (nothing needs to run)."""

from __future__ import annotations

import argparse
import sys

from workflow.cli.common import Commands


def register(commands: Commands) -> None:
    asl = commands.add_parser("asl", help="print the compiled Amazon States Language definition")
    asl.set_defaults(run=_asl)
    contract = commands.add_parser("openapi", help="print the orders API's OpenAPI 3.1 document (docs/openapi.json)")
    contract.set_defaults(run=_openapi)


def _asl(args: argparse.Namespace) -> int:
    from workflow.asl import compile_order_workflow, to_json

    sys.stdout.write(to_json(compile_order_workflow()))
    return 0


def _openapi(args: argparse.Namespace) -> int:
    from workflow.openapi import document, to_json

    sys.stdout.write(to_json(document()))
    return 0
