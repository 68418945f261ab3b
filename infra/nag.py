"""cdk-nag acknowledgments: each finding this stack knowingly keeps, with the reason. Anything else fails synth.

cdk-nag 3 acknowledges each finding by its exact id (`Rule[Finding]`), on the construct that raised it.
"""

from __future__ import annotations

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import IConstruct

from infra.stack import OrderflowStack
from workflow.manifest import PYTHON_RUNTIME

XRAY_AND_LOG_DELIVERY = (
    "X-Ray (xray:PutTraceSegments, xray:PutTelemetryRecords) and CloudWatch Logs delivery for Step Functions "
    "(logs:CreateLogDelivery and friends) offer no resource-level permissions: AWS documents Resource '*' for them"
)


def _ack(scope: IConstruct, rule: str, reason: str) -> None:
    cdk.Validations.of(scope).acknowledge(cdk.Acknowledgment(id=rule, reason=reason))


def _default_policy(role: iam.IRole | None) -> IConstruct:
    assert isinstance(role, iam.Role)
    policy = role.node.try_find_child("DefaultPolicy")
    assert policy is not None, f"{role.node.path} has no policy"
    return policy


def acknowledge(stack: OrderflowStack) -> None:
    for function in stack.functions.values():
        _ack(_default_policy(function.role), "AwsSolutions-IAM5[Resource::*]", XRAY_AND_LOG_DELIVERY)
        _ack(
            function,
            "AwsSolutions-L1",
            f"{PYTHON_RUNTIME}, not the newest Python runtime: the handlers run on the Python they are tested on, and "
            "the newest cannot be installed on the machines that test them (workflow/manifest.py PYTHON_RUNTIME)",
        )
    _ack(_default_policy(stack.state_machine.role), "AwsSolutions-IAM5[Resource::*]", XRAY_AND_LOG_DELIVERY)

    machine = stack.get_logical_id(stack.state_machine.node.default_child)
    _ack(
        _default_policy(stack.functions["StartWorkflow"].role),
        "AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:states:<AWS::Region>:<AWS::AccountId>:execution:"
        f"<{machine}.Name>:*]",
        "StartWorkflow describes its own executions (replays and GET /orders/{id}); execution names are order ids, "
        "known only at run time, so the resource is every execution of this one state machine",
    )
    if stack.settings.express and stack.settings.express_log_level != "ALL":
        _ack(
            stack.state_machine,
            "AwsSolutions-SF1",
            f"Express workflows log at {stack.settings.express_log_level} by default: at ALL, log ingestion can cost "
            "more than the executions; failures are still logged with their data (context expressLogLevel=ALL)",
        )
    for name, secret in stack.secrets.items():
        _ack(
            secret,
            "AwsSolutions-SMG4",
            f"{stack.manifest.secret(name).description}: a URL its service issues, which a Lambda cannot rotate; "
            "the operator replaces the value (infra/README.md) and the AlertHandler picks it up within 5 minutes",
        )
