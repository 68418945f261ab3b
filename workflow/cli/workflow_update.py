"""`orderflow workflow update`: publish the compiled definition to a running system and move its live alias."""

from __future__ import annotations

import argparse
import sys

from workflow.cli.common import Commands, connect, target_arguments


def register(commands: Commands) -> None:
    workflow = commands.add_parser("workflow", help="operate the deployed workflow").add_subparsers(
        dest="workflow_command", required=True
    )
    update = workflow.add_parser(
        "update",
        help="publish the compiled definition as a new version and move the live alias to it",
        description="Publish the definition compiled from workflow/ to a running state machine (new version, "
        "alias moved). Resources come from the target's outputs: the local system, or the deployed stack.",
    )
    target_arguments(update, required=True)
    update.add_argument("--dry-run", action="store_true", help="print the ASL diff and change nothing")
    update.add_argument("--description", default="orderflow workflow update", help="the new version's description")
    update.set_defaults(run=_workflow_update)


def _workflow_update(args: argparse.Namespace) -> int:
    from workflow.ops.update import apply_update, plan_update

    target = connect(args)
    plan = plan_update(target)
    if not plan.changed:
        print(f"{target.where}: alias {plan.alias_name} already runs the compiled definition; nothing to publish")
        return 0
    sys.stdout.write(plan.diff())
    if args.dry_run:
        print(f"(dry run: {target.where} was not changed)", file=sys.stderr)
        return 0
    result = apply_update(target, plan, args.description)
    print(f"published {result.version_arn}\nalias {result.alias_arn} -> it (100%)")
    return 0
