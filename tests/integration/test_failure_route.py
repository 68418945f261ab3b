"""The failure route runs on any error output AWS can produce: an Error or Cause missing, empty, JSON or not JSON, a
Cause larger than an SNS message or a DynamoDB item holds. Each case drives the order workflow's own failure route
(its Catch Output, RecordFailure, PublishFailure) with that error output, and the order ends FAILED with its alert:
the local engine raises States.QueryEvaluationError on an undefined expression as AWS does, so an unguarded read
would end the execution with no alert here too. When the alert itself cannot be published, the execution ends at
AlertNotPublished, naming the order.

The error output comes from a Parallel state whose one branch is a Fail state with exactly that Error and Cause (a
Fail state may omit either): it stands where ValidateOrder stands, with ValidateOrder's Catch.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest

from tests.support.fixtures import alerts_settled
from workflow import asl
from workflow.failure_route import CAUSE_LIMIT
from workflow.local.receiver import LoopbackWebhook
from workflow.local.runtime import LocalRuntime
from workflow.local.samples import sample_order
from workflow.local.waiting import poll_until
from workflow.query_language import CUT_MARKER

HUGE = "x" * 300_000  # over SNS's 256 KiB message; 16,000 characters are kept


def failing_with(error: dict[str, str]) -> dict[str, Any]:
    """The order workflow, its first step replaced by one that fails with exactly `error` (Fail's Error, Cause)."""
    definition = asl.compile_order_workflow()
    validate = definition["States"]["ValidateOrder"]
    definition["States"]["ValidateOrder"] = {
        "Type": "Parallel",
        "Branches": [{"StartAt": "Fails", "States": {"Fails": {"Type": "Fail", **error}}}],
        "Next": validate["Next"],
        "Catch": validate["Catch"],
    }
    return definition


def run(runtime: LocalRuntime, definition: dict[str, Any], values: dict[str, str] | None = None) -> dict[str, Any]:
    """Create the definition as a state machine of the running system and run one order through it."""
    substitutions = {name: runtime.resolve(ref) or "" for name, ref in runtime.manifest.substitutions.items()}
    text = asl.substitute(definition, {**substitutions, **(values or {})})
    role = runtime.client("iam").get_role(RoleName="orderflow-local")["Role"]["Arn"]
    machine = runtime.sfn.create_state_machine(name=f"route-{uuid.uuid4().hex[:12]}", definition=text, roleArn=role)
    order_id = f"ord_{uuid.uuid4().hex[:26]}"
    execution_input = {
        "orderId": order_id,
        "owner": "test-caller",
        "idempotencyKey": f"test-caller:{order_id}",
        "requestHash": "h",
        "correlationId": f"cid-{order_id}",
        "submittedAt": "2026-12-05T12:00:00Z",
        "total": "25.00",
        "order": sample_order(),
    }
    started = runtime.sfn.start_execution(
        stateMachineArn=machine["stateMachineArn"], name=order_id, input=json.dumps(execution_input)
    )
    described = runtime.wait_for_execution(started["executionArn"])
    return {"orderId": order_id, **described}


CASES = {
    "json cause": ({"Error": "Boom", "Cause": json.dumps({"errorMessage": "m", "errorType": "Boom"})}, "Boom"),
    "cause missing": ({"Error": "Timeout"}, "Timeout"),
    "cause empty": ({"Error": "Boom", "Cause": ""}, "Boom"),
    "cause not json": ({"Error": "Boom", "Cause": "it broke { not json"}, "Boom"),
    "error and cause missing": ({}, ""),
    "cause larger than SNS and DynamoDB take": ({"Error": "Boom", "Cause": HUGE}, "Boom"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_any_error_output_ends_failed_with_its_alert(runtime: LocalRuntime, hook: LoopbackWebhook, case: str) -> None:
    error, error_name = CASES[case]
    finished = run(runtime, failing_with(error))
    order_id = finished["orderId"]
    # The route reached its end: OrderFailed, not a QueryEvaluationError on the way.
    assert finished["status"] == "FAILED"
    assert finished.get("error") == "OrderFailed", finished.get("cause")
    record = runtime.order(order_id)
    assert record is not None
    assert record["status"] == "FAILED"
    failure = record["failure"]
    assert failure["state"] == "ValidateOrder"
    assert failure["error"] == error_name
    cause = error.get("Cause", "")
    if len(cause) > CAUSE_LIMIT:
        assert failure["cause"].startswith(cause[:CAUSE_LIMIT] + CUT_MARKER)
        assert failure["cause"].endswith(f"{len(cause)} characters]")
    else:
        assert failure["cause"] == cause
    (alert,) = poll_until(lambda: [m for m in hook.received if m.get("orderId") == order_id], what="the alert")
    assert alert["failedState"] == "ValidateOrder"
    assert alert["error"] == (error_name or "unknown")  # the alert names a missing error rather than leave it blank
    alerts_settled(runtime)


def test_an_alert_that_cannot_be_published_ends_at_alert_not_published(runtime: LocalRuntime) -> None:
    """The alert topic is gone (SNS answers NotFound, which no Retry matches): the execution ends in a failure of
    its own name, naming the order, instead of failing as if it had alerted."""
    missing_topic = runtime.topic_arns["alerts"] + "-gone"
    finished = run(runtime, failing_with({"Error": "Boom"}), {"AlertTopicArn": missing_topic})
    assert finished["status"] == "FAILED"
    assert finished["error"] == "AlertNotPublished"
    assert finished["orderId"] in finished["cause"]
    assert "failed at ValidateOrder" in finished["cause"]
    assert "its alert was not published" in finished["cause"]
