"""Operator tools against the running local system through its AWS endpoint, as they run against AWS:
listing and redriving the order and alert DLQs, and listing executions with why they failed."""

from __future__ import annotations

import json
import uuid

import pytest

from tests.support.fixtures import Submit, create_order_store_retry
from workflow import cli
from workflow.local.receiver import Answer, LoopbackWebhook
from workflow.local.runtime import LocalRuntime
from workflow.local.samples import sample_order
from workflow.local.waiting import poll_until
from workflow.ops.dlq import peek, redrive_messages
from workflow.ops.executions import executions
from workflow.ops.rerun import RerunRefused, rebuilt_input, rerun_order
from workflow.ops.targets import Target, connect

ADDRESS = {"line1": "1 Main St", "line2": "Flat 2", "city": "Dublin", "postalCode": "D01 F5P2", "country": "IE"}


@pytest.fixture(scope="module")
def local(runtime: LocalRuntime) -> Target:
    return connect("local", endpoint_url=runtime.aws_endpoint or runtime.serve_aws(port=0))


def test_an_order_the_worker_gave_up_on_is_listed_redriven_and_fulfilled(
    runtime: LocalRuntime, local: Target, submit: Submit, capsys: pytest.CaptureFixture[str]
) -> None:
    # The worker cannot write the orders table for as many receives as the queue allows: the message is parked.
    receives = runtime.manifest.queue("orders").max_receive_count
    runtime.dynamodb_faults.throttle("UpdateItem", times=receives, table=runtime.table_name("orders"))
    order_id = submit(sample_order())["json"]["orderId"]

    def parked() -> list[str]:
        return [p.message_id for p in peek(local, "orders") if p.order_id == order_id]

    (message_id,) = poll_until(parked, timeout=30, what="the order message in the order DLQ")
    assert runtime.order(order_id)["status"] == "CREATED"  # type: ignore[index]

    assert cli.main(["dlq", "list", "orders", "--endpoint-url", local.endpoint_url or ""]) == 0
    listing = capsys.readouterr().out
    assert message_id in listing
    assert order_id in listing
    assert cli.main(["dlq", "show", message_id, "--endpoint-url", local.endpoint_url or ""]) == 0
    assert f'"orderId": "{order_id}"' in capsys.readouterr().out

    # The cause is gone (the throttling was used up): redrive it, and the order completes.
    result = redrive_messages(local, "orders", [message_id])
    assert result.moved == [message_id]
    assert not result.skipped
    runtime.wait_for_order(order_id, ["FULFILLED"])
    assert order_id not in {p.order_id for p in peek(local, "orders")}


def test_an_alert_slack_refused_is_listed_then_redriven_to_slack(
    runtime: LocalRuntime, local: Target, submit: Submit, webhook: LoopbackWebhook, capsys: pytest.CaptureFixture[str]
) -> None:
    # Slack answers 500 to every attempt (SLACK_MAX_ATTEMPTS=2) of every receive the alert queue allows.
    webhook.answer_next(*[Answer(500)] * (runtime.manifest.queue("alerts").max_receive_count * 2))
    order_id = submit(sample_order(currency="QQQ"))["json"]["orderId"]

    def parked() -> list[str]:
        return [p.message_id for p in peek(local, "alerts") if p.order_id == order_id]

    (message_id,) = poll_until(parked, timeout=30, what="the alert in the alert DLQ")
    (entry,) = [p for p in peek(local, "alerts") if p.message_id == message_id]
    assert entry.receive_count >= runtime.manifest.queue("alerts").max_receive_count
    assert json.loads(entry.body)["orderId"] == order_id
    assert webhook.for_order(order_id) == []

    # Slack is back.
    assert cli.main(["dlq", "redrive", "alerts", message_id, "--endpoint-url", local.endpoint_url or ""]) == 0
    assert "sent back to the alerts queue" in capsys.readouterr().out
    (posted,) = poll_until(lambda: webhook.for_order(order_id), what="the redriven alert in Slack")
    assert "QQQ" in json.dumps(posted)
    assert message_id not in {p.message_id for p in peek(local, "alerts")}


def test_failed_executions_are_listed_with_the_step_and_the_reason(
    runtime: LocalRuntime, local: Target, submit: Submit, capsys: pytest.CaptureFixture[str]
) -> None:
    accepted = submit(sample_order(currency="XTS", items=[{"sku": "A", "quantity": 1, "unitPrice": "1.5"}]))
    runtime.wait_for_execution(runtime.execution_arn(accepted["json"]["orderId"]))
    found = {e.order_id: e for e in executions(local, status="FAILED", limit=1000)}
    failed = found[accepted["json"]["orderId"]]
    assert failed.status == "FAILED"
    assert failed.error == "ValidateOrder: OrderValidationError"
    assert "XTS" in failed.cause
    assert all(e.status == "FAILED" for e in found.values())

    assert cli.main(["executions", "--status", "failed", "--json", "--endpoint-url", local.endpoint_url or ""]) == 0
    out = capsys.readouterr().out  # in-process, the handlers' log lines share stdout with the command
    listed, _ = json.JSONDecoder().raw_decode(out, out.index("[\n"))
    assert {e["status"] for e in listed} == {"FAILED"}


def test_unknown_message_is_reported_not_invented(local: Target, capsys: pytest.CaptureFixture[str]) -> None:
    result = redrive_messages(local, "orders", ["00000000-0000-0000-0000-000000000000"])
    assert result.moved == []
    assert result.skipped == ["00000000-0000-0000-0000-000000000000"]
    assert cli.main(["dlq", "show", "no-such-id", "--endpoint-url", local.endpoint_url or ""]) == 2
    assert "no message no-such-id" in capsys.readouterr().err


def test_a_failed_order_is_redriven_after_the_cause_is_fixed_and_its_incident_resolved(
    runtime: LocalRuntime, local: Target, submit: Submit, hook: LoopbackWebhook, capsys: pytest.CaptureFixture[str]
) -> None:
    # CreateOrder's table is throttled for longer than its Retry lasts: the order fails there, with an alert.
    retry = create_order_store_retry()
    runtime.dynamodb_faults.throttle("PutItem", times=1 + retry["MaxAttempts"], table=runtime.table_name("orders"))
    accepted = submit(sample_order())["json"]
    order_id = accepted["orderId"]
    assert runtime.wait_for_execution(runtime.execution_arn(accepted["orderId"]))["status"] == "FAILED"
    failed = runtime.wait_for_order(order_id, ["FAILED"])
    assert failed["failure"]["state"] == "CreateOrder"

    # The throttling is over: redrive it.
    assert cli.main(["redrive", order_id, "--endpoint-url", local.endpoint_url or ""]) == 0
    assert "is REDRIVING" in capsys.readouterr().out
    fulfilled = runtime.wait_for_order(order_id, ["FULFILLED"])
    assert [h["status"] for h in fulfilled["history"]] == [
        "PENDING", "FAILED", "REDRIVING", "CREATED", "QUEUED", "PROCESSING", "FULFILLED",
    ]  # fmt: skip
    assert fulfilled["executionArn"].endswith(f"{order_id}-redrive-1")
    # Its failure was alerted; now that it is FULFILLED, its incident is resolved, once, at every target.
    (resolved,) = poll_until(
        lambda: [m for m in hook.messages_about(order_id) if m.get("type") == "ORDER_RESOLVED"],
        what="the resolution",
    )
    assert (resolved["status"], resolved["reason"]) == ("FULFILLED", "fulfilled after a rerun")
    assert [m["type"] for m in hook.messages_about(order_id)] == ["ORDER_FAILED", "ORDER_RESOLVED"]
    with pytest.raises(RerunRefused, match="only a FAILED order is run again"):
        rerun_order(local, order_id)


def test_an_order_that_failed_validation_is_not_redriven(runtime: LocalRuntime, local: Target, submit: Submit) -> None:
    accepted = submit(sample_order(currency="XQZ"))["json"]
    runtime.wait_for_order(accepted["orderId"], ["FAILED"])
    with pytest.raises(RerunRefused, match="submit a corrected order"):
        rerun_order(local, accepted["orderId"])


def test_an_order_that_failed_before_it_was_written_is_redriven_whole(
    runtime: LocalRuntime, local: Target, submit: Submit
) -> None:
    """CreateOrder could not write it (its table throttled past the Retry): the redrive writes the whole order."""
    retry = create_order_store_retry()
    runtime.dynamodb_faults.throttle("PutItem", times=1 + retry["MaxAttempts"], table=runtime.table_name("orders"))
    accepted = submit(sample_order())["json"]
    failed = runtime.wait_for_order(accepted["orderId"], ["FAILED"])
    assert failed["failure"]["state"] == "CreateOrder"
    assert "items" not in failed

    rerun_order(local, accepted["orderId"])
    fulfilled = runtime.wait_for_order(accepted["orderId"], ["FULFILLED"])
    assert [i["sku"] for i in fulfilled["items"]] == ["BOOK-1", "PEN-7"]
    assert [h["status"] for h in fulfilled["history"]][:4] == ["PENDING", "FAILED", "REDRIVING", "CREATED"]


def test_a_rerun_starts_with_the_input_the_order_first_started_with(runtime: LocalRuntime, submit: Submit) -> None:
    """The orders table holds what a rerun needs: the input rebuilt from the record is the first execution's."""
    order_id = submit(sample_order(shippingAddress=ADDRESS, email="ada@example.com"))["json"]["orderId"]
    record = runtime.wait_for_order(order_id, ["FULFILLED"])
    first = json.loads(runtime.describe_execution(runtime.execution_arn(order_id))["input"])
    assert rebuilt_input(runtime.sfn, order_id, record) == first


def test_a_dlq_is_listed_whole_not_just_the_first_ten(runtime: LocalRuntime, local: Target) -> None:
    marker = f"many-{uuid.uuid4()}"
    dlq = runtime.queue_urls["orders-dlq"]
    for i in range(15):
        runtime.sqs.send_message(QueueUrl=dlq, MessageBody=json.dumps({"orderId": f"{marker}-{i}"}))
    try:
        for _ in range(2):  # listing leaves them in place
            listed = [p.order_id for p in peek(local, "orders") if p.order_id and p.order_id.startswith(marker)]
            assert sorted(listed) == sorted(f"{marker}-{i}" for i in range(15))
    finally:
        runtime.sqs.purge_queue(QueueUrl=dlq)
