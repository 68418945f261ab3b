"""The local system's resource names and ARNs: deterministic, so references resolve before the resources exist and
a CLI in another process finds the running system's resources without asking it.

Pure (no moto import): the local runtime provisions by these names, and the local target (workflow.ops.targets)
finds the running system's resources by them, through its AWS endpoint.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflow.manifest import (
    DEFAULT_REGION,
    MANIFEST,
    STACK_NAME,
    FunctionArn,
    IndexName,
    Manifest,
    Partition,
    QueueArn,
    QueueUrl,
    Ref,
    SecretArn,
    Setting,
    StateMachineArn,
    TableName,
    TopicArn,
    WorkflowType,
    state_machine_log_group,
)

ACCOUNT = "123456789012"
STATE_MACHINE = f"{STACK_NAME}-orders"
# How the local runtime describes the version it provisions: the local "template's" version (workflow status).
PROVISIONED_VERSION = "as provisioned"
# Where `orderflow up` serves the AWS APIs (moto's server, sharing the running system's state).
DEFAULT_AWS_ENDPOINT = "http://127.0.0.1:4566"


@dataclass(frozen=True)
class LocalNames:
    region: str = DEFAULT_REGION
    manifest: Manifest = MANIFEST

    def table_name(self, name: str) -> str:
        return f"{STACK_NAME}-{self.manifest.table(name).name}"

    def queue_name(self, name: str) -> str:
        return f"{STACK_NAME}-{self.manifest.queue(name).name}"

    def queue_arn(self, name: str) -> str:
        return f"arn:aws:sqs:{self.region}:{ACCOUNT}:{self.queue_name(name)}"

    def queue_url(self, name: str) -> str:
        return f"https://sqs.{self.region}.amazonaws.com/{ACCOUNT}/{self.queue_name(name)}"

    def topic_name(self, name: str) -> str:
        return f"{STACK_NAME}-{self.manifest.topic(name).name}"

    def topic_arn(self, name: str) -> str:
        return f"arn:aws:sns:{self.region}:{ACCOUNT}:{self.topic_name(name)}"

    def function_arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{ACCOUNT}:function:{self.manifest.function(name).name}"

    def secret_name(self, name: str) -> str:
        return f"{STACK_NAME}/{self.manifest.secret(name).name}"

    def secret_id(self, name: str) -> str:
        # Secrets Manager ends a secret's ARN with six random characters, so the local system refers to it by
        # name, which every Secrets Manager call accepts wherever it takes the ARN.
        return self.secret_name(name)

    def state_machine_arn(self) -> str:
        return f"arn:aws:states:{self.region}:{ACCOUNT}:stateMachine:{STATE_MACHINE}"

    def state_machine_log_group(self) -> str:
        return state_machine_log_group(STACK_NAME)

    def log_group_arn(self, name: str) -> str:
        return f"arn:aws:logs:{self.region}:{ACCOUNT}:log-group:{name}:*"

    def alias_arn(self, alias: str) -> str:
        return f"{self.state_machine_arn()}:{alias}"

    def resolve(self, ref: Ref) -> str:
        """Every reference but operator settings (those come from the runtime's configuration)."""
        match ref:
            case TableName(table):
                return self.table_name(table)
            case IndexName(index=index):
                return index
            case QueueUrl(queue):
                return self.queue_url(queue)
            case QueueArn(queue):
                return self.queue_arn(queue)
            case TopicArn(topic):
                return self.topic_arn(topic)
            case FunctionArn(function):
                return self.function_arn(function)
            case SecretArn(secret):
                return self.secret_id(secret)
            case StateMachineArn(alias=None):
                return self.state_machine_arn()
            case StateMachineArn(alias=str()):
                # Where executions start through the alias. moto cannot start an execution through an alias, so
                # locally that is the state machine itself, whose definition is the one the alias's newest version
                # holds (`orderflow workflow update` moves both). The alias itself exists: `alias_arn` names it.
                return self.state_machine_arn()
            case Partition():
                return "aws"
            case Setting(name):
                raise TypeError(f"setting {name} is the runtime's configuration, not a resource name")
            case WorkflowType():
                raise TypeError("the workflow type is the runtime's configuration, not a resource name")
        raise TypeError(f"unknown reference {ref!r}")

    def outputs(self) -> dict[str, str]:
        """The same keys the CDK stack outputs, for the local system."""
        return {key: self.resolve(ref) for key, ref in self.manifest.all_outputs().items()}
