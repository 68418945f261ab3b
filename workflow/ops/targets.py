"""Where operator commands act: the running local system or a deployed stack on AWS, through one interface.

    target = connect("local")            # `orderflow up`'s AWS endpoint (moto's server, the same state)
    target = connect("aws")              # your AWS credentials; resources from the stack's CloudFormation outputs
    sfn = target.client("stepfunctions")
    target.output("StateMachineArn")

Both give the same output keys (the manifest's outputs and substitutions), so a command is written once.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from workflow.manifest import DEFAULT_REGION, STACK_NAME
from workflow.ops.local_names import DEFAULT_AWS_ENDPOINT, LocalNames

TARGETS = ("local", "aws")
ENDPOINT_ENV = "ORDERFLOW_AWS_ENDPOINT"
STACK_ENV = "ORDERFLOW_STACK"

if TYPE_CHECKING:
    import boto3
    from botocore.config import Config

# boto3 is imported when a target is connected, not with this module: the CLI builds its parser from the operator
# tools' modules, and `orderflow --help` or `orderflow asl` should not pay for boto3.


@cache
def _config(host_prefix: bool = True) -> Config:
    """`host_prefix` off for an explicit endpoint: botocore would send, e.g., TestState to `sync-<endpoint host>`,
    which does not resolve (AWS's own endpoints have the prefixed names)."""
    from botocore.config import Config

    return Config(
        retries={"mode": "standard", "total_max_attempts": 3},
        connect_timeout=3,
        read_timeout=30,
        inject_host_prefix=host_prefix,
    )


class TargetError(RuntimeError):
    """The target cannot be reached or does not hold an orderflow system; the message says what to do."""


@dataclass(frozen=True)
class Target:
    name: str
    session: boto3.Session
    endpoint_url: str | None
    outputs: Mapping[str, str]
    where: str  # for messages: "the local system at http://..." / "stack orderflow in eu-west-1"
    stack: str | None = None  # the CloudFormation stack (aws)
    # One client per service, made once: a boto3 client is thread-safe once made, its session is not (the console
    # serves requests on threads), and making one resolves credentials and endpoints each time.
    _clients: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)
    _making: threading.Lock = field(default_factory=threading.Lock, compare=False, repr=False)

    def client(self, service: str) -> Any:
        with self._making:
            made = self._clients.get(service)
            if made is None:
                config = _config(host_prefix=self.endpoint_url is None)
                made = self.session.client(service, endpoint_url=self.endpoint_url, config=config)  # type: ignore[call-overload]
                self._clients[service] = made
            return made

    def output(self, key: str) -> str:
        try:
            return self.outputs[key]
        except KeyError:
            raise TargetError(f"{self.where} has no output {key!r} (has: {', '.join(sorted(self.outputs))})") from None


def connect(
    target: str,
    *,
    stack: str | None = None,
    region: str | None = None,
    endpoint_url: str | None = None,
) -> Target:
    if target == "local":
        return _local(endpoint_url or os.environ.get(ENDPOINT_ENV) or DEFAULT_AWS_ENDPOINT)
    if target == "aws":
        return _aws(stack or os.environ.get(STACK_ENV) or STACK_NAME, region, endpoint_url)
    raise TargetError(f"unknown target {target!r}: use one of {', '.join(TARGETS)}")


def _local(endpoint_url: str) -> Target:
    import boto3
    from botocore.exceptions import ClientError, EndpointConnectionError

    # moto accepts any credentials; fixed ones keep a developer's real AWS credentials out of local calls.
    session = boto3.Session(aws_access_key_id="local", aws_secret_access_key="local", region_name=DEFAULT_REGION)  # noqa: S106
    names = LocalNames(DEFAULT_REGION)
    local = Target("local", session, endpoint_url, names.outputs(), f"the local system at {endpoint_url}")
    try:
        local.client("stepfunctions").describe_state_machine(stateMachineArn=names.state_machine_arn())
    except EndpointConnectionError:
        raise TargetError(f"nothing answers at {endpoint_url}; is `orderflow up` (make run) running?") from None
    except ClientError as e:
        raise TargetError(f"{endpoint_url} answers but holds no orderflow system: {e}") from None
    return local


def _aws(stack: str, region: str | None, endpoint_url: str | None) -> Target:
    import boto3
    from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

    session = boto3.Session(region_name=region)
    where = f"stack {stack} in {session.region_name or 'your default region'}"
    try:
        cloudformation = session.client("cloudformation", endpoint_url=endpoint_url, config=_config())
        described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    except NoCredentialsError:
        raise TargetError("no AWS credentials found (aws configure, AWS_PROFILE or AWS_ACCESS_KEY_ID)") from None
    except ClientError as e:
        raise TargetError(
            f"cannot read {where}: {e.response['Error'].get('Message', e)}; deploy it with `make deploy`"
        ) from None
    except BotoCoreError as e:
        raise TargetError(f"cannot read {where}: {e}") from None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    return Target("aws", session, endpoint_url, outputs, where, stack)
