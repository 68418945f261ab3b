"""What the executions did: the newest ones, with why each failed one failed (`orderflow executions`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from handlers.domain.alerts import readable_cause
from workflow.ops.history import execution_history, recorded_failure
from workflow.ops.targets import Target


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


def executions(target: Target, status: str | None = None, limit: int = 20) -> list[ExecutionSummary]:
    """The newest executions (optionally of one status), with why each failed one failed."""
    sfn = target.client("stepfunctions")
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
