"""`orderflow coverage`: the order workflow's edge coverage over the last test run, from build/edge-coverage/.

orderflow coverage                          # per workflow type: edges covered, the percentage, every uncovered edge
orderflow coverage --fail-under 100         # exit 1 when a type's coverage is below 100 % (make test's gate)
orderflow coverage --graph build/cov.svg    # the workflow with each edge covered (green) or not (red, dashed):
                                            # build/cov.svg (Standard) and build/cov.express.svg (Express)

An edge is each Next, each Choice rule and Default, each Retry rule and each Catch rule of the compiled definition
(workflow.graph.coverage). The Standard and Express compilations are tracked apart: each type's edges must be covered
by TestState calls on that type's definition or by executions on a state machine of that type. The records are
written by the test suite's processes (tests/support/edge_coverage.py), one file each.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from workflow.cli.common import Commands

RECORDS = Path("build/edge-coverage")


def register(commands: Commands) -> None:
    command = commands.add_parser(
        "coverage",
        help="the order workflow's edge coverage over the last test run; --graph draws it",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    command.add_argument(
        "--records",
        type=Path,
        default=RECORDS,
        metavar="DIR",
        help=f"where the test run wrote them (default {RECORDS})",
    )
    command.add_argument(
        "--workflow-type",
        type=str.upper,
        choices=("STANDARD", "EXPRESS", "ALL"),
        default="ALL",
        help="report one type, or both (default ALL)",
    )
    command.add_argument(
        "--fail-under", type=float, default=None, metavar="PCT", help="exit 1 when a type's coverage is below PCT"
    )
    command.add_argument(
        "--graph",
        metavar="FILE",
        help="draw each type's edges covered or not: FILE.svg/.png (Graphviz), .md, .mmd, .dot",
    )
    command.add_argument("--json", action="store_true", help="one JSON object last")
    command.set_defaults(run=run)


def graph_path(path: str, workflow_type: str, both: bool) -> Path:
    """FILE for Standard (or for the one type asked); FILE with `.express` before its suffix for Express of both."""
    target = Path(path)
    if both and workflow_type == "EXPRESS":
        return target.with_name(f"{target.stem}.express{target.suffix}")
    return target


def run(args: argparse.Namespace) -> int:
    from workflow import graph as g
    from workflow.asl import WORKFLOW_TYPES, compile_order_workflow
    from workflow.graph.coverage import Coverage, coverage_graph

    types = WORKFLOW_TYPES if args.workflow_type == "ALL" else (args.workflow_type,)
    files = sorted(Path(args.records).glob("*.json"))
    if not files:
        print(f"orderflow coverage: no records in {args.records}/: run the tests first (make test)", file=sys.stderr)
        return 2
    try:
        if args.graph:
            g.check_output(args.graph)
        records: list[dict[str, Any]] = [json.loads(f.read_text(encoding="utf-8")) for f in files]
        tracked = {kind: compile_order_workflow(kind) for kind in types}
        coverage = Coverage.of(tracked, records)
        print(f"edge coverage of the order workflow, from {len(files)} record(s) in {args.records}/")
        print(coverage.text())
        if args.graph:
            for kind in types:
                drawn = coverage_graph(
                    tracked[kind], coverage.of_type(kind).covered, title=f"Order workflow ({kind}): edge coverage"
                )
                print(g.render(drawn, graph_path(args.graph, kind, len(types) > 1)))
    except (ValueError, RuntimeError, OSError) as e:  # a record that is no JSON, GraphvizNotFound, I/O
        print(f"orderflow coverage: {e}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(coverage.to_dict()))
    if args.fail_under is not None and not coverage.ok(args.fail_under):
        print(f"orderflow coverage: below {args.fail_under:g} %", file=sys.stderr)
        return 1
    return 0
