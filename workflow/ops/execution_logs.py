"""An Express execution's history, from the state machine's log group: AWS keeps no history behind the API for
Express (DescribeExecution, GetExecutionHistory and ListExecutions refuse them), so its log records are the record.

Read with CloudWatch Logs Insights (StartQuery, then GetQueryResults until it completes, within a deadline), on AWS
and locally alike: the local runtime writes the same records to the same-named group (workflow.emulator.express).
Each record is an execution event: `{"id", "type", "details", "previous_event_id", "event_timestamp",
"execution_arn"}`. `events` turns them into GetExecutionHistory's shape, so every reader of histories
(workflow.ops.history.steps, recorded_failure, the graph overlay) reads them unchanged.

What is there depends on the state machine's logging level: ALL logs every event; ERROR only failures (so succeeded
executions leave no record); FATAL only failed executions; OFF nothing. `LogsUnavailable` says which to enable.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from handlers.arns import execution_name
from workflow.ops.targets import TargetError

EXECUTION_EVENTS = {
    "ExecutionStarted": "RUNNING",
    "ExecutionSucceeded": "SUCCEEDED",
    "ExecutionFailed": "FAILED",
    "ExecutionTimedOut": "TIMED_OUT",
    "ExecutionAborted": "ABORTED",
}
# Logs Insights answers at most 10,000 rows a query.
MAX_ROWS = 10_000
QUERY_DEADLINE_SECONDS = 60.0
# What to turn on where a command finds no log records to read.
ENABLE = "log level ALL (the stack's context expressLogLevel=ALL; `orderflow up --express-log-level ALL` locally)"


class LogsUnavailable(TargetError):
    """There are no log records to read; the message names what to enable."""


@dataclass(frozen=True)
class LogSource:
    """Where and how a state machine logs (its logging configuration)."""

    state_machine_arn: str
    group: str | None
    level: str
    include_execution_data: bool

    def require(self, what: str) -> str:
        """The log group, or LogsUnavailable saying what to enable to read `what`."""
        if self.group is None or self.level == "OFF":
            raise LogsUnavailable(
                f"{self.state_machine_arn} writes no log records (logging {self.level}), so {what} cannot be read: "
                f"Express keeps no execution history; enable {ENABLE}"
            )
        return self.group


def log_source(sfn: Any, state_machine_arn: str) -> LogSource:
    """The state machine's logging configuration (DescribeStateMachine serves Express state machines too)."""
    configuration = sfn.describe_state_machine(stateMachineArn=state_machine_arn).get("loggingConfiguration") or {}
    group = None
    for destination in configuration.get("destinations") or []:
        arn = (destination.get("cloudWatchLogsLogGroup") or {}).get("logGroupArn", "")
        if ":log-group:" in arn:
            group = arn.split(":log-group:", 1)[1].removesuffix(":*")
    return LogSource(
        state_machine_arn,
        group,
        str(configuration.get("level", "OFF")),
        bool(configuration.get("includeExecutionData", False)),
    )


def query_records(
    logs: Any,
    group: str,
    query: str,
    since: datetime,
    until: datetime,
    keep: Callable[[Mapping[str, Any]], bool],
    *,
    deadline: float = QUERY_DEADLINE_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> list[dict[str, Any]]:
    """The log records a Logs Insights query finds, oldest first. `keep` checks each record again on this side:
    the query's `filter` narrows what AWS scans and returns (moto's Insights ignores `filter`)."""
    started = logs.start_query(
        logGroupName=group,
        startTime=int(since.timestamp()),
        endTime=int(until.timestamp()) + 1,
        queryString=query,
        limit=MAX_ROWS,
    )
    wait, give_up = 0.1, time.monotonic() + deadline
    while True:
        answer = logs.get_query_results(queryId=started["queryId"])
        status = answer.get("status")
        if status == "Complete":
            break
        if status in ("Failed", "Cancelled", "Timeout"):
            raise LogsUnavailable(f"the Logs Insights query on {group} ended {status}")
        if time.monotonic() > give_up:
            raise LogsUnavailable(f"the Logs Insights query on {group} did not complete within {deadline:.0f} s")
        sleep(wait)
        wait = min(wait * 2, 2.0)
    records = []
    for row in answer.get("results", []):
        message = next((field["value"] for field in row if field.get("field") == "@message"), None)
        try:
            record = json.loads(message) if message else None
        except ValueError:
            continue  # not a Step Functions record
        if isinstance(record, dict) and "execution_arn" in record and keep(record):
            records.append(record)
    records.sort(key=lambda r: (int(r.get("event_timestamp", 0)), int(r.get("id", 0))))
    return records


def _quoted(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_:.-]", "", text)


def records_of_execution(
    sfn: Any, logs: Any, state_machine_arn: str, execution: str, since: datetime, until: datetime
) -> list[dict[str, Any]]:
    """One execution's records, by its ARN or its name (an Express execution's ARN is its name and an id)."""
    source = log_source(sfn, state_machine_arn)
    group = source.require(f"the history of {execution}")
    name = _quoted(execution)

    def keep(record: Mapping[str, Any]) -> bool:
        arn = str(record["execution_arn"])
        return arn == execution or f":{execution}:" in arn

    query = f"fields @timestamp, @message | filter execution_arn like /{name}/ | sort @timestamp asc | limit {MAX_ROWS}"
    records = query_records(logs, group, query, since, until, keep)
    # By name, an order may have run twice (Express starts at least once): its first execution is the one that
    # wrote it; the other ended at HandledElsewhere.
    first = records[0]["execution_arn"] if records else None
    records = [r for r in records if r["execution_arn"] == first]
    if not records:
        hint = (
            "at log level ERROR only failures are logged"
            if source.level == "ERROR"
            else "at log level FATAL only failed executions are logged"
            if source.level == "FATAL"
            else "it may have run before this window or not at all"
        )
        raise LogsUnavailable(
            f"no log records of {execution} in {group} between {since:%Y-%m-%d %H:%M} and {until:%Y-%m-%d %H:%M} "
            f"UTC ({hint}); to see every execution, enable {ENABLE}"
        )
    return records


def events(records: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Log records as GetExecutionHistory's events: `type`, `id`, `previousEventId`, `timestamp` and the details
    under the key the history uses (`stateEnteredEventDetails`, `taskFailedEventDetails`, ...)."""
    history = []
    for record in records:
        kind = str(record["type"])
        event: dict[str, Any] = {
            "type": kind,
            "id": int(record.get("id", 0)),
            "previousEventId": int(record.get("previous_event_id", 0)),
            "timestamp": datetime.fromtimestamp(int(record.get("event_timestamp", 0)) / 1000, UTC),
        }
        details = record.get("details")
        if details:
            event[details_key(kind)] = dict(details)
        history.append(event)
    return history


def details_key(kind: str) -> str:
    """Where GetExecutionHistory puts an event's details: `stateEnteredEventDetails`, `taskFailedEventDetails`, ..."""
    if kind.endswith("StateEntered"):
        return "stateEnteredEventDetails"
    if kind.endswith("StateExited"):
        return "stateExitedEventDetails"
    return f"{kind[0].lower()}{kind[1:]}EventDetails"


@dataclass(frozen=True)
class LoggedExecution:
    """An execution as its log records tell it."""

    arn: str
    name: str
    status: str
    started: datetime | None
    stopped: datetime | None
    records: tuple[dict[str, Any], ...]


def logged_executions(
    sfn: Any, logs: Any, state_machine_arn: str, since: datetime, until: datetime | None = None
) -> tuple[LogSource, list[LoggedExecution]]:
    """The executions with records in the window, newest first. At ERROR or FATAL these are the failed ones."""
    source = log_source(sfn, state_machine_arn)
    group = source.require("its executions")
    until = until or datetime.now(UTC)
    machine = state_machine_arn.split(":")[6] if len(state_machine_arn.split(":")) > 6 else ""
    query = f"fields @timestamp, @message | sort @timestamp desc | limit {MAX_ROWS}"
    records = query_records(
        logs, group, query, since, until, lambda r: f":express:{machine}:" in str(r["execution_arn"])
    )
    by_arn: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_arn.setdefault(str(record["execution_arn"]), []).append(record)
    found = []
    for arn, own in by_arn.items():
        status, started, stopped = "RUNNING" if source.level == "ALL" else "FAILED", None, None
        for record in own:
            kind = str(record["type"])
            at = datetime.fromtimestamp(int(record.get("event_timestamp", 0)) / 1000, UTC)
            if kind == "ExecutionStarted":
                started = at
            if kind in EXECUTION_EVENTS and kind != "ExecutionStarted":
                status, stopped = EXECUTION_EVENTS[kind], at
        name = execution_name(arn)
        first = datetime.fromtimestamp(int(own[0].get("event_timestamp", 0)) / 1000, UTC)
        found.append(LoggedExecution(arn, name, status, started or first, stopped, tuple(own)))
    found.sort(key=lambda e: e.started or datetime.min.replace(tzinfo=UTC), reverse=True)
    return source, found


def window(hours: float) -> tuple[datetime, datetime]:
    until = datetime.now(UTC)
    return until - timedelta(hours=hours), until
