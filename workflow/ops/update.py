"""Scripted workflow updates: publish the compiled definition to a running state machine as a new version and move
its alias (`live`) to it. A dry run shows the ASL diff against what the alias runs now and changes nothing.

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
                tofile="compiled from workflow/",
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
    compiled = dict(definition) if definition is not None else asl.compile_order_workflow()
    asl.check_manifest(compiled, manifest)  # a definition edited by hand is held to what the compiler checks
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

    sfn = target.client("stepfunctions")
    arn = target.output("StateMachineArn")
    alias_arn: str | None = None
    live_version: str | None = None
    for alias in sfn.list_state_machine_aliases(stateMachineArn=arn).get("stateMachineAliases", []):
        if alias["stateMachineAliasArn"].rsplit(":", 1)[-1] == manifest.live_alias:
            alias_arn = alias["stateMachineAliasArn"]
            routes = sfn.describe_state_machine_alias(stateMachineAliasArn=alias_arn)["routingConfiguration"]
            live_version = max(routes, key=lambda route: route["weight"])["stateMachineVersionArn"]
    current = sfn.describe_state_machine(stateMachineArn=live_version or arn)["definition"]
    return UpdatePlan(
        arn, manifest.live_alias, alias_arn, live_version, proposed, _normalised(current), _normalised(proposed)
    )


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
