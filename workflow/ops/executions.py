"""What the executions did: the newest ones, with why each failed one failed (`orderflow executions`).

Serves both workflow types: a Standard state machine's executions are listed and their histories read through the
Step Functions API; an Express one's come from its log records (workflow.ops.execution_logs), which hold what its
logging level keeps (ERROR: the failed executions only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from handlers.domain.alerts import readable_cause
from workflow.ops import execution_logs
from workflow.ops.history import execution_history, recorded_failure
from workflow.ops.targets import Target

DEFAULT_SINCE_HOURS = 24.0


@dataclass(frozen=True)
class ExecutionSummary:
    order_id: str
    status: str
    started: str
    stopped: str
    arn: str
    error: str = ""
    cause: str = ""

    def to_dict(self) -> dict[str, str]:
        return {
            "orderId": self.order_id,
            "status": self.status,
            "started": self.started,
            "stopped": self.stopped,
            "error": self.error,
            "cause": self.cause,
            "executionArn": self.arn,
        }


def executions(
    target: Target, status: str | None = None, limit: int = 20, since_hours: float = DEFAULT_SINCE_HOURS
) -> list[ExecutionSummary]:
    """The newest executions (optionally of one status), with why each failed one failed. For Express, those with
    log records in the last `since_hours`."""
    sfn = target.client("stepfunctions")
    state_machine = target.output("StateMachineArn")
    if sfn.describe_state_machine(stateMachineArn=state_machine).get("type") == "EXPRESS":
        return _logged(target, state_machine, status, limit, since_hours)
    arguments: dict[str, Any] = {"stateMachineArn": target.output("StateMachineArn"), "maxResults": min(limit, 1000)}
    if status:
        arguments["statusFilter"] = status.upper()
    listed = sfn.list_executions(**arguments)["executions"][:limit]
    summaries = []
    for execution in listed:
        error = cause = ""
        if execution["status"] == "FAILED":
            error, cause = _failure(sfn, execution["executionArn"])
        summaries.append(
            ExecutionSummary(
                order_id=execution["name"],
                status=execution["status"],
                started=_iso(execution.get("startDate")),
                stopped=_iso(execution.get("stopDate")),
                arn=execution["executionArn"],
                error=error,
                cause=cause,
            )
        )
    return summaries


def _logged(
    target: Target, state_machine: str, status: str | None, limit: int, since_hours: float
) -> list[ExecutionSummary]:
    since, until = execution_logs.window(since_hours)
    source, logged = execution_logs.logged_executions(
        target.client("stepfunctions"), target.client("logs"), state_machine, since, until
    )
    if source.level != "ALL" and status and status.upper() != "FAILED":
        raise execution_logs.LogsUnavailable(
            f"at log level {source.level} only failed executions are logged; to list {status.upper()} ones, "
            f"enable {execution_logs.ENABLE}"
        )
    summaries = []
    for execution in logged:
        if status and execution.status != status.upper():
            continue
        error = cause = ""
        if execution.status == "FAILED":
            error, cause = _logged_failure(execution.records)
        summaries.append(
            ExecutionSummary(
                order_id=execution.name,
                status=execution.status,
                started=_iso(execution.started),
                stopped=_iso(execution.stopped),
                arn=execution.arn,
                error=error,
                cause=cause,
            )
        )
    return summaries[:limit]


def _logged_failure(records: tuple[dict[str, Any], ...]) -> tuple[str, str]:
    """The recorded failure (logged with its data at ERROR), else the execution's own failed event."""
    events = execution_logs.events(records)
    recorded = recorded_failure(events)
    if recorded is not None:
        state, caught = recorded
        return f"{state}: {caught.get('Error', '?')}", _readable(caught.get("Cause"))
    # Logged without data (level ALL): the first failed step's own event still names its error and cause.
    state = ""
    for event in events:
        if "stateEnteredEventDetails" in event:
            state = str(event["stateEnteredEventDetails"].get("name", ""))
        kind = str(event["type"])
        details = event.get(execution_logs.details_key(kind)) or {}
        if kind.endswith("Failed") and kind != "ExecutionFailed" and details.get("error"):
            return f"{state}: {details['error']}" if state else str(details["error"]), _readable(details.get("cause"))
    for event in reversed(events):
        details = event.get("executionFailedEventDetails")
        if details:
            return str(details.get("error", "")), _readable(details.get("cause"))
    return "", ""


def _failure(sfn: Any, execution_arn: str) -> tuple[str, str]:
    """What the order failed on: the step the workflow recorded, else the execution's own error."""
    recorded = recorded_failure(execution_history(sfn, execution_arn))
    if recorded is not None:
        state, caught = recorded
        return f"{state}: {caught.get('Error', '?')}", _readable(caught.get("Cause"))
    described = sfn.describe_execution(executionArn=execution_arn)
    return str(described.get("error", "")), _readable(described.get("cause"))


def _readable(cause: Any) -> str:
    return readable_cause(cause)[:300]


def _iso(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat(timespec="seconds")
    return str(value or "")
