"""The PagerDuty target end to end: the AlertHandler, configured as on AWS (its routing key in its secret, the events
URL a setting, ALERT_TARGETS=pagerduty), sends Events API v2 events to a loopback receiver standing in for PagerDuty,
which answers 202 unless a test tells it to answer 429, 500 or 400 for its own order.

One incident per order: one trigger per failed order, the same dedup_key for a failure published twice and for a
rerun's failure, and a resolve once the order is FULFILLED after a real rerun. A 429 or a 500 is retried; a 400 is
not: the alert is parked in the alert DLQ at once, marked refusedBy=pagerduty."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from aws_lambda_powertools.utilities import parameters

from tests.support.fixtures import TIME_SCALE, Runtimes, alerts_settled, create_order_store_retry, submitter
from workflow.local.poller import sqs_record
from workflow.local.receiver import Answer, LoopbackWebhook
from workflow.local.runtime import LocalRuntime, RuntimeConfig
from workflow.local.samples import sample_order
from workflow.local.waiting import poll_until
from workflow.ops.rerun import rerun_order
from workflow.ops.targets import connect

if TYPE_CHECKING:
    from mypy_boto3_sqs.type_defs import MessageTypeDef

KEY = "Integrat10nRoutingKey0123456789a"
ACCEPTED = json.dumps({"status": "success", "message": "Event processed"})
INVALID_EVENT = json.dumps(
    {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": ["Length of 'routing_key' is incorrect (should be 32 characters)"],
    }
)
ADDRESS = {"line1": "1 Main St", "city": "Dublin", "postalCode": "D01 F5P2", "country": "IE"}


@pytest.fixture(scope="module")
def pagerduty() -> Iterator[LoopbackWebhook]:
    """PagerDuty's Events API: 202 to everything, unless a test says otherwise for its order."""
    with LoopbackWebhook(answer=lambda: Answer(202, {"Content-Type": "application/json"}, body=ACCEPTED)) as receiver:
        yield receiver


@pytest.fixture(scope="module")
def paging(runtimes: Runtimes, pagerduty: LoopbackWebhook) -> Iterator[LocalRuntime]:
    """A local system alerting PagerDuty only (one runtime per process: the shared one stops for this module)."""
    assert len(KEY) == 32
    runtimes.close()
    forget_cached_secrets()
    config = RuntimeConfig(
        time_scale=TIME_SCALE,
        poll_wait_seconds=1,
        settings={
            "PAGERDUTY_ROUTING_KEY": KEY,
            "PAGERDUTY_EVENTS_URL": pagerduty.url,
            "ALERT_TARGETS": "pagerduty",
        },
    )
    runtime = LocalRuntime(config).start()
    yield runtime
    runtime.stop()
    forget_cached_secrets()


def forget_cached_secrets() -> None:
    """Powertools caches secrets per process by name for 5 minutes, and local names repeat across runtimes: without
    this, a runtime started before (or after) this one could read the other's routing key."""
    parameters.clear_caches()  # type: ignore[no-untyped-call]


def about(order_id: str) -> Callable[[dict[str, Any]], bool]:
    return lambda event: order_id in json.dumps(event)


def events_for(receiver: LoopbackWebhook, order_id: str) -> list[dict[str, Any]]:
    """The events PagerDuty accepted about the order, in order."""
    return receiver.messages_about(order_id)


def an_alert(order_id: str, execution: str | None = None) -> dict[str, str]:
    return {
        "type": "ORDER_FAILED",
        "orderId": order_id,
        "failedState": "CreateOrder",
        "error": "OrderStoreUnavailable",
        "cause": "the orders table is unavailable",
        "executionArn": f"arn:aws:states:us-east-1:123456789012:execution:orderflow-orders:{execution or order_id}",
        "correlationId": "c",
        "at": "2026-11-26T12:00:00Z",
    }


def publish(runtime: LocalRuntime, message: dict[str, str]) -> None:
    runtime.sns.publish(TopicArn=runtime.topic_arns["alerts"], Message=json.dumps(message))


def new_order_id() -> str:
    return f"ord_pd{uuid.uuid4().hex[:22]}"


def test_a_failed_order_opens_one_incident_without_personal_data(
    paging: LocalRuntime, pagerduty: LoopbackWebhook
) -> None:
    accepted = submitter(paging)(sample_order(currency="QQQ", email="ada@example.com", shippingAddress=ADDRESS))
    order_id = accepted["json"]["orderId"]
    poll_until(lambda: events_for(pagerduty, order_id), what="the order's trigger")
    alerts_settled(paging)

    (trigger,) = events_for(pagerduty, order_id)
    assert trigger["routing_key"] == KEY
    assert trigger["event_action"] == "trigger"
    assert trigger["dedup_key"] == f"orderflow/order/{order_id}"
    payload = trigger["payload"]
    assert payload["summary"].startswith(f"Order {order_id} failed at ValidateOrder: OrderValidationError - ")
    assert "QQQ" in payload["summary"]
    assert (payload["severity"], payload["source"], payload["component"], payload["class"]) == (
        "warning",
        "orderflow",
        "ValidateOrder",
        "OrderValidationError",
    )
    assert payload["custom_details"]["correlation_id"] == accepted["headers"]["x-correlation-id"]
    execution_arn = paging.execution_arn(order_id)
    assert payload["custom_details"]["execution_arn"] == execution_arn
    assert execution_arn in trigger["links"][0]["href"]
    sent = json.dumps(trigger)
    assert "ada@example.com" not in sent
    assert "Main St" not in sent


def test_a_failure_published_twice_and_a_rerun_s_failure_are_one_incident(
    paging: LocalRuntime, pagerduty: LoopbackWebhook
) -> None:
    order_id = new_order_id()
    publish(paging, an_alert(order_id))
    publish(paging, an_alert(order_id))  # a retried publish: the alert log drops it
    poll_until(lambda: events_for(pagerduty, order_id), what="the first trigger")
    alerts_settled(paging)
    assert len(pagerduty.requests_about(order_id)) == 1

    publish(paging, an_alert(order_id, execution=f"{order_id}-redrive-1"))  # the rerun failed too: a new alert
    poll_until(lambda: len(events_for(pagerduty, order_id)) == 2, what="the rerun's trigger")
    first, second = events_for(pagerduty, order_id)
    assert first["dedup_key"] == second["dedup_key"] == f"orderflow/order/{order_id}"
    assert second["payload"]["custom_details"]["execution_arn"].endswith("-redrive-1")


def test_a_resolution_resolves_the_order_s_incident(paging: LocalRuntime, pagerduty: LoopbackWebhook) -> None:
    order_id = new_order_id()
    publish(paging, an_alert(order_id))
    poll_until(lambda: events_for(pagerduty, order_id), what="the trigger")
    publish(
        paging,
        {"type": "ORDER_RESOLVED", "orderId": order_id, "status": "FULFILLED", "at": "2026-11-26T13:00:00Z"},
    )
    poll_until(lambda: len(events_for(pagerduty, order_id)) == 2, what="the resolve")
    trigger, resolve = events_for(pagerduty, order_id)
    assert resolve == {"routing_key": KEY, "event_action": "resolve", "dedup_key": trigger["dedup_key"]}


def test_an_order_fulfilled_by_a_rerun_has_its_incident_resolved(
    paging: LocalRuntime, pagerduty: LoopbackWebhook
) -> None:
    # CreateOrder's table is throttled for longer than its Retry lasts: a system failure, paged as critical.
    retry = create_order_store_retry()
    paging.dynamodb_faults.throttle("PutItem", times=1 + retry["MaxAttempts"], table=paging.table_name("orders"))
    order_id = submitter(paging)(sample_order())["json"]["orderId"]
    paging.wait_for_order(order_id, ["FAILED"])
    (trigger,) = poll_until(lambda: events_for(pagerduty, order_id), what="the failure's trigger")
    assert trigger["payload"]["severity"] == "critical"
    assert trigger["payload"]["class"] == "OrderStoreUnavailable"

    # The throttling is over: the operator runs it again, and it is fulfilled.
    local = connect("local", endpoint_url=paging.aws_endpoint or paging.serve_aws(port=0))
    rerun_order(local, order_id)
    paging.wait_for_order(order_id, ["FULFILLED"])
    poll_until(lambda: len(events_for(pagerduty, order_id)) == 2, what="the resolve")
    assert events_for(pagerduty, order_id)[1] == {
        "routing_key": KEY,
        "event_action": "resolve",
        "dedup_key": f"orderflow/order/{order_id}",
    }


@pytest.mark.parametrize("refusal", [Answer(429, {"Retry-After": "0"}), Answer(500)], ids=["429", "500"])
def test_a_429_or_500_is_retried_and_delivered_once(
    paging: LocalRuntime, pagerduty: LoopbackWebhook, refusal: Answer
) -> None:
    order_id = new_order_id()
    pagerduty.answer_when(about(order_id), refusal)
    publish(paging, an_alert(order_id))
    poll_until(lambda: events_for(pagerduty, order_id), what="the trigger after the retry")
    alerts_settled(paging)
    first, second = pagerduty.requests_about(order_id)
    assert first == second
    assert len(events_for(pagerduty, order_id)) == 1


def test_a_400_is_not_retried_and_the_alert_is_parked_as_refused_by_pagerduty(
    paging: LocalRuntime, pagerduty: LoopbackWebhook
) -> None:
    order_id = new_order_id()
    pagerduty.answer_when(about(order_id), Answer(400, {"Content-Type": "application/json"}, body=INVALID_EVENT))
    publish(paging, an_alert(order_id))
    dlq = paging.queue_urls["alerts-dlq"]

    def parked() -> list[MessageTypeDef]:
        messages = paging.sqs.receive_message(
            QueueUrl=dlq, MaxNumberOfMessages=10, MessageAttributeNames=["All"], VisibilityTimeout=0
        ).get("Messages", [])
        return [m for m in messages if json.loads(m["Body"]).get("orderId") == order_id]

    (message,) = poll_until(parked, what="the refused alert in the alert DLQ")
    alerts_settled(paging)
    assert len(pagerduty.requests_about(order_id)) == 1  # not retried by the target, nor redelivered by SQS
    assert events_for(pagerduty, order_id) == []
    attributes = {name: value["StringValue"] for name, value in message["MessageAttributes"].items()}
    assert attributes["refusedBy"] == "pagerduty"
    assert "Length of 'routing_key' is incorrect" in attributes["reason"]
    assert KEY not in json.dumps(message)
    paging.sqs.delete_message(QueueUrl=dlq, ReceiptHandle=message["ReceiptHandle"])


def test_an_alarm_is_triggered_then_resolved_by_its_ok(paging: LocalRuntime, pagerduty: LoopbackWebhook) -> None:
    name = f"orderflow-AlertDlqNotEmptyAlarm-{uuid.uuid4().hex[:8]}"
    for sent, (state, previous) in enumerate((("ALARM", "OK"), ("OK", "ALARM")), start=1):
        alarm = {
            "AlarmName": name,
            "AlarmDescription": "orderflow: alerts are parked in the alert DLQ",
            "NewStateValue": state,
            "OldStateValue": previous,
            "NewStateReason": "Threshold Crossed",
            "StateChangeTime": "2026-11-26T12:00:00.000+0000",
            "Region": "US East (N. Virginia)",
        }
        paging.sns.publish(TopicArn=paging.topic_arns["alerts"], Message=json.dumps(alarm))
        poll_until(lambda: len(events_for(pagerduty, name)) == sent, what=f"the alarm's {state}")  # noqa: B023

    trigger, resolve = events_for(pagerduty, name)
    assert (trigger["event_action"], trigger["payload"]["severity"]) == ("trigger", "error")
    assert trigger["dedup_key"] == resolve["dedup_key"] == f"orderflow/alarm/{name}"
    assert resolve["event_action"] == "resolve"


def test_a_storm_is_one_incident_and_its_resolutions_close_each_order(
    paging: LocalRuntime, pagerduty: LoopbackWebhook
) -> None:
    failed = [new_order_id() for _ in range(6)]
    resolved = [new_order_id() for _ in range(2)]
    messages = [an_alert(order_id) for order_id in failed] + [
        {"type": "ORDER_RESOLVED", "orderId": order_id, "status": "FULFILLED", "at": "2026-11-26T13:00:00Z"}
        for order_id in resolved
    ]
    # One batch, as the alert queue's event source hands over a storm, given to the AlertHandler directly.
    records = [
        sqs_record(
            {"MessageId": str(uuid.uuid4()), "ReceiptHandle": f"pd-storm-{i}", "Body": json.dumps(message)},
            paging.queue_arn("alerts"),
            paging.config.region,
        )
        for i, message in enumerate(messages)
    ]
    response = paging.lambda_client.invoke(FunctionName="AlertHandler", Payload=json.dumps({"Records": records}))
    assert json.loads(response["Payload"].read())["batchItemFailures"] == []

    (storm,) = events_for(pagerduty, failed[0])
    assert storm["dedup_key"].startswith("orderflow/storm/")
    assert storm["payload"]["summary"].startswith("6 orders failed at CreateOrder: ")
    assert {o["order_id"] for o in storm["payload"]["custom_details"]["orders"]} == set(failed)
    assert all(events_for(pagerduty, order_id) == [storm] for order_id in failed)
    for order_id in resolved:
        assert events_for(pagerduty, order_id) == [
            {"routing_key": KEY, "event_action": "resolve", "dedup_key": f"orderflow/order/{order_id}"}
        ]
