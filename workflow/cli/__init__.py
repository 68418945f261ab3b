"""`orderflow`: run the local system, submit and follow orders, operate a running system (local or AWS), draw the
workflow, and check the local system under faults and fuzzing.

  up                     start the local system (AWS on moto) and its orders API          (cli/system.py)
  submit, status         POST an order / show one, as a client                              (cli/orders.py)
  asl, openapi           print the compiled ASL (or --budget) / the orders API's OpenAPI    (cli/definition.py)
  workflow update        publish the compiled definition and move the live alias            (cli/workflow_update.py)
  workflow status|prune  what live runs against the compiled and template versions; prune   (cli/workflow_update.py)
  dlq list|show|redrive  what the dead-letter queues hold, and moving it back               (cli/dlq.py)
  alerts test|list|resolve  a test alert to every target, recent alerts, an incident ended  (cli/alerts.py)
  executions             the newest executions, with why failed ones failed                 (cli/executions.py)
  trace                  one order's journey: each step, queue wait, alerts, latency, cost  (cli/trace.py)
  console                the console in the browser: orders, executions, alerts, DLQs       (cli/console.py)
  rerun (redrive)        run a FAILED order again after its cause is fixed                  (cli/executions.py)
  graph                  draw the workflow, an execution on it, or a definition diff        (cli/graph.py)
  chaos, fuzz            orders under injected faults / the API fuzzed from its OpenAPI     (cli/checks.py)
  cost                   what an order costs on AWS, per service, STANDARD and EXPRESS      (cli/cost.py)
  coverage               the order workflow's edges the last test run took; --graph        (cli/coverage.py)

Each module registers its command group and parses its options; the work is done by workflow.ops (against a running
system), workflow.local (the local system), workflow.harness (chaos, fuzz), workflow.cost and workflow.graph (pure,
light). boto3 and moto are imported only when a command that needs them runs, so `orderflow --help` and
`orderflow asl` stay quick.

May import: everything in workflow/. Nothing imports the CLI but its console script and tests.
"""

from __future__ import annotations

import argparse
import sys

from workflow.cli import (
    alerts,
    checks,
    console,
    cost,
    coverage,
    definition,
    dlq,
    executions,
    graph,
    orders,
    system,
    trace,
    workflow_update,
)

GROUPS = (
    system,
    orders,
    definition,
    workflow_update,
    dlq,
    alerts,
    executions,
    trace,
    console,
    graph,
    checks,
    cost,
    coverage,
)


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="orderflow", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = root.add_subparsers(dest="command", required=True)
    for group in GROUPS:
        group.register(commands)
    return root


def main(argv: list[str] | None = None) -> int:
    from botocore.exceptions import BotoCoreError, ClientError

    from workflow.ops.targets import TargetError

    args = parser().parse_args(argv)
    try:
        result: int = args.run(args)
    except TargetError as e:
        print(f"orderflow: {e}", file=sys.stderr)
        return 2
    except ClientError as e:
        error = e.response.get("Error", {})
        print(
            f"orderflow: AWS refused {e.operation_name}: {error.get('Code')}: {error.get('Message')}", file=sys.stderr
        )
        return 2
    except BotoCoreError as e:
        print(f"orderflow: {e}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    sys.exit(main())
