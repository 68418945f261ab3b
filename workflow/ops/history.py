"""Reading what executions did, for every operator tool, the graph command and chaos: one paginated history
reader, and where an order's execution is.

Executions are named after their order, and belong to the state machine whichever way they were started (through
the `live` alias, a version, or the state machine itself).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from handlers import arns

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient

MAX_PAGES = 100


class HistoryError(ValueError):
    pass


def execution_arn(state_machine_arn: str, execution_name: str) -> str:
    """`...:stateMachine:<sm>[:<alias or version>]` -> `...:execution:<sm>:<name>` (the handlers' own derivation)."""
    try:
        return arns.execution_arn(state_machine_arn, execution_name)
    except ValueError as e:
        raise HistoryError(str(e)) from None


def execution_history(sfn: SFNClient, execution_arn: str, *, max_pages: int = MAX_PAGES) -> list[dict[str, Any]]:
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
    raise HistoryError(f"{execution_arn} has more than {max_pages * 1000} events")


def execution_definition(sfn: SFNClient, execution_arn: str) -> dict[str, Any]:
    """The definition the execution ran (it may be older than the current one)."""
    described = sfn.describe_state_machine_for_execution(executionArn=execution_arn)
    definition: dict[str, Any] = json.loads(described["definition"])
    return definition


def recorded_failure(events: Sequence[Mapping[str, Any]]) -> tuple[str, Any] | None:
    """The failed step and its caught error, as the workflow records them in the input of its failure path
    (`$.failure`), or None for an execution that recorded none."""
    for event in events:
        details = event.get("stateEnteredEventDetails")
        if details and details.get("input"):
            failure = json.loads(details["input"]).get("failure")
            if isinstance(failure, dict) and failure.get("state") and isinstance(failure.get("error"), dict):
                return str(failure["state"]), failure["error"]
    return None


def steps(events: Sequence[Mapping[str, Any]]) -> list[str]:
    """The states entered, in order, with each failure's error in brackets where it happened."""
    taken = []
    for event in events:
        if "stateEnteredEventDetails" in event:
            taken.append(str(event["stateEnteredEventDetails"]["name"]))
        elif str(event["type"]).endswith("Failed"):
            details: Mapping[str, Any] = next((v for k, v in event.items() if k.endswith("FailedEventDetails")), {})
            taken.append(f"[{details.get('error', event['type'])}]")
    return taken
