"""`orderflow graph`: draw the workflow, one execution on it, or what changed between two definitions.

orderflow graph --out order.svg                          # the compiled workflow (.svg/.png need Graphviz)
orderflow graph --order ord_123 --out ord_123.md         # that order's execution, as Mermaid
orderflow graph --diff old.asl.json --out change.png     # old -> the compiled workflow (or --definition)

An execution is read from its history (Standard) or from the state machine's log records (Express, which keeps no
history: at log level ERROR only failed executions have records).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from workflow import graph as g
from workflow.cli.common import Commands, connect, target_arguments


def register(commands: Commands) -> None:
    command = commands.add_parser(
        "graph",
        help="draw the state graph (SVG, PNG, Mermaid), an execution on it, or a definition diff",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument(
        "--out", required=True, metavar="FILE", help="FILE.svg or FILE.png (Graphviz), FILE.md or FILE.mmd (Mermaid)"
    )
    command.add_argument(
        "--definition", metavar="FILE.asl.json", help="draw this definition instead of the compiled workflow"
    )
    command.add_argument("--diff", metavar="OLD.asl.json", help="mark what changed from OLD to the definition")
    execution = command.add_mutually_exclusive_group()
    execution.add_argument("--execution", metavar="ARN", help="colour the graph by what this execution did")
    execution.add_argument("--order", metavar="ORDER_ID", help="the same, for the execution of this order")
    command.add_argument(
        "--since-hours",
        type=float,
        default=24.0,
        help="Express: how far back to look for the execution's log records (default 24)",
    )
    target_arguments(command)
    command.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    try:
        g.check_output(args.out)  # before any service call: a missing `dot` is said first
        if args.diff and (args.execution or args.order):
            raise g.GraphError("--diff compares definitions; it does not take --execution or --order")
        path = g.render(build(args), args.out)
    # GraphError, HistoryError, GraphvizNotFound, TargetError, LogsUnavailable, I/O
    except (ValueError, RuntimeError, OSError) as e:
        print(f"orderflow graph: {e}", file=sys.stderr)
        return 2
    print(path)
    return 0


def build(args: argparse.Namespace) -> g.Graph:
    definition = _load(args.definition) if args.definition else None
    if args.diff:
        return g.diff(_load(args.diff), definition or _compiled())
    if args.execution or args.order:
        from botocore.exceptions import ClientError

        from handlers.arns import execution_name
        from workflow.ops import execution_logs, history

        target = connect(args)
        sfn = target.client("stepfunctions")
        machine = target.output("StateMachineArn")
        try:
            described = sfn.describe_state_machine(stateMachineArn=machine)
            if described.get("type") == "EXPRESS":
                # No history behind the API: the log records, and the definition the state machine has now.
                since, until = execution_logs.window(args.since_hours)
                wanted = args.execution or args.order
                records = execution_logs.records_of_execution(sfn, target.client("logs"), machine, wanted, since, until)
                arn = str(records[0]["execution_arn"])
                events = execution_logs.events(records)
                ran = definition or json.loads(described["definition"])
                title = f"Execution {execution_name(arn)}"
            else:
                arn = args.execution or history.execution_arn(machine, args.order)
                events = history.execution_history(sfn, arn)
                ran = definition or history.execution_definition(sfn, arn)
                title = f"Execution {execution_name(arn)}"
        except ClientError as e:
            raise g.GraphError(
                f"cannot read {args.execution or args.order}: {e.response['Error'].get('Message', e)}"
            ) from None
        return g.overlay(g.state_graph(ran), events, title=title)
    return g.state_graph(definition or _compiled())


def _compiled() -> dict[str, Any]:
    from workflow.asl import compile_order_workflow

    return compile_order_workflow()


def _load(path: str) -> dict[str, Any]:
    definition: dict[str, Any] = json.loads(Path(path).read_text(encoding="utf-8"))
    return definition
