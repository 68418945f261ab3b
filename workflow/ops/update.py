"""Scripted workflow updates: publish the compiled definition to a running state machine as a new version and move
its alias (`live`) to it. A dry run shows the ASL diff against what the alias runs now and changes nothing.

The definition is compiled for the state machine's own workflow type (DescribeStateMachine's `type`, STANDARD or
EXPRESS): the two differ in their retry policy (workflow.retries.POLICIES), and publishing Standard's to an Express
machine would let an execution run into Express's five-minute cut-off, which skips the failure route.

The same code serves the local system and AWS (workflow.ops.targets); placeholders are filled from the target's
outputs, so nothing is hard-coded.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workflow import asl
from workflow.manifest import MANIFEST, Manifest
from workflow.ops.local_names import PROVISIONED_VERSION
from workflow.ops.targets import Target, TargetError
from workflow.ops.versions import versions


@dataclass(frozen=True)
class UpdatePlan:
    state_machine_arn: str
    workflow_type: str  # the deployed state machine's (STANDARD | EXPRESS): what `definition` is compiled/checked for
    alias_name: str
    alias_arn: str | None  # None: the alias does not exist yet and will be created
    live_version_arn: str | None
    definition: str  # what would be published
    current: str  # what the alias runs now (or the state machine's latest definition), normalised for diffing
    proposed: str  # `definition`, normalised the same way

    @property
    def changed(self) -> bool:
        """Something to publish: a different definition, or no alias yet to route to it."""
        return self.current != self.proposed or self.alias_arn is None

    def diff(self) -> str:
        return "".join(
            difflib.unified_diff(
                self.current.splitlines(keepends=True),
                self.proposed.splitlines(keepends=True),
                fromfile=f"{self.alias_name} ({self.live_version_arn or 'latest'})",
                tofile=f"compiled from workflow/ for {self.workflow_type}",
            )
        )


@dataclass(frozen=True)
class UpdateResult:
    version_arn: str
    alias_arn: str


def _normalised(definition: str | Mapping[str, Any]) -> str:
    data = json.loads(definition) if isinstance(definition, str) else definition
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def plan_update(
    target: Target,
    definition: Mapping[str, Any] | None = None,
    manifest: Manifest = MANIFEST,
) -> UpdatePlan:
    """What publishing to the target's state machine would change: the definition compiled for the machine's workflow
    type (DescribeStateMachine's), or `definition` (edited by hand), checked against the manifest and, on EXPRESS,
    against Express's budget. A definition that does not fit raises DefinitionError; a target without the outputs the
    placeholders need raises TargetError."""
    sfn = target.client("stepfunctions")
    arn = target.output("StateMachineArn")
    machine = sfn.describe_state_machine(stateMachineArn=arn)
    workflow_type = asl.check_workflow_type(str(machine["type"]))
    # In the query language that ships (compile_order_workflow's default), whatever language live is written in: a
    # JSONPath edition published by hand shows as drift, and an update puts back what ships.
    compiled = dict(definition) if definition is not None else asl.compile_order_workflow(workflow_type)
    asl.check_manifest(compiled, manifest)  # a definition edited by hand is held to what the compiler checks
    if definition is not None:
        _check_fits(compiled, workflow_type, target.where)  # compile_order_workflow checked its own
    values = {}
    missing = []
    for name in manifest.substitutions:
        if name in target.outputs:
            values[name] = target.outputs[name]
        else:
            missing.append(name)
    if missing:
        raise TargetError(f"{target.where} lacks outputs for placeholders {', '.join(missing)}: redeploy the stack")
    proposed = asl.substitute(compiled, values)

    alias_arn: str | None = None
    live_version: str | None = None
    for alias in sfn.list_state_machine_aliases(stateMachineArn=arn).get("stateMachineAliases", []):
        if alias["stateMachineAliasArn"].rsplit(":", 1)[-1] == manifest.live_alias:
            alias_arn = alias["stateMachineAliasArn"]
            routes = sfn.describe_state_machine_alias(stateMachineAliasArn=alias_arn)["routingConfiguration"]
            live_version = max(routes, key=lambda route: route["weight"])["stateMachineVersionArn"]
    current = sfn.describe_state_machine(stateMachineArn=live_version)["definition"] if live_version else None
    return UpdatePlan(
        state_machine_arn=arn,
        workflow_type=workflow_type,
        alias_name=manifest.live_alias,
        alias_arn=alias_arn,
        live_version_arn=live_version,
        definition=proposed,
        current=_normalised(current if current is not None else machine["definition"]),
        proposed=_normalised(proposed),
    )


def _check_fits(definition: Mapping[str, Any], workflow_type: str, where: str) -> None:
    """Refuse a hand-edited definition that the compiler would refuse for the machine's type: on EXPRESS, an unbounded
    state or a worst path past the five-minute limit (the STANDARD definition is one: its native Tasks have no
    timeout)."""
    if workflow_type != "EXPRESS":
        return  # the compiler budgets Express only: a Standard execution may run a year
    asl.check(definition)  # the budget walks the graph: it must be whole (every Next a state, no dangling StartAt)
    try:
        asl.check_budget(definition, workflow_type)
    except asl.DefinitionError as e:
        try:
            worst = f"this definition's worst path is {asl.budget(definition)[0].describe()}"
        except asl.DefinitionError:  # a loop: check_budget's own message names it
            worst = "this definition has no worst path"
        raise asl.DefinitionError(
            f"refusing to publish to {where}: its state machine is EXPRESS, whose executions are cut off at "
            f"{asl.TIME_LIMITS[workflow_type]} s (skipping the failure route), and {worst}: {e}. "
            "Publish the definition compiled for EXPRESS (workflow.asl.compile_order_workflow('EXPRESS'))"
        ) from e


def apply_update(target: Target, plan: UpdatePlan, description: str) -> UpdateResult:
    """Publish the plan's definition as a new version and route the whole alias to it."""
    sfn = target.client("stepfunctions")
    version_arn = sfn.update_state_machine(
        stateMachineArn=plan.state_machine_arn,
        definition=plan.definition,
        publish=True,
        versionDescription=description[:256],
    )["stateMachineVersionArn"]
    routing = [{"stateMachineVersionArn": version_arn, "weight": 100}]
    if plan.alias_arn is None:
        alias_arn = sfn.create_state_machine_alias(name=plan.alias_name, routingConfiguration=routing)[
            "stateMachineAliasArn"
        ]
    else:
        sfn.update_state_machine_alias(stateMachineAliasArn=plan.alias_arn, routingConfiguration=routing)
        alias_arn = plan.alias_arn
    return UpdateResult(version_arn, alias_arn)


@dataclass(frozen=True)
class WorkflowStatus:
    """What `live` runs, against what the repository compiles and what the stack's template published."""

    alias_name: str
    workflow_type: str  # the state machine's: what the compiled definition is compiled for
    live_version_arn: str | None
    live_description: str
    live_created: str
    differs_from_compiled: bool
    # The version the stack's template published (AWS: the stack's StateMachineVersion resource; locally: the one
    # provisioned), and whether `live` runs another: a scripted update that a deploy touching the state machine
    # would revert.
    template_version_arn: str | None
    # live's definition is not the template version's: what a deploy would put back
    scripted: bool
    diff: str


def workflow_status(target: Target, definition: Mapping[str, Any] | None = None) -> WorkflowStatus:
    plan = plan_update(target, definition)
    sfn = target.client("stepfunctions")
    described = sfn.describe_state_machine(stateMachineArn=plan.live_version_arn) if plan.live_version_arn else {}
    template = _template_version(target, sfn, plan.state_machine_arn)
    scripted = template is not None and (
        template != plan.live_version_arn
        and _normalised(sfn.describe_state_machine(stateMachineArn=template)["definition"]) != plan.current
    )
    return WorkflowStatus(
        alias_name=plan.alias_name,
        workflow_type=plan.workflow_type,
        live_version_arn=plan.live_version_arn,
        live_description=str(described.get("description", "")),
        live_created=str(described.get("creationDate", "")),
        differs_from_compiled=plan.current != plan.proposed,
        template_version_arn=template,
        scripted=scripted,
        diff=plan.diff(),
    )


def _template_version(target: Target, sfn: Any, state_machine_arn: str) -> str | None:
    """The version the deployment published: on AWS the stack's StateMachineVersion resource; locally the version
    the runtime provisioned (the first, described PROVISIONED_VERSION)."""
    if target.stack is not None:
        cloudformation = target.client("cloudformation")
        resources = cloudformation.describe_stack_resources(StackName=target.stack)["StackResources"]
        published = [
            r.get("PhysicalResourceId")
            for r in resources
            if r.get("ResourceType") == "AWS::StepFunctions::StateMachineVersion" and r.get("PhysicalResourceId")
        ]
        return str(published[-1]) if published else None
    for arn in reversed(versions(sfn, state_machine_arn)):  # oldest first: it is the first one
        if sfn.describe_state_machine(stateMachineArn=arn).get("description") == PROVISIONED_VERSION:
            return str(arn)
    return None
