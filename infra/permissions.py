"""Least privilege as data: the IAM grants infra/ builds statements from, derived, never listed by hand.

A function may do what its manifest entry's `access` says (workflow/manifest.py); the state machine may do what the
Tasks of its compiled ASL do. Resources are named as in the manifest; actions are exactly the calls the code makes.

Lambda's own logging and X-Ray permissions are added per function (its log group; X-Ray has no resource-level
permissions). Triggers (SQS event source, SNS subscription, API integration) grant themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from workflow import asl
from workflow.manifest import (
    Access,
    DescribeExecutions,
    Function,
    FunctionArn,
    Manifest,
    PublishTo,
    QueryIndex,
    QueueUrl,
    ReadSecret,
    Ref,
    SendEmail,
    SendTo,
    StartExecutions,
    TableAccess,
    TableName,
    TopicArn,
)


@dataclass(frozen=True)
class Grant:
    # "table:<name>", "index:<table>/<index>", "queue:<name>", "topic:<name>", "secret:<name>", "function:<name>",
    # "email-identity" (the SES identity of the configured sender, ALERT_EMAIL_FROM: its address and its domain;
    # none configured, no grant),
    # "state-machine-alias" (Step Functions authorizes calls through an alias on the state machine's own ARN,
    # narrowed to the alias by the states:StateMachineQualifier condition), "executions" (of the state machine)
    resource: str
    actions: tuple[str, ...]
    # With "state-machine-alias": the alias the calls must go through.
    qualifier: str | None = None


def access_grant(access: Access) -> Grant:
    match access:
        case TableAccess(table, operations):
            return Grant(f"table:{table}", tuple(f"dynamodb:{operation}" for operation in operations))
        case QueryIndex(table, index):
            return Grant(f"index:{table}/{index}", ("dynamodb:Query",))
        case PublishTo(topic):
            return Grant(f"topic:{topic}", ("sns:Publish",))
        case SendTo(queue):
            return Grant(f"queue:{queue}", ("sqs:SendMessage",))
        case ReadSecret(secret):
            return Grant(f"secret:{secret}", ("secretsmanager:GetSecretValue",))
        case StartExecutions(alias):
            return Grant("state-machine-alias", ("states:StartExecution",), qualifier=alias)
        case DescribeExecutions():
            return Grant("executions", ("states:DescribeExecution",))
        case SendEmail():
            return Grant("email-identity", ("ses:SendEmail",))
    raise TypeError(f"no IAM grant for {access!r}")


def function_grants(function: Function) -> tuple[Grant, ...]:
    """What a function may do: its manifest access, in the manifest's order."""
    return tuple(access_grant(access) for access in function.access)


# The IAM action each service integration the definition uses calls. A Task with another integration fails synth
# (and the infra tests) until its action is added here.
INTEGRATION_ACTIONS = {
    "lambda:invoke": "lambda:InvokeFunction",
    "dynamodb:getItem": "dynamodb:GetItem",
    "dynamodb:putItem": "dynamodb:PutItem",
    "dynamodb:updateItem": "dynamodb:UpdateItem",
    "dynamodb:deleteItem": "dynamodb:DeleteItem",
    "sqs:sendMessage": "sqs:SendMessage",
    "sns:publish": "sns:Publish",
}


def _resource(ref: Ref) -> str:
    match ref:
        case FunctionArn(function):
            return f"function:{function}"
        case TableName(table):
            return f"table:{table}"
        case QueueUrl(queue):
            return f"queue:{queue}"
        case TopicArn(topic):
            return f"topic:{topic}"
    raise TypeError(f"a Task acting on {ref!r} has no IAM resource")


def state_machine_grants(definition: Mapping[str, Any], manifest: Manifest) -> tuple[Grant, ...]:
    """What the state machine may do: each Task's action on its resource, one grant per resource in the order the
    definition first uses it (invocations are unqualified: the Tasks invoke the functions' ARNs)."""
    actions: dict[str, list[str]] = {}
    for task in asl.tasks(definition, manifest.substitutions):
        try:
            action = INTEGRATION_ACTIONS[task.integration]
        except KeyError:
            raise asl.DefinitionError(
                f"Task {task.state} uses {task.integration}, whose IAM action infra/permissions.py does not know"
            ) from None
        granted = actions.setdefault(_resource(task.target), [])
        if action not in granted:
            granted.append(action)
    return tuple(Grant(resource, tuple(granted)) for resource, granted in actions.items())
