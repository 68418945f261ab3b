"""The PagerDuty target (handlers.adapters.alert_targets.pagerduty) through its seams: a transport that answers from a
script and a sleep that records its waits. Every event it sends is checked against PagerDuty's published Events API
v2 contract (developer.pagerduty.com, "Send an Alert Event"; response codes and retries: its overview)."""

from __future__ import annotations

import io
import json
import logging
import random
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

import pytest

from handlers import observability
from handlers.adapters.alert_targets import TargetConfig
from handlers.adapters.alert_targets import pagerduty as pd
from handlers.adapters.json_webhook import Answer, JsonWebhook
from handlers.alert_registry import BY_NAME, configured_targets
from handlers.domain import pagerduty_event
from handlers.domain.alerts import (
    AlarmNotice,
    Alert,
    Notification,
    Resolution,
    execution_link,
    parse_notification,
    stuck_order_alert,
)
from handlers.domain.errors import AlertDeliveryError, AlertRefused

EQUIVALENT_MUTANTS: dict[str, str] = {
    "handlers.domain.pagerduty_event.x_alarm_trigger__mutmut_28": (
        "severity=None: only an ALARM is triggered (event_for, storm_events), its severity is error, and "
        "_severity(None) is error too"
    ),
    "handlers.domain.pagerduty_event.x_alarm_trigger__mutmut_34": "link=None: link is only tested for truth",
    "handlers.domain.pagerduty_event.x_dedup_key__mutmut_6": "'UTF-8' is the same codec as 'utf-8'",
    "handlers.domain.pagerduty_event.x_storm_trigger__mutmut_106": "'UTF-8' is the same codec as 'utf-8'",
    "handlers.domain.pagerduty_event.x_storm_events__mutmut_19": (
        "event_for(n, None) for a non-Alert: only an Alert's event uses the link template"
    ),
    "handlers.domain.pagerduty_event.x_storm_trigger__mutmut_99": (
        "min(severities) by name: an order's severity is critical, error or warning, which sort alike by name"
    ),
    "handlers.domain.pagerduty_event.x_storm_trigger__mutmut_101": (
        "min(severities) by name: an order's severity is critical, error or warning, which sort alike by name"
    ),
    "handlers.domain.pagerduty_event.x_storm_trigger__mutmut_9": (
        'at="XXXX" without times: like "", it is no time, so the event has no timestamp'
    ),
}

KEY = "R0ut1ngKeyF0rTestsOnly0123456789"
URL = "https://events.pagerduty.com/v2/enqueue"
CONSOLE = "https://console.example.invalid/executions/{arn}"
ARN = "arn:aws:states:us-east-1:123456789012:execution:orderflow-orders:{name}"
EXPRESS_ARN = "arn:aws:states:us-east-1:123456789012:express:orderflow-orders:{name}:{run}"
INVALID_EVENT = json.dumps(
    {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": ["Length of 'routing_key' is incorrect (should be 32 characters)"],
    }
)

# The Events API v2 contract, as PagerDuty publishes it.
EVENT_FIELDS = {"routing_key", "event_action", "dedup_key", "payload", "images", "links", "client", "client_url"}
PAYLOAD_FIELDS = {"summary", "source", "severity", "timestamp", "component", "group", "class", "custom_details"}
EVENT_ACTIONS = {"trigger", "acknowledge", "resolve"}
SEVERITIES = {"critical", "error", "warning", "info"}
PERSONAL = {"email", "shippingAddress", "shipping_address", "address", "line1", "postalCode", "customerId"}


def contract_problems(event: Mapping[str, Any]) -> list[str]:
    """What in `event` breaks the Events API v2 contract (empty when nothing does)."""
    problems = [f"unknown field {name}" for name in set(event) - EVENT_FIELDS]
    key = event.get("routing_key")
    if not (isinstance(key, str) and len(key) == 32):
        problems.append("routing_key must be the 32-character integration key")
    action = event.get("event_action")
    if action not in EVENT_ACTIONS:
        problems.append(f"event_action {action!r} is not one of {sorted(EVENT_ACTIONS)}")
    dedup = event.get("dedup_key")
    if dedup is None and action != "trigger":
        problems.append("dedup_key is required except on trigger")
    if dedup is not None and not (isinstance(dedup, str) and 0 < len(dedup) <= 255):
        problems.append("dedup_key must be a string of at most 255 characters")
    payload = event.get("payload")
    if action == "trigger":
        if not isinstance(payload, dict):
            return [*problems, "a trigger needs a payload"]
        problems += [f"unknown payload field {name}" for name in set(payload) - PAYLOAD_FIELDS]
        summary = payload.get("summary")
        if not (isinstance(summary, str) and 0 < len(summary) <= 1024):
            problems.append("payload.summary must be 1 to 1,024 characters")
        if not (isinstance(payload.get("source"), str) and payload["source"]):
            problems.append("payload.source is required")
        if payload.get("severity") not in SEVERITIES:
            problems.append(f"payload.severity {payload.get('severity')!r} is not one of {sorted(SEVERITIES)}")
        if "timestamp" in payload:
            try:
                stamped = datetime.fromisoformat(payload["timestamp"])
            except (TypeError, ValueError):
                problems.append("payload.timestamp must be ISO 8601")
            else:
                if stamped.tzinfo is None:
                    problems.append("payload.timestamp must carry its offset")
        for name in ("component", "group", "class"):
            if name in payload and not isinstance(payload[name], str):
                problems.append(f"payload.{name} must be a string")
        if "custom_details" in payload and not isinstance(payload["custom_details"], dict):
            problems.append("payload.custom_details must be an object")
    elif payload is not None:
        problems.append(f"a {action} needs no payload")
    for link in event.get("links", []):
        if not (isinstance(link.get("href"), str) and link["href"].startswith(("https://", "http://"))):
            problems.append("every link needs an href URL")
    if len(json.dumps(event).encode("utf-8")) > 512 * 1024:
        problems.append("events are limited to 512 KB")
    return problems


def keys_anywhere(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys_anywhere(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys_anywhere(v)}
    return set()


class ScriptedPagerDuty:
    """Answers each POST with the next scripted answer (then 202s); records the events and the waits."""

    def __init__(self, *script: Answer) -> None:
        self.script = deque(script)
        self.events: list[dict[str, Any]] = []
        self.urls: list[str] = []
        self.waits: list[float] = []

    def transport(self, url: str, body: bytes, timeout: float) -> Answer:
        self.urls.append(url)
        event = json.loads(body)
        assert contract_problems(event) == [], event
        self.events.append(event)
        return self.script.popleft() if self.script else accepted()

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)

    def target(self, max_attempts: int = 3) -> pd.PagerDutyTarget:
        webhook = JsonWebhook(
            URL, name="PagerDuty", max_attempts=max_attempts, transport=self.transport, sleep=self.sleep
        )
        return pd.PagerDutyTarget(webhook, routing_key=KEY, link_template=CONSOLE)


def accepted() -> Answer:
    body = {"status": "success", "message": "Event processed", "dedup_key": "x"}
    return Answer(202, {"Content-Type": "application/json"}, json.dumps(body))


def an_alert(order_id: str = "ord_01JTESTPAGERDUTY0000000001", **overrides: str) -> Alert:
    fields = {
        "order_id": order_id,
        "failed_state": "ValidateOrder",
        "error": "OrderValidationError",
        "cause": "currency: QQQ is not an ISO 4217 currency code",
        "execution_arn": ARN.format(name=order_id),
        "correlation_id": "corr-1",
        "at": "2026-11-26T12:00:00.123Z",
        "total": "25.00",
        "currency": "QQQ",
        **overrides,
    }
    return Alert(**fields)


def an_alarm(state: str) -> AlarmNotice:
    return AlarmNotice(
        name="orderflow-OrderDlqNotEmptyAlarm",
        description="orderflow: orders are parked in the order DLQ",
        state=state,
        previous_state="OK" if state == "ALARM" else "ALARM",
        reason="Threshold Crossed: 1 datapoint [3.0] was greater than or equal to the threshold (1.0).",
        at="2026-11-26T12:00:00.000+0000",
        region="US East (N. Virginia)",
    )


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """Every line the handlers' logger writes during the test, formatted as on Lambda (Powertools' JSON)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    logger = logging.getLogger(observability.logger.service)
    handler.setFormatter(next((h.formatter for h in logger.handlers if h.formatter is not None), None))
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def log_records(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


# What is sent


def test_a_failed_order_is_a_trigger_naming_the_order_the_step_and_the_reason() -> None:
    pagerduty = ScriptedPagerDuty()
    alert = an_alert()
    pagerduty.target().post(alert)

    (event,) = pagerduty.events
    assert pagerduty.urls == [URL]
    assert event["routing_key"] == KEY
    assert event["event_action"] == "trigger"
    assert event["dedup_key"] == alert.incident == f"orderflow/order/{alert.order_id}"
    payload = event["payload"]
    assert payload["summary"] == (
        f"Order {alert.order_id} failed at ValidateOrder: OrderValidationError - "
        "currency: QQQ is not an ISO 4217 currency code"
    )
    assert payload["source"] == "orderflow"
    assert payload["severity"] == alert.severity == "warning"  # the customer's input: not a page at night
    assert datetime.fromisoformat(payload["timestamp"]) == datetime.fromisoformat("2026-11-26T12:00:00.123+00:00")
    assert (payload["component"], payload["group"], payload["class"]) == (
        "ValidateOrder",
        "orders",
        "OrderValidationError",
    )
    assert payload["custom_details"] == {
        "kind": "ORDER_FAILED",
        "order_id": alert.order_id,
        "correlation_id": "corr-1",
        "failed_state": "ValidateOrder",
        "error": "OrderValidationError",
        "failure": "business",
        "total": "25.00",
        "currency": "QQQ",
        "cause": "currency: QQQ is not an ISO 4217 currency code",
        "execution_arn": alert.execution_arn,
    }
    link = execution_link(alert.execution_arn, CONSOLE)
    assert event["links"] == [{"href": link, "text": "Open the execution"}]
    assert (event["client"], event["client_url"]) == ("orderflow", link)


def test_severity_follows_the_alert_system_failures_critical_stuck_orders_error() -> None:
    pagerduty = ScriptedPagerDuty()
    stuck = Alert.from_data(
        stuck_order_alert(
            "ord_stuck",
            "CREATED",
            "2026-11-26T11:00:00Z",
            "",
            ARN.format(name="ord_stuck"),
            "c",
            "2026-11-26T12:00:00Z",
        )
    )
    for alert in (
        an_alert(error="OrderStoreUnavailable", failed_state="CreateOrder"),
        an_alert(error="States.Timeout"),
    ):
        pagerduty.target().post(alert)
    pagerduty.target().post(stuck)

    assert [e["payload"]["severity"] for e in pagerduty.events] == ["critical", "critical", "error"]
    assert pagerduty.events[2]["payload"]["summary"].startswith("Order ord_stuck stuck in CREATED: OrderStuck - ")
    assert pagerduty.events[2]["payload"]["custom_details"]["kind"] == "ORDER_STUCK"


def test_no_personal_data_reaches_pagerduty() -> None:
    """The alert topic's message may carry more than an alert needs; PagerDuty gets chosen fields only, and an
    e-mail address quoted in a cause is masked."""
    message = {
        **an_alert().to_dict(),
        "email": "ada@example.com",
        "shippingAddress": {"line1": "1 Main St", "city": "Dublin", "postalCode": "D01 F5P2", "country": "IE"},
        "cause": json.dumps({"errorMessage": "could not notify ada@example.com at 1 Main St", "errorType": "X"}),
    }
    pagerduty = ScriptedPagerDuty()
    pagerduty.target().post(parse_notification(json.dumps(message)))

    (event,) = pagerduty.events
    assert keys_anywhere(event) & PERSONAL == set()
    assert "ada@example.com" not in json.dumps(event)
    assert event["payload"]["custom_details"]["cause"] == "could not notify [e-mail] at 1 Main St"


def test_a_long_cause_is_cut_the_summary_to_1024_characters() -> None:
    pagerduty = ScriptedPagerDuty()
    pagerduty.target().post(an_alert(cause="x" * 300_000, order_id="ord_" + "y" * 400))

    (event,) = pagerduty.events
    assert len(event["payload"]["summary"]) == 1024
    assert event["payload"]["summary"].endswith("…")
    assert len(event["payload"]["custom_details"]["cause"]) == pagerduty_event.MAX_DETAIL
    assert len(event["dedup_key"]) <= 255  # an absurd order id still makes a valid key, the same every time
    assert event["dedup_key"] == pagerduty_event.dedup_key(f"orderflow/order/ord_{'y' * 400}")


def test_an_order_is_one_incident_across_retries_duplicate_starts_reruns_and_its_resolution() -> None:
    order_id = "ord_01JTESTONEINCIDENT00000001"
    notifications: list[Notification] = [
        an_alert(order_id, execution_arn=ARN.format(name=order_id)),
        an_alert(order_id, execution_arn=ARN.format(name=order_id), at="2026-11-26T12:00:05Z"),  # a retried publish
        an_alert(order_id, execution_arn=EXPRESS_ARN.format(name=order_id, run="run-a")),  # duplicate Express starts
        an_alert(order_id, execution_arn=EXPRESS_ARN.format(name=order_id, run="run-b")),
        an_alert(order_id, execution_arn=ARN.format(name=f"{order_id}-redrive-1"), error="OrderStoreUnavailable"),
        Resolution(order_id, "FULFILLED", "2026-11-26T13:00:00Z", "fulfilled after a rerun"),
    ]
    pagerduty = ScriptedPagerDuty()
    target = pagerduty.target()
    for notification in notifications:
        target.post(notification)

    assert {e["dedup_key"] for e in pagerduty.events} == {f"orderflow/order/{order_id}"}
    assert [e["event_action"] for e in pagerduty.events] == ["trigger"] * 5 + ["resolve"]
    assert pagerduty.events[-1] == {
        "routing_key": KEY,
        "event_action": "resolve",
        "dedup_key": f"orderflow/order/{order_id}",
    }


def test_an_alarm_triggers_its_own_incident_and_ok_resolves_it() -> None:
    pagerduty = ScriptedPagerDuty()
    target = pagerduty.target()
    for state in ("ALARM", "INSUFFICIENT_DATA", "OK"):
        target.post(an_alarm(state))

    trigger, resolved = pagerduty.events  # INSUFFICIENT_DATA neither opens nor closes anything
    assert trigger["dedup_key"] == resolved["dedup_key"] == "orderflow/alarm/orderflow-OrderDlqNotEmptyAlarm"
    assert trigger["payload"]["severity"] == "error"
    assert trigger["payload"]["summary"] == (
        "ALARM: orderflow-OrderDlqNotEmptyAlarm - orderflow: orders are parked in the order DLQ"
    )
    assert datetime.fromisoformat(trigger["payload"]["timestamp"]) == datetime.fromisoformat("2026-11-26T12:00:00Z")
    assert trigger["payload"]["custom_details"]["reason"].startswith("Threshold Crossed")
    assert resolved["event_action"] == "resolve"
    assert "payload" not in resolved


def test_a_storm_is_one_incident_with_the_count_and_its_resolutions_still_close_each_order() -> None:
    failed = [
        an_alert(
            f"ord_01JSTORM{i:02d}{'0' * 16}",
            failed_state="CreateOrder" if i % 3 else "ValidateOrder",
            error="OrderStoreUnavailable" if i % 3 else "OrderValidationError",
            at=f"2026-11-26T12:{i:02d}:00Z",
        )
        for i in range(60)
    ]
    resolved = [Resolution("ord_old1", "FULFILLED", "2026-11-26T12:30:00Z"), Resolution("ord_old2", "FAILED", "t")]
    batch: list[Notification] = [*failed[:30], resolved[0], an_alarm("OK"), *failed[30:], resolved[1]]
    pagerduty = ScriptedPagerDuty()
    pagerduty.target().post_summary(batch)

    storm, *rest = pagerduty.events
    assert [(e["event_action"], e["dedup_key"]) for e in rest] == [
        ("resolve", "orderflow/order/ord_old1"),
        ("resolve", "orderflow/alarm/orderflow-OrderDlqNotEmptyAlarm"),
        ("resolve", "orderflow/order/ord_old2"),
    ]
    assert storm["event_action"] == "trigger"
    assert storm["dedup_key"].startswith("orderflow/storm/")
    payload = storm["payload"]
    summary = payload["summary"]
    assert summary.startswith(
        f"60 orders failed at CreateOrder, ValidateOrder: {failed[0].order_id}, {failed[1].order_id}, "
    )
    assert summary.endswith(" more)")
    shown = summary.split(": ", 1)[1].split(" (and ")[0].split(", ")
    assert summary.endswith(f"(and {60 - len(shown)} more)")
    assert len(summary) <= 1024
    assert payload["severity"] == "critical"  # the worst of them
    assert (payload["component"], payload["class"]) == ("CreateOrder", "OrderStoreUnavailable")
    assert datetime.fromisoformat(payload["timestamp"]) == datetime.fromisoformat("2026-11-26T12:00:00Z")
    details = payload["custom_details"]
    assert details["count"] == 60
    assert details["groups"] == [
        {"failed_state": "CreateOrder", "error": "OrderStoreUnavailable", "count": 40},
        {"failed_state": "ValidateOrder", "error": "OrderValidationError", "count": 20},
    ]
    assert len(details["orders"]) == pagerduty_event.STORM_ORDERS_LISTED
    assert details["orders_not_listed"] == 60 - pagerduty_event.STORM_ORDERS_LISTED
    assert storm["links"][0]["href"] == execution_link(failed[0].execution_arn, CONSOLE)


def test_a_storm_s_key_is_the_same_for_the_same_alerts_in_any_order_and_differs_for_others() -> None:
    failed = [an_alert(f"ord_same{i}") for i in range(5)]
    shuffled = list(failed)
    random.Random(7).shuffle(shuffled)

    def key(alerts: list[Alert]) -> str:
        return str(pagerduty_event.storm_trigger(alerts, None)["dedup_key"])

    assert key(failed) == key(shuffled)  # a redelivered storm is the same incident
    assert key(failed) != key(failed[:4])


def test_a_storm_of_resolutions_resolves_every_order() -> None:
    pagerduty = ScriptedPagerDuty()
    pagerduty.target().post_summary([Resolution(f"ord_r{i}", "FULFILLED", "2026-11-26T12:00:00Z") for i in range(6)])

    assert [(e["event_action"], e["dedup_key"]) for e in pagerduty.events] == [
        ("resolve", f"orderflow/order/ord_r{i}") for i in range(6)
    ]


def test_a_storm_with_one_failed_order_keeps_that_order_s_incident() -> None:
    pagerduty = ScriptedPagerDuty()
    alert = an_alert("ord_alone")
    pagerduty.target().post_summary([alert, *(Resolution(f"ord_r{i}", "FULFILLED", "t") for i in range(4))])

    assert pagerduty.events[0]["dedup_key"] == "orderflow/order/ord_alone"  # so its resolution will close it
    assert [e["event_action"] for e in pagerduty.events] == ["trigger"] + ["resolve"] * 4


# How PagerDuty's answers are handled


def test_202_is_success_at_once() -> None:
    pagerduty = ScriptedPagerDuty(accepted())
    pagerduty.target().post(an_alert())
    assert len(pagerduty.events) == 1
    assert pagerduty.waits == []


def test_429_is_retried_after_the_wait_it_asks_for() -> None:
    pagerduty = ScriptedPagerDuty(Answer(429, {"Retry-After": "3"}, ""), accepted())
    pagerduty.target().post(an_alert())
    assert pagerduty.waits == [3.0]
    first, second = pagerduty.events
    assert first == second  # the same event again: the same dedup_key, so never a second incident


def test_500_is_retried_with_backoff() -> None:
    pagerduty = ScriptedPagerDuty(Answer(500, {}, ""), accepted())
    pagerduty.target().post(an_alert())
    assert pagerduty.waits == [1.0]
    assert len(pagerduty.events) == 2


def test_5xx_every_time_fails_for_redelivery_without_the_key(logged: io.StringIO) -> None:
    pagerduty = ScriptedPagerDuty(*[Answer(503, {}, "")] * 3)
    with pytest.raises(AlertDeliveryError, match=r"^PagerDuty did not accept the alert after 3 attempts") as caught:
        pagerduty.target().post(an_alert())
    assert pagerduty.waits == [1.0, 2.0]
    assert KEY not in str(caught.value)
    assert KEY not in logged.getvalue()


def test_400_is_refused_not_retried_and_pagerduty_s_errors_are_logged(logged: io.StringIO) -> None:
    pagerduty = ScriptedPagerDuty(Answer(400, {"Content-Type": "application/json"}, INVALID_EVENT))
    alert = an_alert()
    with pytest.raises(AlertRefused) as caught:
        pagerduty.target().post(alert)

    assert len(pagerduty.events) == 1
    assert pagerduty.waits == []
    assert str(caught.value) == (
        "PagerDuty refused the trigger event: HTTP 400 Length of 'routing_key' is incorrect (should be 32 characters)"
    )
    (refused,) = [r for r in log_records(logged) if r["message"] == "PagerDuty refused the event"]
    assert refused["level"] == "ERROR"
    assert refused["errors"] == ["Length of 'routing_key' is incorrect (should be 32 characters)"]
    assert refused["pagerduty_message"] == "Event object is invalid"
    assert (refused["status"], refused["event_action"], refused["dedup_key"]) == (400, "trigger", alert.incident)


def test_the_routing_key_is_in_no_log_error_or_repr(logged: io.StringIO) -> None:
    """Even when PagerDuty (or a proxy) echoes it back."""
    echoed = json.dumps({"status": "invalid event", "message": f"bad key {KEY}", "errors": [f"{KEY} is unknown"]})
    script = [
        accepted(),
        Answer(429, {"Retry-After": "0"}, KEY),
        accepted(),
        Answer(400, {}, echoed),
        Answer(404, {}, f"<html>no route for {KEY}</html>"),
        *[Answer(500, {}, KEY)] * 3,
    ]
    pagerduty = ScriptedPagerDuty(*script)
    target = pagerduty.target()
    raised: list[Exception] = []
    for notification in (an_alert("o1"), an_alert("o2"), an_alert("o3"), an_alert("o4"), an_alert("o5")):
        try:
            target.post(notification)
        except (AlertRefused, AlertDeliveryError) as e:
            raised.append(e)

    assert [type(e) for e in raised] == [AlertRefused, AlertRefused, AlertDeliveryError]
    assert "[routing key] is unknown" in str(raised[0])
    for text in [*map(str, raised), *map(repr, raised), repr(target), logged.getvalue()]:
        assert KEY not in text
    assert all(e.__cause__ is None for e in raised[:2])


# Configuration


def config(secret: str | None = KEY, settings: Mapping[str, str] | None = None) -> TargetConfig:
    given = dict(settings or {})
    return TargetConfig(secret=secret, settings=given.get, link_template=CONSOLE)


@pytest.mark.parametrize(
    ("secret", "found"),
    [
        (None, "it is empty"),
        ("not-configured", "it holds 14 characters"),
        (KEY + "0", "it holds 33 characters"),
        (KEY[:31] + "-", "it holds 32 characters, not all of them letters and digits"),
    ],
)
def test_a_routing_key_that_is_not_32_letters_and_digits_is_named_not_echoed(secret: str | None, found: str) -> None:
    problem = pd.problem(config(secret))
    assert problem == f"its secret holds no PagerDuty Events API v2 routing key (32 letters and digits): {found}"
    assert secret is None or secret not in problem


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://events.pagerduty.com/v2/enqueue", True),
        ("https://events.eu.pagerduty.com/v2/enqueue", True),
        ("http://127.0.0.1:8123/v2/enqueue", True),
        ("http://localhost:8123/v2/enqueue", True),
        ("http://events.pagerduty.com/v2/enqueue", False),
        ("http://localhost.example.com/v2/enqueue", False),
        ("ftp://events.pagerduty.com/v2/enqueue", False),
        ("https://", False),
        ("http://[::1", False),
    ],
)
def test_the_events_url_is_https_or_loopback(url: str, allowed: bool) -> None:
    problem = pd.problem(config(settings={pd.EVENTS_URL: url}))
    assert (problem is None) is allowed
    if not allowed:
        assert problem is not None
        assert "events.eu.pagerduty.com" in problem


def test_events_go_to_the_us_endpoint_unless_the_setting_says_otherwise() -> None:
    assert pd.events_url(config()) == "https://events.pagerduty.com/v2/enqueue"
    assert pd.events_url(config(settings={pd.EVENTS_URL: " "})) == "https://events.pagerduty.com/v2/enqueue"
    eu = "https://events.eu.pagerduty.com/v2/enqueue"
    assert pd.events_url(config(settings={pd.EVENTS_URL: eu})) == eu


def test_the_registry_turns_the_target_on_only_when_configured() -> None:
    reported: list[str] = []

    def config_of(key: str | None) -> Callable[[Any], TargetConfig]:
        return lambda spec: config(key if spec is BY_NAME["pagerduty"] else None)

    _log, target = configured_targets("pagerduty", config_of(KEY), reported.append)
    assert isinstance(target, pd.PagerDutyTarget)
    assert (target.name, target.webhook.name, target.link_template) == ("pagerduty", "PagerDuty", CONSOLE)
    assert reported == []

    assert [t.name for t in configured_targets("pagerduty", config_of("not-configured"), reported.append)] == ["log"]
    assert reported == [
        "alert target pagerduty is not configured: its secret holds no PagerDuty Events API v2 routing key "
        "(32 letters and digits): it holds 14 characters"
    ]


# Events, exactly as they are built (before the target adds the routing key)


def test_a_system_failure_is_exactly_this_trigger() -> None:
    alert = an_alert("ord_1", error="OrderStoreUnavailable", at="2026-11-26T12:00:00")  # no offset: UTC
    link = f"https://console.example.invalid/executions/{ARN.format(name='ord_1')}"
    assert pagerduty_event.event_for(alert, CONSOLE) == {
        "event_action": "trigger",
        "dedup_key": "orderflow/order/ord_1",
        "payload": {
            "summary": (
                "Order ord_1 failed at ValidateOrder: OrderStoreUnavailable - "
                "currency: QQQ is not an ISO 4217 currency code"
            ),
            "source": "orderflow",
            "severity": "critical",
            "component": "ValidateOrder",
            "group": "orders",
            "class": "OrderStoreUnavailable",
            "custom_details": {
                "kind": "ORDER_FAILED",
                "order_id": "ord_1",
                "correlation_id": "corr-1",
                "failed_state": "ValidateOrder",
                "error": "OrderStoreUnavailable",
                "failure": "system",
                "total": "25.00",
                "currency": "QQQ",
                "cause": "currency: QQQ is not an ISO 4217 currency code",
                "execution_arn": ARN.format(name="ord_1"),
            },
            "timestamp": "2026-11-26T12:00:00+00:00",
        },
        "client": "orderflow",
        "links": [{"href": link, "text": "Open the execution"}],
        "client_url": link,
    }


def test_a_bare_alert_leaves_out_what_it_does_not_carry() -> None:
    bare = Alert("ord_1", "CreateOrder", "OrderStoreUnavailable", "", "", "", "no time")
    assert pagerduty_event.event_for(bare, CONSOLE) == {
        "event_action": "trigger",
        "dedup_key": "orderflow/order/ord_1",
        "payload": {
            "summary": "Order ord_1 failed at CreateOrder: OrderStoreUnavailable",
            "source": "orderflow",
            "severity": "critical",
            "component": "CreateOrder",
            "group": "orders",
            "class": "OrderStoreUnavailable",
            "custom_details": {
                "kind": "ORDER_FAILED",
                "order_id": "ord_1",
                "failed_state": "CreateOrder",
                "error": "OrderStoreUnavailable",
                "failure": "system",
            },
        },
        "client": "orderflow",
    }


def test_an_alarm_is_exactly_this_trigger_and_its_ok_this_resolve() -> None:
    assert pagerduty_event.event_for(an_alarm("ALARM"), CONSOLE) == {
        "event_action": "trigger",
        "dedup_key": "orderflow/alarm/orderflow-OrderDlqNotEmptyAlarm",
        "payload": {
            "summary": "ALARM: orderflow-OrderDlqNotEmptyAlarm - orderflow: orders are parked in the order DLQ",
            "source": "orderflow",
            "severity": "error",
            "component": "orderflow-OrderDlqNotEmptyAlarm",
            "group": "alarms",
            "class": "CloudWatchAlarm",
            "custom_details": {
                "kind": "ALARM",
                "alarm": "orderflow-OrderDlqNotEmptyAlarm",
                "description": "orderflow: orders are parked in the order DLQ",
                "state": "ALARM",
                "previous_state": "OK",
                "reason": "Threshold Crossed: 1 datapoint [3.0] was greater than or equal to the threshold (1.0).",
                "region": "US East (N. Virginia)",
            },
            "timestamp": "2026-11-26T12:00:00+00:00",
        },
        "client": "orderflow",
    }
    assert pagerduty_event.event_for(an_alarm("OK"), CONSOLE) == {
        "event_action": "resolve",
        "dedup_key": "orderflow/alarm/orderflow-OrderDlqNotEmptyAlarm",
    }
    assert pagerduty_event.event_for(an_alarm("INSUFFICIENT_DATA"), CONSOLE) is None
    assert pagerduty_event.event_for(Resolution("ord_1", "FULFILLED", "t"), CONSOLE) == {
        "event_action": "resolve",
        "dedup_key": "orderflow/order/ord_1",
    }


def test_a_bare_alarm_is_summarised_by_its_name() -> None:
    bare = AlarmNotice("orderflow-X", "", "ALARM", "OK", "", "", "")
    assert pagerduty_event.alarm_trigger(bare)["payload"] == {
        "summary": "ALARM: orderflow-X",
        "source": "orderflow",
        "severity": "error",
        "component": "orderflow-X",
        "group": "alarms",
        "class": "CloudWatchAlarm",
        "custom_details": {"kind": "ALARM", "alarm": "orderflow-X", "state": "ALARM", "previous_state": "OK"},
    }
    described = AlarmNotice("orderflow-X", "mail ops@example.com", "ALARM", "OK", "by bob@example.org", "", "")
    payload = pagerduty_event.alarm_trigger(described)["payload"]
    assert payload["summary"] == "ALARM: orderflow-X - mail [e-mail]"
    assert payload["custom_details"]["reason"] == "by [e-mail]"


def test_a_small_storm_is_exactly_this_trigger() -> None:
    alerts = [
        an_alert("o1", failed_state="A", error="E1", at="2026-11-26T12:05:00+01:00", execution_arn=""),
        an_alert("o2", failed_state="B", error="E2", at="not a time"),
        an_alert("o3", failed_state="B", error="E2", at="2026-11-26T11:30:00Z", kind="ORDER_STUCK"),
    ]
    link = f"https://console.example.invalid/executions/{ARN.format(name='o2')}"
    assert pagerduty_event.storm_trigger(alerts, CONSOLE) == {
        "event_action": "trigger",
        "dedup_key": "orderflow/storm/5fba17bceb98fe51a53bb0ff",
        "payload": {
            "summary": "3 orders failed at B, A: o1, o2, o3",
            "source": "orderflow",
            "severity": "critical",
            "component": "B",
            "group": "orders",
            "class": "E2",
            "custom_details": {
                "kind": "ALERT_STORM",
                "count": 3,
                "groups": [
                    {"failed_state": "B", "error": "E2", "count": 2},
                    {"failed_state": "A", "error": "E1", "count": 1},
                ],
                "orders": [
                    {
                        "order_id": f"o{i}",
                        "failed_state": state,
                        "error": error,
                        "correlation_id": "corr-1",
                        "execution_arn": arn,
                    }
                    for i, state, error, arn in (
                        (1, "A", "E1", ""),
                        (2, "B", "E2", ARN.format(name="o2")),
                        (3, "B", "E2", ARN.format(name="o3")),
                    )
                ],
            },
            "timestamp": "2026-11-26T12:05:00+01:00",  # the earliest (11:05 UTC), as it was stamped
        },
        "client": "orderflow",
        "links": [{"href": link, "text": "Open one of the executions"}],
        "client_url": link,
    }


def test_a_storm_of_stuck_orders_without_times_or_executions() -> None:
    stuck = [an_alert(f"o{i}", kind="ORDER_STUCK", at="", execution_arn="", failed_state="CREATED") for i in range(2)]
    event = pagerduty_event.storm_trigger(stuck, CONSOLE)
    assert event["payload"]["summary"] == "2 orders stuck in CREATED: o0, o1"
    assert event["payload"]["severity"] == "error"
    assert "timestamp" not in event["payload"]
    assert "links" not in event
    assert "client_url" not in event
    business = [an_alert("o1"), an_alert("o2", kind="ORDER_STUCK")]
    assert pagerduty_event.storm_trigger(business, None)["payload"]["severity"] == "error"  # the worst: stuck
    warnings = [an_alert("o1"), an_alert("o2")]
    assert pagerduty_event.storm_trigger(warnings, None)["payload"]["severity"] == "warning"


def test_a_storm_names_three_steps_and_counts_the_others() -> None:
    steps = ["S1", "S1", "S1", "S1", "S2", "S2", "S2", "S3", "S3", "S4"]
    alerts = [an_alert(f"o{i}", failed_state=step) for i, step in enumerate(steps)]
    summary = pagerduty_event.storm_trigger(alerts[:9], None)["payload"]["summary"]
    assert summary.startswith("9 orders failed at S1, S2, S3: o0, ")
    summary = pagerduty_event.storm_trigger(alerts, None)["payload"]["summary"]
    assert summary.startswith("10 orders failed at S1, S2, S3 and 1 other steps: o0, ")


def test_a_storm_lists_50_orders_and_20_groups_in_its_details() -> None:
    fifty = [an_alert(f"o{i}", failed_state=f"S{i % 25}") for i in range(50)]
    details = pagerduty_event.storm_trigger(fifty, None)["payload"]["custom_details"]
    assert [o["order_id"] for o in details["orders"]] == [f"o{i}" for i in range(50)]
    assert "orders_not_listed" not in details
    assert [g["failed_state"] for g in details["groups"]] == [f"S{i}" for i in range(20)]
    more = pagerduty_event.storm_trigger([*fifty, an_alert("o50")], None)["payload"]["custom_details"]
    assert len(more["orders"]) == 50
    assert more["orders_not_listed"] == 1


def test_a_storm_s_summary_lists_the_ids_that_fit_in_1024_characters_whole() -> None:
    head = "2 orders failed at ValidateOrder: "
    # Both ids fit exactly: 1,024 characters.
    first, second = "a" * 500, "b" * (1024 - len(head) - 500 - 2)
    summary = pagerduty_event.storm_trigger([an_alert(first), an_alert(second)], None)["payload"]["summary"]
    assert summary == f"{head}{first}, {second}"
    assert len(summary) == 1024
    # One more character: the second is counted, not cut.
    longer = pagerduty_event.storm_trigger([an_alert(first), an_alert(second + "b")], None)["payload"]["summary"]
    assert longer == f"{head}{first} (and 1 more)"
    # An id that fits alone but not with the count of those after it is counted too.
    alone = "c" * (1024 - len(head))
    counted = pagerduty_event.storm_trigger([an_alert(alone), an_alert("d")], None)["payload"]["summary"]
    assert counted == "2 orders failed at ValidateOrder (and 2 more)"
    # None fits: the head and the count.
    huge = pagerduty_event.storm_trigger([an_alert("x" * 1100), an_alert("y")], None)["payload"]["summary"]
    assert huge == "2 orders failed at ValidateOrder (and 2 more)"


def test_a_dedup_key_is_kept_up_to_255_characters_then_a_prefix_and_a_hash() -> None:
    assert pagerduty_event.dedup_key("k" * 255) == "k" * 255
    assert pagerduty_event.dedup_key("k" * 256) == "k" * 200 + "#ce16fe78208a4e93f7158e62393680e0"


def test_e_mail_addresses_are_masked_within_rfc_5321_s_lengths() -> None:
    assert pagerduty_event.scrubbed("to ada.l+x@mail.example.com, now") == "to [e-mail], now"
    assert pagerduty_event.scrubbed("a" * 64 + "@x.com") == "[e-mail]"
    assert pagerduty_event.scrubbed("a" * 65 + "@x.com") == "a[e-mail]"  # a local part is at most 64
    assert pagerduty_event.scrubbed("a@" + "b" * 63 + ".com") == "[e-mail]"
    assert pagerduty_event.scrubbed("a@" + "b" * 64 + ".com") == "a@" + "b" * 64 + ".com"  # no label of 64
    assert pagerduty_event.scrubbed("a@b." + "c" * 64) == "[e-mail]c"
    assert pagerduty_event.scrubbed("a@localhost") == "a@localhost"  # no dot: no address


def test_a_cause_is_cut_to_2000_characters_and_the_summary_to_1024() -> None:
    exact = pagerduty_event.alert_trigger(an_alert(cause="x" * 2000), None)
    assert exact["payload"]["custom_details"]["cause"] == "x" * 2000
    over = pagerduty_event.alert_trigger(an_alert(cause="x" * 2001), None)
    assert over["payload"]["custom_details"]["cause"] == "x" * 1999 + "…"
    prefix = "Order o failed at ValidateOrder: OrderValidationError - "
    fits = pagerduty_event.alert_trigger(an_alert("o", cause="y" * (1024 - len(prefix))), None)
    assert fits["payload"]["summary"] == prefix + "y" * (1024 - len(prefix))
    cut = pagerduty_event.alert_trigger(an_alert("o", cause="y" * (1025 - len(prefix))), None)
    assert cut["payload"]["summary"] == prefix + "y" * (1023 - len(prefix)) + "…"
    spaced = pagerduty_event.alert_trigger(an_alert("o", cause="a\n  b\tc"), None)
    assert spaced["payload"]["summary"] == prefix + "a b c"


def test_a_time_keeps_its_offset() -> None:
    event = pagerduty_event.alert_trigger(an_alert(at="2026-11-26T14:00:00+02:00"), None)
    assert event["payload"]["timestamp"] == "2026-11-26T14:00:00+02:00"


def test_a_severity_pagerduty_does_not_know_is_sent_as_an_error() -> None:
    assert [pagerduty_event._severity(s) for s in ("critical", "error", "warning", "info")] == [
        "critical",
        "error",
        "warning",
        "info",
    ]
    assert pagerduty_event._severity("page-me") == "error"


def test_storm_events_keep_a_lone_order_s_incident_and_the_others_order() -> None:
    alone = an_alert("ord_alone")
    events = pagerduty_event.storm_events(
        [Resolution("r1", "FULFILLED", "t"), alone, an_alarm("INSUFFICIENT_DATA"), an_alarm("ALARM")], None
    )
    assert events == [
        pagerduty_event.alert_trigger(alone, None),
        {"event_action": "resolve", "dedup_key": "orderflow/order/r1"},
        pagerduty_event.alarm_trigger(an_alarm("ALARM")),
    ]
    with_link = pagerduty_event.storm_events([alone], CONSOLE)
    assert with_link == [pagerduty_event.alert_trigger(alone, CONSOLE)]
    assert with_link[0]["client_url"] == execution_link(alone.execution_arn, CONSOLE)
    assert pagerduty_event.storm_events([an_alarm("OK")], None) == [
        {"event_action": "resolve", "dedup_key": "orderflow/alarm/orderflow-OrderDlqNotEmptyAlarm"}
    ]


def test_no_part_of_an_address_survives_a_long_cause() -> None:
    """Masking a window of the cause and then showing its end left the address the window cut in half unmasked
    (`… [e-mail] customer065.with.a.rather.long.loca`): the whole cause is masked before it is cut."""
    addresses = " ".join(f"customer{n:03}.with.a.rather.long.local.part@example-shop.co.uk" for n in range(100))
    pagerduty = ScriptedPagerDuty()
    pagerduty.target().post(parse_notification(json.dumps({**an_alert().to_dict(), "cause": addresses})))
    (event,) = pagerduty.events
    shown = event["payload"]["custom_details"]["cause"]
    assert "customer" not in shown
    assert "local" not in shown
