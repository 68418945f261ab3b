"""The stack's resources by manifest name: what manifest references (environment, substitutions, outputs) and the
IAM grants of infra/permissions.py resolve against. Filled in stage by stage as the stack builds its parts."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from infra.permissions import Grant
from workflow.manifest import (
    FunctionArn,
    IndexName,
    Partition,
    QueueArn,
    QueueUrl,
    Ref,
    SecretArn,
    StateMachineArn,
    TableName,
    TopicArn,
    WorkflowType,
)

# The e-mail target's sender (handlers.alert_registry: the email target's first setting).
EMAIL_FROM = "ALERT_EMAIL_FROM"


@dataclass(frozen=True)
class References:
    scope: Construct
    live_alias_name: str
    # The KMS key the topics are encrypted with: whoever may publish to a topic may use it.
    key: Any
    tables: Mapping[str, Any]
    queues: Mapping[str, Any]
    topics: Mapping[str, Any]
    secrets: Mapping[str, Any]
    workflow_type: str
    # The operator's function settings (infra.context): the e-mail target's sender scopes its SES grant.
    settings: Mapping[str, str] = field(default_factory=dict)
    functions: Mapping[str, Any] = field(default_factory=dict)
    state_machine: Any = None
    live_alias: Any = None

    def with_functions(self, functions: Mapping[str, Any]) -> References:
        return dataclasses.replace(self, functions=functions)

    def with_state_machine(self, state_machine: Any, live_alias: Any) -> References:
        return dataclasses.replace(self, state_machine=state_machine, live_alias=live_alias)

    def _machine(self) -> Any:
        if self.state_machine is None:
            raise TypeError("the state machine is not built yet")
        return self.state_machine

    def value_of(self, ref: Ref) -> str:
        match ref:
            case TableName(table):
                return self.tables[table].table_name
            case IndexName(index=index):
                return index
            case QueueUrl(queue):
                return self.queues[queue].queue_url
            case QueueArn(queue):
                return self.queues[queue].queue_arn
            case TopicArn(topic):
                return self.topics[topic].topic_arn
            case FunctionArn(function):
                return self.functions[function].function_arn
            case SecretArn(secret):
                return self.secrets[secret].secret_arn
            case StateMachineArn(alias=None):
                return self._machine().state_machine_arn
            case StateMachineArn(alias=alias) if alias == self.live_alias_name and self.live_alias is not None:
                return self.live_alias.attr_arn
            case Partition():
                return cdk.Aws.PARTITION
            case WorkflowType():
                return self.workflow_type
        raise TypeError(f"{ref!r} has no value in the stack")

    def arns(self, resource: str) -> list[str]:
        kind, _, name = resource.partition(":")
        match kind:
            case "table":
                return [self.tables[name].table_arn]
            case "index":
                table, _, index = name.partition("/")
                return [f"{self.tables[table].table_arn}/index/{index}"]
            case "queue":
                return [self.queues[name].queue_arn]
            case "topic":
                return [self.topics[name].topic_arn]
            case "secret":
                return [self.secrets[name].secret_arn]
            case "function":
                return [self.functions[name].function_arn]
            case "state-machine-alias":
                return [self._machine().state_machine_arn]
            case "email-identity":
                sender = self.settings.get(EMAIL_FROM, "")
                if "@" not in sender:
                    return []  # no sender configured: the e-mail target is off, and nothing is granted
                stack = cdk.Stack.of(self.scope)
                return [
                    f"arn:{stack.partition}:ses:{stack.region}:{stack.account}:identity/{identity}"
                    for identity in (sender, sender.rpartition("@")[2])
                ]
            case "executions":
                return [
                    cdk.Arn.format(
                        cdk.ArnComponents(
                            service="states",
                            resource="execution",
                            resource_name=f"{self._machine().state_machine_name}:*",
                            arn_format=cdk.ArnFormat.COLON_RESOURCE_NAME,
                        ),
                        cdk.Stack.of(self.scope),
                    )
                ]
        raise KeyError(f"unknown resource {resource!r} in infra/permissions.py")

    def grant(self, role: iam.IRole | None, grants: Iterable[Grant]) -> None:
        if role is None:
            raise ValueError("every function has its own role")
        for grant in grants:
            resources = self.arns(grant.resource)
            if not resources:
                continue
            conditions = None
            if grant.qualifier is not None:
                conditions = {"StringEquals": {"states:StateMachineQualifier": grant.qualifier}}
            role.add_to_principal_policy(
                iam.PolicyStatement(actions=list(grant.actions), resources=resources, conditions=conditions)
            )
            if grant.resource.startswith("topic:"):
                # The topics are encrypted with our key: publishing needs it.
                self.key.grant(role, "kms:Decrypt", "kms:GenerateDataKey")
