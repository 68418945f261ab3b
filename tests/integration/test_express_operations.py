"""Operator commands on an Express state machine, through the local AWS endpoint as on AWS: executions and graphs
from its log records (the stack's default level, ERROR, logs failures only), reruns from the orders table, and
at-least-once starts."""

from __future__ import annotations

import dataclasses
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.support.apievents import api_event
from tests.support.fixtures import Runtimes, alerts_settled, create_order_store_retry
from workflow import cli
from workflow.local.receiver import LoopbackWebhook
from workflow.local.runtime import LocalRuntime
from workflow.local.samples import sample_order
from workflow.ops.execution_logs import LogsUnavailable
from workflow.ops.executions import executions
from workflow.ops.rerun import RerunRefused, rerun_order
from workflow.ops.targets import Target, connect


@pytest.fixture(scope="module")
def express(runtimes: Runtimes) -> LocalRuntime:
    return runtimes.get("EXPRESS")


@pytest.fixture(scope="module")
def local(express: LocalRuntime) -> Target:
    return connect("local", endpoint_url=express.aws_endpoint or express.serve_aws(port=0))


def post(system: LocalRuntime, order: Any) -> str:
    headers = {"idempotency-key": str(uuid.uuid4())}
    response = system.invoke_api(api_event("POST", "/orders", order, headers))
    assert response["statusCode"] == 202, response
    order_id: str = json.loads(response["body"])["orderId"]
    return order_id


def test_failed_executions_are_listed_from_the_log_records(
    express: LocalRuntime, local: Target, capsys: pytest.CaptureFixture[str]
) -> None:
    order_id = post(express, sample_order(currency="XTS"))
    express.wait_for_execution(express.execution_arn(order_id))
    found = {e.order_id: e for e in executions(local, status="FAILED", limit=1000)}
    failed = found[order_id]
    assert failed.status == "FAILED"
    assert failed.error == "ValidateOrder: OrderValidationError"
    assert "XTS" in failed.cause
    assert ":express:" in failed.arn
    assert failed.started
    assert failed.stopped

    assert cli.main(["executions", "--status", "failed", "--json", "--endpoint-url", local.endpoint_url or ""]) == 0
    out = capsys.readouterr().out
    listed, _ = json.JSONDecoder().raw_decode(out, out.index("[\n"))
    assert order_id in {e["orderId"] for e in listed}

    # At ERROR, succeeded executions leave no record: asking for them says what to enable.
    with pytest.raises(LogsUnavailable, match=r"only failed executions are logged.*log level ALL"):
        executions(local, status="SUCCEEDED")


def test_an_execution_is_drawn_from_its_log_records(
    express: LocalRuntime, local: Target, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    failed = post(express, sample_order(currency="XTS"))
    express.wait_for_order(failed, ["FAILED"])
    out = tmp_path / "failed.md"
    endpoint = ["--endpoint-url", local.endpoint_url or ""]
    assert cli.main(["graph", "--order", failed, "--out", str(out), *endpoint]) == 0
    drawn = out.read_text(encoding="utf-8")
    assert "OrderFailed" in drawn
    assert failed in drawn

    fulfilled = post(express, sample_order())
    express.wait_for_order(fulfilled, ["FULFILLED"])
    capsys.readouterr()
    assert cli.main(["graph", "--order", fulfilled, "--out", str(tmp_path / "ok.md"), *endpoint]) == 2
    assert "at log level ERROR only failures are logged" in capsys.readouterr().err


def test_without_log_records_the_commands_say_what_to_enable(express: LocalRuntime, local: Target) -> None:
    """A user's Express state machine that logs nothing: its executions cannot be read, and the command says so."""
    definition = {"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}}
    created = express.sfn.create_state_machine(
        name=f"quiet-{uuid.uuid4().hex[:8]}",
        definition=json.dumps(definition),
        roleArn="arn:aws:iam::123456789012:role/orderflow-local",
        type="EXPRESS",
    )
    express.sfn.start_execution(stateMachineArn=created["stateMachineArn"], input="{}")
    quiet = dataclasses.replace(local, outputs={**local.outputs, "StateMachineArn": created["stateMachineArn"]})
    with pytest.raises(LogsUnavailable, match=r"writes no log records \(logging OFF\).*enable log level ALL"):
        executions(quiet)


def test_an_order_that_failed_before_it_was_written_cannot_be_rerun_on_express(
    express: LocalRuntime, local: Target
) -> None:
    # CreateOrder's table is throttled for longer than its (Express) Retry lasts.
    retry = create_order_store_retry("EXPRESS")
    express.dynamodb_faults.throttle("PutItem", times=1 + retry["MaxAttempts"], table=express.table_name("orders"))
    order_id = post(express, sample_order())
    failed = express.wait_for_order(order_id, ["FAILED"])
    assert failed["failure"]["state"] == "CreateOrder"
    with pytest.raises(RerunRefused, match="Express execution's input is not kept"):
        rerun_order(local, order_id)
    assert express.order(order_id)["status"] == "FAILED"  # type: ignore[index]


def test_a_second_start_of_the_same_order_is_handled_elsewhere(express: LocalRuntime) -> None:
    """Express starts at least once: the same input may start twice, under the same name. One order comes of it."""
    order_id = post(express, sample_order())
    first = express.execution_arn(order_id)
    again = express.sfn.start_execution(
        stateMachineArn=express.state_machine_arn, name=order_id, input=express.describe_execution(first)["input"]
    )["executionArn"]
    assert again != first
    assert express.wait_for_execution(again)["status"] == "SUCCEEDED"
    assert express.wait_for_execution(first)["status"] == "SUCCEEDED"
    assert express.execution_arns(order_id) == [first, again]
    ended = {
        arn: [
            e["stateEnteredEventDetails"]["name"]
            for e in express.execution_events(arn)
            if "stateEnteredEventDetails" in e
        ]
        for arn in (first, again)
    }
    # Either run may write the order first (they run at once): that one carries it on, the other ends there.
    (carrier,) = [arn for arn, states in ended.items() if states[-1] == "NotifyOrder"]
    (other,) = [arn for arn in (first, again) if arn != carrier]
    assert ended[other] == ["ValidateOrder", "CreateOrder", "HandledElsewhere"]
    order = express.wait_for_order(order_id, ["FULFILLED"])
    assert order["executionArn"] == carrier
    assert [h["status"] for h in order["history"]] == ["PENDING", "CREATED", "QUEUED", "PROCESSING", "FULFILLED"]


def test_a_second_run_that_fails_on_an_order_another_run_fulfilled_does_not_alert(
    express: LocalRuntime, webhook: LoopbackWebhook
) -> None:
    """RecordFailure's condition fails on another execution's order: that one alerts if it fails; this one ends at
    HandledElsewhere, so a fulfilled order is never alerted as failed (found by the Express chaos run)."""
    order_id = post(express, sample_order())
    first = express.execution_arn(order_id)
    express.wait_for_order(order_id, ["FULFILLED"])
    retry = create_order_store_retry("EXPRESS")
    express.dynamodb_faults.throttle("PutItem", times=1 + retry["MaxAttempts"], table=express.table_name("orders"))
    again = express.sfn.start_execution(
        stateMachineArn=express.state_machine_arn, name=order_id, input=express.describe_execution(first)["input"]
    )["executionArn"]
    assert express.wait_for_execution(again)["status"] == "SUCCEEDED"
    entered = [
        e["stateEnteredEventDetails"]["name"]
        for e in express.execution_events(again)
        if "stateEnteredEventDetails" in e
    ]
    assert entered[-3:] == ["CreateOrder", "RecordFailure", "HandledElsewhere"]
    alerts_settled(express)
    assert webhook.for_order(order_id) == []
    assert express.order(order_id)["status"] == "FULFILLED"  # type: ignore[index]


def test_a_client_follows_an_express_order_from_202_to_the_end(
    express: LocalRuntime, capsys: pytest.CaptureFixture[str]
) -> None:
    """Until CreateOrder writes it, an Express order answers 404 (no execution can be described): `submit --wait`
    follows it through that to its final status."""
    api = express.serve_api(port=0)
    example = Path(__file__).resolve().parents[2] / "examples" / "order.json"
    assert cli.main(["submit", str(example), "--wait", "--timeout", "20", "--url", api.url]) == 0
    assert '"status": "FULFILLED"' in capsys.readouterr().out
