"""`orderflow alerts test|list|resolve` against the running local system through its AWS endpoint, as against AWS:
the shared runtime's targets are slack and webhook, each a loopback receiver (tests/support/fixtures.py)."""

from __future__ import annotations

import json
import re

import pytest

from tests.support.fixtures import Submit, alerts_settled
from workflow import cli
from workflow.local.receiver import Answer, LoopbackWebhook
from workflow.local.runtime import LocalRuntime
from workflow.local.samples import sample_order
from workflow.local.waiting import poll_until
from workflow.ops.alert_path import TEST_ERROR, TEST_STEP
from workflow.ops.alerts import recent_alerts
from workflow.ops.dlq import peek, redrive_messages
from workflow.ops.local_names import LocalNames
from workflow.ops.targets import Target, connect

# The shared runtime's targets (ALERT_TARGETS=slack,webhook), and the log, which is always on.
ON = ("log", "slack", "webhook")


@pytest.fixture(scope="module")
def local(runtime: LocalRuntime) -> Target:
    return connect("local", endpoint_url=runtime.aws_endpoint or runtime.serve_aws(port=0))


def alerts(local: Target, *args: str) -> int:
    return cli.main(["alerts", *args, "--endpoint-url", local.endpoint_url or ""])


def result_of(out: str, target: str) -> str:
    """A target's line of `alerts test`: in-process, the handlers' JSON log lines share stdout with the command."""
    (line,) = [line for line in out.splitlines() if re.match(rf"  {target} +", line)]
    return line


def order_tested(out: str) -> str:
    found = re.search(r"test alert about (ord_test[a-z2-7]+) published", out)
    assert found, out
    return found.group(1)


def resolved(receiver: LoopbackWebhook, order_id: str) -> list[dict[str, object]]:
    return [m for m in receiver.messages_about(order_id) if m.get("type") == "ORDER_RESOLVED"]


def test_a_test_alert_reaches_every_target_that_is_on_and_is_listed(
    runtime: LocalRuntime,
    local: Target,
    webhook: LoopbackWebhook,
    hook: LoopbackWebhook,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert alerts(local, "test", "--wait", "20") == 0
    out = capsys.readouterr().out
    order_id = order_tested(out)
    for target in ON:
        assert re.match(rf"  {target} +delivered +at ", result_of(out, target)), out

    # Through the real path: Slack's message and the webhook's document are the AlertHandler's.
    assert webhook.for_order(order_id)
    (posted,) = [m for m in hook.messages_about(order_id) if m.get("type") == "ORDER_FAILED"]
    assert (posted["error"], posted["failedState"]) == (TEST_ERROR, TEST_STEP)
    # The test incident is resolved afterwards, so nothing (PagerDuty) is left open.
    assert "the test incident is resolved" in out
    poll_until(lambda: resolved(hook, order_id), what="the test incident's resolution at the webhook")
    alerts_settled(runtime)

    assert alerts(local, "list", "--limit", "1000") == 0
    (listed,) = [line for line in capsys.readouterr().out.splitlines() if f"order    {order_id}" in line]
    assert f"{TEST_STEP} {TEST_ERROR}" in listed
    assert "log=delivered slack=delivered webhook=delivered" in listed
    found = {a.subject: a for a in recent_alerts(local, limit=1000) if a.kind == "order"}
    assert found[order_id].deliveries == dict.fromkeys(ON, "DELIVERED")
    newest = recent_alerts(local, limit=2)
    assert {a.kind for a in newest} <= {"order", "resolved"}
    assert order_id in {a.subject for a in newest}  # the newest two: the test alert and its resolution

    assert alerts(local, "list", "--limit", "1000", "--json") == 0
    out = capsys.readouterr().out
    listed_json = json.JSONDecoder().raw_decode(out, out.index("[\n"))[0]
    assert any(a["subject"] == order_id and a["deliveries"]["slack"] == "DELIVERED" for a in listed_json)


def test_one_alert_target_s_result_decides_and_a_refusal_is_shown_from_the_alert_dlq(
    runtime: LocalRuntime, local: Target, hook: LoopbackWebhook, capsys: pytest.CaptureFixture[str]
) -> None:
    # The webhook refuses the test alert for good (a 4xx): the AlertHandler parks it in the alert DLQ at once.
    hook.answer_next(Answer(410))
    assert alerts(local, "test", "--alert-target", "webhook", "--wait", "20", "--keep-open") == 1
    out = capsys.readouterr().out
    order_id = order_tested(out)
    line = result_of(out, "webhook")
    assert "REFUSED" in line
    assert "410" in line
    (fix,) = [line for line in out.splitlines() if line.strip().startswith("-> ")]  # the line under it
    assert "`orderflow dlq show " in fix
    assert "`orderflow dlq redrive alerts " in fix
    assert "slack" not in {m.group(1) for m in re.finditer(r"^  (\w+) ", out, re.M)}  # only the one asked for
    assert "resolved" not in out  # --keep-open

    # Fixed: the redrive delivers it to the webhook (slack and the log drop it: delivered already).
    (parked,) = [p for p in peek(local, "alerts") if p.order_id == order_id]
    assert redrive_messages(local, "alerts", [parked.message_id]).moved == [parked.message_id]
    poll_until(lambda: hook.messages_about(order_id), what="the redriven test alert at the webhook")
    alerts_settled(runtime)


def test_a_target_that_is_off_is_said_without_sending_anything(
    local: Target, capsys: pytest.CaptureFixture[str]
) -> None:
    assert alerts(local, "test", "--alert-target", "pagerduty") == 1
    out = capsys.readouterr().out
    assert "published" not in out
    line = result_of(out, "pagerduty")
    assert "OFF" in line
    assert "ALERT_TARGETS (slack,webhook) does not turn it on" in line


def test_an_order_s_incident_is_resolved_by_hand(
    runtime: LocalRuntime,
    local: Target,
    submit: Submit,
    webhook: LoopbackWebhook,
    hook: LoopbackWebhook,
    capsys: pytest.CaptureFixture[str],
) -> None:
    order_id = submit(sample_order(currency="QQQ"))["json"]["orderId"]  # fails validation: alerted
    runtime.wait_for_order(order_id, ["FAILED"])
    poll_until(lambda: hook.messages_about(order_id), what="the order's alert at the webhook")

    assert alerts(local, "resolve", order_id, "--reason", "customer called, order re-entered") == 0
    assert f"order {order_id} (FAILED) resolved" in capsys.readouterr().out
    (document,) = poll_until(lambda: resolved(hook, order_id), what="the resolution at the webhook")
    assert document["status"] == "FAILED"
    assert document["reason"] == "customer called, order re-entered"
    poll_until(
        lambda: [m for m in webhook.for_order(order_id) if "Resolved" in str(m.get("text"))],
        what="the resolved notice in Slack",
    )
    alerts_settled(runtime)


def test_resolve_refuses_what_is_no_order(local: Target, capsys: pytest.CaptureFixture[str]) -> None:
    assert alerts(local, "resolve", "not-an-order") == 2
    assert "is not an order id" in capsys.readouterr().err
    assert alerts(local, "resolve", "ord_" + "a" * 26) == 1
    assert "no order ord_aaaaaaaaaaaaaaaaaaaaaaaaaa" in capsys.readouterr().err


def test_a_target_whose_secret_is_not_set_is_said_with_the_fix_without_sending_anything(
    local: Target, webhook: LoopbackWebhook, capsys: pytest.CaptureFixture[str]
) -> None:
    # What a deploy leaves in a secret until the operator puts the real value (the AlertHandler leaves it out).
    secrets = local.client("secretsmanager")
    secret_id = LocalNames().secret_id("slack-webhook")
    secrets.put_secret_value(SecretId=secret_id, SecretString="not-configured")
    try:
        assert alerts(local, "test", "--alert-target", "slack") == 1
    finally:
        secrets.put_secret_value(SecretId=secret_id, SecretString=webhook.url)
    out = capsys.readouterr().out
    assert "published" not in out
    assert "NOT CONFIGURED" in result_of(out, "slack")
    (fix,) = [line for line in out.splitlines() if line.strip().startswith("-> ")]
    assert f"put-secret-value --secret-id {secret_id}" in fix
    assert "not-configured" not in out  # a secret's value is never shown
