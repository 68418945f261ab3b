"""The alert pipeline: one alert per failure and target (de-duplicated by fingerprint), a storm as one summary,
Slack's 429 honoured, CloudWatch alarms delivered as alarms, and the generic webhook target. (Slack down -> the alert
DLQ -> redrive is in test_operations.)"""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.support.fixtures import Submit, alerts_settled
from workflow.local.poller import sqs_record
from workflow.local.receiver import Answer, LoopbackWebhook
from workflow.local.runtime import LocalRuntime
from workflow.local.samples import sample_order
from workflow.local.waiting import poll_until


def an_alert(order_id: str, error: str = "OrderValidationError") -> dict[str, str]:
    return {
        "type": "ORDER_FAILED",
        "orderId": order_id,
        "failedState": "ValidateOrder",
        "error": error,
        "cause": "currency: QQQ is not an ISO 4217 currency code",
        "executionArn": f"arn:aws:states:us-east-1:123456789012:execution:orderflow-orders:{order_id}",
        "correlationId": "c",
        "at": "2026-11-26T12:00:00Z",
    }


def mentions(received: list[dict[str, Any]], text: str) -> list[dict[str, Any]]:
    return [m for m in received if text in json.dumps(m)]


def test_slack_429_then_ok_delivers_once(runtime: LocalRuntime, submit: Submit, webhook: LoopbackWebhook) -> None:
    webhook.answer_next(Answer(429, {"Retry-After": "0"}))
    accepted = submit(sample_order(currency="QQQ"))
    order_id = accepted["json"]["orderId"]
    poll_until(lambda: webhook.for_order(order_id), what="the alert after a 429")
    alerts_settled(runtime)
    assert len(webhook.for_order(order_id)) == 1


def test_the_same_failure_published_twice_is_one_alert_per_target(
    runtime: LocalRuntime, webhook: LoopbackWebhook, hook: LoopbackWebhook
) -> None:
    order_id = f"ord_dup{uuid.uuid4().hex[:20]}"
    message = json.dumps(an_alert(order_id))
    runtime.sns.publish(TopicArn=runtime.topic_arns["alerts"], Message=message)
    poll_until(lambda: webhook.for_order(order_id), what="the first alert")
    runtime.sns.publish(TopicArn=runtime.topic_arns["alerts"], Message=message)  # e.g. a retried publish
    alerts_settled(runtime)
    assert len(webhook.for_order(order_id)) == 1
    (posted,) = mentions(hook.received, order_id)
    assert posted["type"] == "ORDER_FAILED"
    assert posted["failedState"] == "ValidateOrder"


def test_a_storm_is_one_summary_not_a_post_per_order(
    runtime: LocalRuntime, webhook: LoopbackWebhook, hook: LoopbackWebhook
) -> None:
    storm = [f"ord_storm{uuid.uuid4().hex[:18]}" for _ in range(8)]
    # The batch the alert queue's event source hands over when its window gathers a storm, given to the
    # AlertHandler directly: what is one batch does not depend on how fast the poller gathers.
    records = [
        sqs_record(
            {
                "MessageId": str(uuid.uuid4()),
                "ReceiptHandle": f"storm-{i}",
                "Body": json.dumps(an_alert(order_id, "OrderStoreUnavailable" if i % 2 else "X")),
            },
            runtime.queue_arn("alerts"),
            runtime.config.region,
        )
        for i, order_id in enumerate(storm)
    ]
    response = runtime.lambda_client.invoke(FunctionName="AlertHandler", Payload=json.dumps({"Records": records}))
    assert "FunctionError" not in response
    assert json.loads(response["Payload"].read())["batchItemFailures"] == []
    (summary,) = mentions(webhook.received, storm[0])
    assert summary["text"] == "Alert storm: 8 orders failed"
    assert all(order_id in json.dumps(summary) for order_id in storm)
    assert "4 at* `ValidateOrder` `OrderStoreUnavailable`" in json.dumps(summary["blocks"])
    assert all(len(mentions(webhook.received, order_id)) == 1 for order_id in storm)
    (grouped,) = mentions(hook.received, storm[0])
    assert grouped["type"] == "ALERT_STORM"
    assert grouped["count"] == 8
    assert {a["orderId"] for a in grouped["alerts"]} == set(storm)


def test_a_cloudwatch_alarm_on_the_alert_topic_reaches_slack(runtime: LocalRuntime, webhook: LoopbackWebhook) -> None:
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
        return mentions(webhook.received, "OrderDlqNotEmptyAlarm-test")

    messages = poll_until(posted, what="the alarm in Slack")
    assert messages[0]["text"].startswith("ALARM: orderflow-OrderDlqNotEmptyAlarm-test")
    assert "Threshold Crossed" in json.dumps(messages[0]["blocks"])
