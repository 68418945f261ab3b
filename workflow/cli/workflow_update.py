"""`orderflow workflow update`, `status` and `prune`: publish the definition compiled for the running state machine's
type (STANDARD or EXPRESS) and move its live alias; say what live runs; keep its versions under AWS's 1,000."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from workflow.cli.common import Commands, connect, target_arguments


def register(commands: Commands) -> None:
    workflow = commands.add_parser("workflow", help="operate the deployed workflow").add_subparsers(
        dest="workflow_command", required=True
    )
    update = workflow.add_parser(
        "update",
        help="publish the compiled definition as a new version and move the live alias to it",
        description="Publish the definition compiled from workflow/ for the running state machine's type (STANDARD "
        "or EXPRESS) to it (new version, alias moved). Resources come from the target's outputs: the local system, "
        "or the deployed stack.",
    )
    target_arguments(update, required=True)
    update.add_argument("--dry-run", action="store_true", help="print the ASL diff and change nothing")
    update.add_argument("--description", default="orderflow workflow update", help="the new version's description")
    _keep_argument(update)
    update.set_defaults(run=_workflow_update)

    status = workflow.add_parser(
        "status",
        help="what live runs, and whether it differs from the compiled definition and from the template's version",
        description="Compare live with the definition compiled for the state machine's type (STANDARD or EXPRESS). "
        "Exit 0 when live runs the template's version; 3 when it runs a scripted update that a deploy touching the "
        "state machine would revert (make diff warns with it); 2 when the target cannot be read or workflow/ does not "
        "compile for its type.",
    )
    target_arguments(status, required=True)
    status.set_defaults(run=_workflow_status)

    prune = workflow.add_parser(
        "prune",
        help="delete all but the newest versions and those an alias routes to (AWS allows 1,000 per state machine)",
        description="Keep the newest N versions and every version an alias routes to; delete the rest. `make deploy` "
        "runs it after `cdk deploy`; `workflow update` after it moves the alias.",
    )
    target_arguments(prune, required=True)
    prune.add_argument("--dry-run", action="store_true", help="say what would be deleted and delete nothing")
    _keep_argument(prune)
    prune.set_defaults(run=_workflow_prune)


def _keep_argument(command: argparse.ArgumentParser) -> None:
    from workflow.ops.versions import DEFAULT_KEEP

    command.add_argument(
        "--keep-versions",
        type=int,
        default=DEFAULT_KEEP,
        help=f"versions to keep besides those an alias routes to (default {DEFAULT_KEEP})",
    )


def _refused(error: Exception) -> int:
    """As the CLI reports a target it cannot use (exit 2): here the workflow/ definition does not compile for the
    deployed type, e.g. a retry policy edited past Express's five minutes after an Express stack was deployed."""
    print(f"orderflow: {error}", file=sys.stderr)
    return 2


def _workflow_status(args: argparse.Namespace) -> int:
    from workflow.asl import DefinitionError
    from workflow.ops.update import workflow_status

    target = connect(args)
    try:
        status = workflow_status(target)
    except DefinitionError as e:
        return _refused(e)
    print(f"{target.where}: alias {status.alias_name} runs {status.live_version_arn or 'no version'}")
    print(f"  published {status.live_created} ({status.live_description or 'no description'})")
    compiled = "differs from" if status.differs_from_compiled else "is"
    print(f"  {compiled} the definition compiled from workflow/ for {status.workflow_type}, the state machine's type")
    if status.template_version_arn is None:
        print("  the template's version is unknown (no StateMachineVersion in the stack)")
    elif status.scripted:
        print(
            "  WARNING: it is a scripted update, not the version the template published "
            f"({status.template_version_arn})"
            ": a deploy that changes the state machine resource (definition, a substitution such as a function ARN, "
            "logging, tracing, the role) reverts it; merge the change, or run `orderflow workflow update` after"
        )
        return 3
    else:
        print(f"  is the definition of the version the template published ({status.template_version_arn})")
    return 0


def _workflow_prune(args: argparse.Namespace) -> int:
    from workflow.ops.versions import prune_versions

    target = connect(args)
    pruned = prune_versions(
        target.client("stepfunctions"), target.output("StateMachineArn"), args.keep_versions, dry_run=args.dry_run
    )
    _print_pruned(pruned, args.dry_run)
    return 0


def _print_pruned(pruned: Any, dry_run: bool) -> None:
    verb = "would delete" if dry_run else "deleted"
    print(
        f"kept {len(pruned.kept)} versions ({len(pruned.routed)} routed to by an alias); {verb} {len(pruned.deleted)}"
    )
    for arn in pruned.deleted:
        print(f"  {verb} {arn}")


def _workflow_update(args: argparse.Namespace) -> int:
    from workflow.asl import DefinitionError
    from workflow.ops.update import apply_update, plan_update

    target = connect(args)
    try:
        plan = plan_update(target)
    except DefinitionError as e:
        return _refused(e)
    print(f"{target.where}: compiled workflow/ for its {plan.workflow_type} state machine")
    if not plan.changed:
        print(f"{target.where}: alias {plan.alias_name} already runs the compiled definition; nothing to publish")
        return 0
    sys.stdout.write(plan.diff())
    if args.dry_run:
        print(f"(dry run: {target.where} was not changed)", file=sys.stderr)
        return 0
    result = apply_update(target, plan, args.description)
    print(f"published {result.version_arn}\nalias {result.alias_arn} -> it (100%)")
    from workflow.ops.versions import prune_versions

    _print_pruned(prune_versions(target.client("stepfunctions"), plan.state_machine_arn, args.keep_versions), False)
    return 0
