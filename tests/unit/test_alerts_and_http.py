from __future__ import annotations

import json

import pytest

from handlers.adapters.http import BadRequest, Request
from handlers.domain.alerts import Alert, execution_link, parse_notification, readable_cause
from handlers.domain.slack_message import slack_message


def test_alert_reads_the_lambda_error_document() -> None:
    cause = json.dumps({"errorType": "X", "errorMessage": "boom", "stackTrace": ["..."]})
    alert = parse_notification(
        json.dumps({"orderId": "ord_1", "failedState": "CreateOrder", "error": "X", "cause": cause})
    )
    assert isinstance(alert, Alert)
    assert alert.cause == "boom"
    assert readable_cause("plain text") == "plain text"
    message = slack_message(alert, "https://example.invalid/x")
    assert message["text"] == "Order ord_1 failed at CreateOrder: X"
    assert message["blocks"][-1]["elements"][0]["url"] == "https://example.invalid/x"


def test_execution_link_defaults_to_the_aws_console() -> None:
    arn = "arn:aws:states:eu-west-1:1:execution:sm:ord_1"
    assert execution_link(arn, None).startswith("https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1")
    assert execution_link("", None) == ""


def test_bad_base64_body_is_a_400() -> None:
    with pytest.raises(BadRequest) as caught:
        Request.from_event({"body": "!!!", "isBase64Encoded": True})
    assert caught.value.status == 400


def test_execution_arn_of_an_order_started_through_the_live_alias() -> None:
    from typing import Any, cast

    from handlers.adapters.executions import StepFunctionsExecutions

    machine = "arn:aws:states:eu-west-1:111122223333:stateMachine:orderflow-orders"
    expected = "arn:aws:states:eu-west-1:111122223333:execution:orderflow-orders:ord_1"
    for started_through in (machine, f"{machine}:live", f"{machine}:7"):
        executions = StepFunctionsExecutions(cast(Any, None), started_through)
        assert executions.execution_arn("ord_1") == expected


def test_the_runs_of_one_express_start_are_one_alert() -> None:
    """Express starts at least once: two runs of one start (same name, their own ids) publish the same failure."""
    from handlers.arns import started_as

    first = "arn:aws:states:us-east-1:123456789012:express:orderflow-orders:ord_1:1f2e"
    again = "arn:aws:states:us-east-1:123456789012:express:orderflow-orders:ord_1:9a8b"
    assert (
        started_as(first) == started_as(again) == "arn:aws:states:us-east-1:123456789012:express:orderflow-orders:ord_1"
    )
    rerun = "arn:aws:states:us-east-1:123456789012:express:orderflow-orders:ord_1-redrive-1:77aa"
    assert started_as(rerun) != started_as(first)  # a rerun's failure is a new alert
    standard = "arn:aws:states:us-east-1:123456789012:execution:orderflow-orders:ord_1"
    assert started_as(standard) == standard
