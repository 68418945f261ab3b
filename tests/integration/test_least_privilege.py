"""Least privilege, proven by this tier (tests/integration/conftest.py runs the check): that the check can fail,
that calls are attributed to the function whose invocation makes them, and that an order's calls are recorded."""

from __future__ import annotations

import threading

from tests.support.fixtures import Submit
from workflow.local import calls
from workflow.local.calls import Call, CallRecorder, compare
from workflow.local.runtime import LocalRuntime
from workflow.local.samples import sample_order
from workflow.manifest import MANIFEST

GRANTS = {
    "CreateOrder": {
        "dynamodb:PutItem": "TableAccess(table='orders', operations=('PutItem', 'UpdateItem'))",
        "dynamodb:UpdateItem": "TableAccess(table='orders', operations=('PutItem', 'UpdateItem'))",
    },
    "NotifyOrder": {"sns:Publish": "PublishTo(topic='order-events')"},
    "ValidateOrder": {},
}


def test_the_check_reports_a_call_without_its_grant_and_a_grant_no_call_used() -> None:
    made = [
        Call("CreateOrder", "dynamodb:PutItem"),
        Call("CreateOrder", "dynamodb:GetItem"),  # not granted
        Call("NotifyOrder", "sns:Publish"),
    ]

    findings = compare(made, GRANTS)

    assert findings
    assert findings.ungranted == (Call("CreateOrder", "dynamodb:GetItem"),)
    assert findings.unused == (Call("CreateOrder", "dynamodb:UpdateItem"),)
    report = findings.report(GRANTS)
    assert (
        "CreateOrder called dynamodb:GetItem, which its access does not grant (AWS would deny it): add "
        'TableAccess("<table>", ("GetItem",)) to CreateOrder\'s access'
    ) in report
    assert (
        "CreateOrder is granted dynamodb:UpdateItem by TableAccess(table='orders', operations=('PutItem', "
        "'UpdateItem')), but no test made that call: remove it from CreateOrder's access"
    ) in report


def test_a_function_not_granted_anything_may_call_nothing() -> None:
    findings = compare([Call("ValidateOrder", "sqs:SendMessage"), Call("Unknown", "states:StartExecution")], {})

    assert findings.ungranted == (Call("Unknown", "states:StartExecution"), Call("ValidateOrder", "sqs:SendMessage"))
    assert 'add SendTo("<queue>") to ValidateOrder\'s access' in findings.report({})
    assert "add StartExecutions() to Unknown's access" in findings.report({})


def test_calls_that_match_their_grants_pass() -> None:
    made = [Call("CreateOrder", "dynamodb:PutItem"), Call("CreateOrder", "dynamodb:UpdateItem")]

    assert not compare([*made, Call("NotifyOrder", "sns:Publish")], GRANTS)


def test_a_call_is_the_function_s_whose_invocation_runs_on_that_thread() -> None:
    seen: list[str | None] = []
    assert calls.current_function() is None
    with calls.invoking("StartWorkflow"):
        with calls.invoking("CreateOrder"):  # an invocation made from inside another (SNS -> Lambda, say)
            assert calls.current_function() == "CreateOrder"
        assert calls.current_function() == "StartWorkflow"
        # A thread started meanwhile (moto's Step Functions execution, started by StartExecution) is not the function.
        other = threading.Thread(target=lambda: seen.append(calls.current_function()))
        other.start()
        other.join()
    assert seen == [None]
    assert calls.current_function() is None


def test_an_order_s_calls_are_recorded_by_function(
    runtime: LocalRuntime, submit: Submit, aws_calls: CallRecorder
) -> None:
    order_id = submit(sample_order())["json"]["orderId"]
    assert runtime.wait_for_execution(runtime.execution_arn(order_id))["status"] == "SUCCEEDED"
    runtime.wait_for_order(order_id, ["FULFILLED"])

    recorded = aws_calls.calls()
    assert {
        Call("StartWorkflow", "dynamodb:PutItem"),  # reserves the Idempotency-Key
        Call("StartWorkflow", "states:StartExecution"),
        Call("CreateOrder", "dynamodb:PutItem"),
        Call("NotifyOrder", "sns:Publish"),
        Call("ProcessOrderWorker", "dynamodb:UpdateItem"),
    } <= recorded
    # The harness's own calls (submitting, waiting, provisioning) and the state machine's are no function's.
    assert {c.function for c in recorded} <= {f.name for f in MANIFEST.functions}
