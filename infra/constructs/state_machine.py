"""The state machine: the ASL compiled by workflow/asl.py with its placeholders as DefinitionSubstitutions, its role
(exactly what the definition's Tasks do, infra/permissions.py), its log group, and the version and `live` alias
every deployment publishes.

The state machine, its version and its alias are created in the stack's own scope: their logical ids stay (a
changed id would replace the machine and lose the executions' history).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from aws_cdk import aws_stepfunctions as sfn
from constructs import Construct

from infra import permissions
from infra.constructs.references import References
from workflow import manifest as manifest_rules
from workflow.manifest import Manifest, Partition

# The state machine's log group's construct id (its logical id must not change); monitoring reads the logs.
LOG_GROUP_ID = "StateMachineLogs"


def logs_execution_data(level: str) -> bool:
    """Whether an Express state machine's log records carry execution data (workflow.manifest's rule, which the
    local runtime follows too)."""
    return manifest_rules.logs_execution_data("EXPRESS", level)


@dataclass(frozen=True)
class Logging:
    """How the state machine logs (from the operator's settings)."""

    express: bool
    express_log_level: str
    retention: logs.RetentionDays


def add_state_machine(
    scope: Construct, definition: Mapping[str, Any], manifest: Manifest, refs: References, logging: Logging
) -> tuple[sfn.StateMachine, sfn.CfnStateMachineAlias]:
    # Named under /aws/vendedlogs/states/ (workflow.manifest), without the workflow type (a type change replaces
    # the state machine; the new one logs on into the same group). A stack deployed before had a generated name: the
    # rename replaces the group (same logical id), and UpdateReplacePolicy Retain keeps the old one with its records
    # until their retention ends (delete it by hand); cdk destroy still deletes this one.
    log_group = logs.LogGroup(
        scope,
        LOG_GROUP_ID,
        log_group_name=manifest_rules.state_machine_log_group(cdk.Stack.of(scope).stack_name),
        retention=logging.retention,
        removal_policy=cdk.RemovalPolicy.DESTROY,
    )
    cfn_log_group = log_group.node.default_child
    assert isinstance(cfn_log_group, logs.CfnLogGroup)
    cfn_log_group.cfn_options.update_replace_policy = cdk.CfnDeletionPolicy.RETAIN
    if logging.express:
        level = logging.express_log_level
        log_options = sfn.LogOptions(
            destination=log_group,
            level=sfn.LogLevel[level],
            include_execution_data=logs_execution_data(level),
        )
    else:
        # Standard keeps every execution's history (with its data) for 90 days; the logs carry the events
        # without repeating customer data.
        log_options = sfn.LogOptions(destination=log_group, level=sfn.LogLevel.ALL, include_execution_data=False)
    role = iam.Role(
        scope,
        "StateMachineRole",
        assumed_by=iam.ServicePrincipal("states.amazonaws.com"),
        description="orderflow state machine: its three functions, the orders table, the queue, the alert topic",
    )
    refs.grant(role, permissions.state_machine_grants(definition, manifest))
    # The partition is written into the definition at synth (a pseudo parameter, known to CloudFormation and
    # to cfn-lint); the other placeholders become DefinitionSubstitutions, filled in at deploy.
    text = json.dumps(definition, indent=2)
    substitutions = {}
    for name, ref in manifest.substitutions.items():
        if isinstance(ref, Partition):
            text = text.replace("${" + name + "}", cdk.Aws.PARTITION)
        else:
            substitutions[name] = refs.value_of(ref)
    machine = sfn.StateMachine(
        scope,
        "Orders",
        definition_body=sfn.DefinitionBody.from_string(text),
        definition_substitutions=substitutions,
        state_machine_type=sfn.StateMachineType.EXPRESS if logging.express else sfn.StateMachineType.STANDARD,
        role=role,
        logs=log_options,
        tracing_enabled=True,
    )
    return machine, _publish(scope, machine, manifest.live_alias, "Express" if logging.express else "Standard")


def _publish(scope: Construct, machine: sfn.StateMachine, alias_name: str, kind: str) -> sfn.CfnStateMachineAlias:
    """Every deployed definition is published as a version and the live alias routed to it; StartWorkflow starts
    executions through the alias, so `orderflow workflow update` can move it between deployments. A change of
    workflow type replaces the state machine; new logical ids (`kind`) make CloudFormation create the version and
    alias for the new machine instead of moving the old alias across machines."""
    version = sfn.CfnStateMachineVersion(
        scope,
        f"Orders{kind}Version",
        state_machine_arn=machine.state_machine_arn,
        state_machine_revision_id=machine.state_machine_revision_id,
        description="published by cdk deploy",
    )
    # A new definition replaces the version resource: keep the old version so the alias can move back to it.
    version.apply_removal_policy(cdk.RemovalPolicy.RETAIN)
    return sfn.CfnStateMachineAlias(
        scope,
        f"{kind}LiveAlias",
        name=alias_name,
        description="what the API starts; moved by cdk deploy and orderflow workflow update",
        routing_configuration=[
            sfn.CfnStateMachineAlias.RoutingConfigurationVersionProperty(
                state_machine_version_arn=version.attr_arn, weight=100
            )
        ],
    )
