"""The kit's endpoint: a Step Functions client served in-process by the patched moto, the order workflow compiled for
it, and the JSON text requests and answers go through."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from moto import mock_aws

from workflow import asl
from workflow.definition import JSONATA
from workflow.emulator import patches, table
from workflow.emulator.services import InvokeResult
from workflow.emulator.wiring import Wiring
from workflow.manifest import DEFAULT_REGION, MANIFEST
from workflow.ops.local_names import ACCOUNT, LocalNames

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

ROLE_ARN: str = f"arn:aws:iam::{ACCOUNT}:role/orderflow-testing"
STATUSES = ("SUCCEEDED", "FAILED", "RETRIABLE", "CAUGHT_ERROR")


def _no_function(function: str, event: object) -> InvokeResult:
    """The kit runs no Lambda function: a Task that reaches one fails as a Lambda error would, naming the fix."""
    error = {
        "errorType": "FunctionNotRunHere",
        "errorMessage": f"workflow.testing runs no Lambda function ({function}): mock the Task's result or error",
    }
    return json.dumps(error), True, ""


_clients: list[Any] = []  # the clients of the open local_stepfunctions() blocks, innermost last


def _client(region: str) -> SFNClient:
    client: SFNClient = boto3.client(
        "stepfunctions",
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106  # moto accepts any credentials
        # TestState's model has a host prefix (sync-states.<region>...), which moto's URL patterns do not serve.
        config=Config(inject_host_prefix=False, retries={"total_max_attempts": 1}),
    )
    return client


@contextlib.contextmanager
def local_stepfunctions(region: str = DEFAULT_REGION, retry_scale: float = 0.0) -> Iterator[SFNClient]:
    """A Step Functions client served in-process by the patched moto, for the block's duration."""
    mock = mock_aws(config={"stepfunctions": {"execute_state_machine": True}})
    mock.start()  # nested in a running mock, this resets nothing
    ours = not patches.installed()
    # moto logs every caught state failure at ERROR (a failure a test asks for included), as the runtime silences it.
    parser_log = logging.getLogger("moto.stepfunctions.parser")
    level = parser_log.level
    parser_log.setLevel(logging.CRITICAL)
    try:
        if ours:
            table.install(Wiring(dispatch=_no_function, retry_scale=retry_scale))
        client = _client(region)
        _clients.append(client)
        try:
            yield client
        finally:
            _clients.remove(client)
    finally:
        if ours:
            table.uninstall()
        parser_log.setLevel(level)
        mock.stop()


@contextlib.contextmanager
def using(client: Any | None) -> Iterator[Any]:
    """The given client, else the innermost open local_stepfunctions() block's, else one opened for this call."""
    if client is not None:
        yield client
    elif _clients:
        yield _clients[-1]
    else:
        with local_stepfunctions() as opened:
            yield opened


def order_workflow(workflow_type: str = "STANDARD", query_language: str = JSONATA) -> dict[str, Any]:
    """The order workflow as the local system runs it: compiled, its placeholders filled with the local names."""
    names = LocalNames()
    values = {name: names.resolve(ref) for name, ref in MANIFEST.substitutions.items()}
    compiled: dict[str, Any] = json.loads(
        asl.substitute(asl.compile_order_workflow(workflow_type, query_language), values)
    )
    return compiled


def parsed(text: Any) -> Any:
    return json.loads(text) if isinstance(text, str) else None


def as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)
