"""Express log records read as execution histories (pure: no AWS)."""

from __future__ import annotations

import json

import pytest

from workflow.ops import execution_logs
from workflow.ops.executions import _logged_failure
from workflow.ops.history import steps

ARN = "arn:aws:states:us-east-1:123456789012:express:orderflow-orders:ord_1:5e1f"


def record(event_id: int, kind: str, details: dict[str, object] | None = None) -> dict[str, object]:
    """A record as Step Functions writes it to CloudWatch Logs."""
    return {
        "id": str(event_id),
        "type": kind,
        "details": details or {},
        "previous_event_id": str(event_id - 1),
        "event_timestamp": str(1_796_281_912_000 + event_id),
        "execution_arn": ARN,
        "redrive_count": "0",
    }


# Level ALL without execution data: inputs and outputs are left out, errors and causes are not.
LOGGED_WITHOUT_DATA = (
    record(1, "ExecutionStarted", {"roleArn": "arn:aws:iam::123456789012:role/r"}),
    record(2, "TaskStateEntered", {"name": "ValidateOrder"}),
    record(3, "LambdaFunctionFailed", {"error": "OrderValidationError", "cause": json.dumps({"errorMessage": "EUX"})}),
    record(4, "PassStateEntered", {"name": "ValidateOrderFailed"}),
    record(5, "FailStateEntered", {"name": "OrderFailed"}),
    record(6, "ExecutionFailed", {"error": "OrderFailed", "cause": "The order failed; an alert was published."}),
)


def test_records_become_history_events_under_the_history_keys() -> None:
    events = execution_logs.events(LOGGED_WITHOUT_DATA)
    assert [e["id"] for e in events] == [1, 2, 3, 4, 5, 6]
    assert events[1]["stateEnteredEventDetails"] == {"name": "ValidateOrder"}
    assert events[2]["lambdaFunctionFailedEventDetails"]["error"] == "OrderValidationError"
    assert events[5]["executionFailedEventDetails"]["error"] == "OrderFailed"
    assert steps(events) == [
        "ValidateOrder",
        "[OrderValidationError]",
        "ValidateOrderFailed",
        "OrderFailed",
        "[OrderFailed]",
    ]


def test_a_failure_logged_without_data_is_named_by_its_step_and_error() -> None:
    assert _logged_failure(LOGGED_WITHOUT_DATA) == ("ValidateOrder: OrderValidationError", "EUX")


def test_the_log_source_names_what_to_enable() -> None:
    off = execution_logs.LogSource("arn:sm", None, "OFF", False)
    with pytest.raises(execution_logs.LogsUnavailable, match=r"logging OFF.*expressLogLevel=ALL"):
        off.require("its executions")
