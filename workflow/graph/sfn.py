"""One execution as Step Functions keeps it, read through the client the caller passes in (boto3's, on AWS or
moto): its events, the definition it ran; and an execution's ARN from its state machine's and its name."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from workflow.graph.model import GraphError

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient


def execution_history(sfn: SFNClient, execution_arn: str, *, max_pages: int = 100) -> list[dict[str, Any]]:
    """Every event of an execution, oldest first (1000 per page; bounded, as every wait here is)."""
    events: list[dict[str, Any]] = []
    token: str | None = None
    for _ in range(max_pages):
        page = (
            sfn.get_execution_history(executionArn=execution_arn, maxResults=1000, nextToken=token)
            if token
            else sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)
        )
        events += [dict(event) for event in page["events"]]
        token = page.get("nextToken")
        if not token:
            return events
    raise GraphError(f"{execution_arn} has more than {max_pages * 1000} events")


def execution_definition(sfn: SFNClient, execution_arn: str) -> dict[str, Any]:
    """The definition the execution ran (it may be older than the current one)."""
    described = sfn.describe_state_machine_for_execution(executionArn=execution_arn)
    definition: dict[str, Any] = json.loads(described["definition"])
    return definition


def execution_arn(state_machine_arn: str, execution_name: str) -> str:
    """Executions are named after their order: ...:stateMachine:<sm> -> ...:execution:<sm>:<name>."""
    if ":stateMachine:" not in state_machine_arn:
        raise GraphError(f"not a state machine ARN: {state_machine_arn}")
    return state_machine_arn.replace(":stateMachine:", ":execution:", 1) + f":{execution_name}"
