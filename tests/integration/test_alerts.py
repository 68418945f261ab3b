"""Slack trouble never loses an alert: 429/5xx are retried (honouring Retry-After), and when Slack stays down the
invocation fails, Lambda's async retries run, and the alert is parked in the AlertHandler's DLQ."""

from __future__ import annotations

import json
from typing import Any

from tests.integration.conftest import Submit, eventually, valid_order
from tests.webhook import WebhookReceiver
from workflow.local.runtime import LocalRuntime


def test_slack_429_then_ok_delivers_once(runtime: LocalRuntime, submit: Submit, webhook: WebhookReceiver) -> None:
    webhook.answer_next((429, {"Retry-After": "0"}))
    accepted = submit(valid_order(currency="QQQ"))
    order_id = accepted["json"]["orderId"]
    eventually(lambda: webhook.for_order(order_id), what="the alert after a 429")
    assert runtime.lambdas is not None
    assert runtime.lambdas.drain(10)
    assert len(webhook.for_order(order_id)) == 1


def test_slack_down_parks_the_alert_in_the_dlq(runtime: LocalRuntime, submit: Submit, webhook: WebhookReceiver) -> None:
    function = runtime.manifest.function("AlertHandler")
    attempts = (function.async_retries + 1) * 2  # SLACK_MAX_ATTEMPTS=2 in the test runtime
    webhook.answer_next(*[(503, {"Retry-After": "0"})] * attempts)
    accepted = submit(valid_order(currency="ZZZ"))
    order_id = accepted["json"]["orderId"]

    def parked() -> list[Any]:
        received = runtime.sqs.receive_message(
            QueueUrl=runtime.queue_urls["alerts-dlq"], MaxNumberOfMessages=10, VisibilityTimeout=0
        )
        return [m for m in received.get("Messages", []) if order_id in m["Body"]]

    (message,) = eventually(parked, timeout=30, what="the alert in the alert DLQ")
    record = json.loads(message["Body"])
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["responsePayload"]["errorType"] == "AlertDeliveryError"
    assert json.loads(record["requestPayload"]["Records"][0]["Sns"]["Message"])["orderId"] == order_id
    assert webhook.for_order(order_id) == []
    runtime.sqs.delete_message(QueueUrl=runtime.queue_urls["alerts-dlq"], ReceiptHandle=message["ReceiptHandle"])


def test_a_cloudwatch_alarm_on_the_alert_topic_reaches_slack(runtime: LocalRuntime, webhook: WebhookReceiver) -> None:
    """On AWS the stack's alarms notify the alert topic; the AlertHandler posts them as alarms, not as orders."""
    alarm = {
        "AlarmName": "orderflow-OrderDlqNotEmptyAlarm-test",
        "AlarmDescription": "orderflow: orders are parked in the order DLQ",
        "NewStateValue": "ALARM",
        "OldStateValue": "OK",
        "NewStateReason": "Threshold Crossed: 1 datapoint [3.0] was greater than or equal to the threshold (1.0).",
        "StateChangeTime": "2026-11-26T12:00:00.000+0000",
        "Region": "US East (N. Virginia)",
    }
    runtime.sns.publish(TopicArn=runtime.topic_arns["alerts"], Message=json.dumps(alarm))

    def posted() -> list[dict[str, Any]]:
        return [m for m in webhook.received if "OrderDlqNotEmptyAlarm-test" in m.get("text", "")]

    messages = eventually(posted, what="the alarm in Slack")
    assert messages[0]["text"].startswith("ALARM: orderflow-OrderDlqNotEmptyAlarm-test")
    assert "Threshold Crossed" in json.dumps(messages[0]["blocks"])
