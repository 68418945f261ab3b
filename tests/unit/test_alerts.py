"""handlers.domain.alerts: parsing the alert topic's messages, each notification's identity, severity and payloads."""

from __future__ import annotations

import json
from typing import Any

import pytest

from handlers.domain.alerts import (
    CRITICAL,
    ERROR,
    INFO,
    ORDER_FAILED,
    ORDER_RESOLVED,
    ORDER_STUCK,
    WARNING,
    AlarmNotice,
    Alert,
    Resolution,
    execution_link,
    incident_key,
    parse_notification,
    plain,
    readable_cause,
    resolution,
    stuck_order_alert,
)

EQUIVALENT_MUTANTS: dict[str, str] = {
    "handlers.domain.alerts.x_execution_link__mutmut_19": "safe=':' -> 'XX:XX' only adds the letter X, which quote "
    "never escapes",
}

STANDARD_ARN = "arn:aws:states:eu-west-1:111122223333:execution:orderflow-orders:ord_1"
EXPRESS_ARN = "arn:aws:states:eu-central-1:111122223333:express:orderflow-orders:ord_1:1f2e"
EXPRESS_STARTED_AS = "arn:aws:states:eu-central-1:111122223333:express:orderflow-orders:ord_1"

FAILURE: dict[str, Any] = {
    "type": ORDER_FAILED,
    "orderId": "ord_1",
    "failedState": "ChargePayment",
    "error": "PaymentDeclined",
    "cause": json.dumps({"errorType": "PaymentDeclined", "errorMessage": "card declined", "stackTrace": []}),
    "executionArn": EXPRESS_ARN,
    "correlationId": "corr-1",
    "at": "2026-01-02T03:04:05Z",
    "total": "12345",
    "currency": "EUR",
}

ALARM: dict[str, Any] = {
    "AlarmName": "orderflow-executions-failed",
    "AlarmDescription": "Executions fail",
    "NewStateValue": "ALARM",
    "OldStateValue": "OK",
    "NewStateReason": "Threshold Crossed: 1 datapoint [3.0] was greater than the threshold (0.0).",
    "StateChangeTime": "2026-01-02T03:04:05.000+0000",
    "Region": "EU (Ireland)",
}


def parsed_alert(data: dict[str, Any]) -> Alert:
    notification = parse_notification(json.dumps(data))
    assert isinstance(notification, Alert)
    return notification


def parsed_alarm(data: dict[str, Any]) -> AlarmNotice:
    notification = parse_notification(json.dumps(data))
    assert isinstance(notification, AlarmNotice)
    return notification


def parsed_resolution(data: dict[str, Any]) -> Resolution:
    notification = parse_notification(json.dumps(data))
    assert isinstance(notification, Resolution)
    return notification


# Alert: the workflow's failure, FindStuckOrders' stuck order.


def test_a_failure_is_read_field_by_field() -> None:
    assert parsed_alert(FAILURE) == Alert(
        kind=ORDER_FAILED,
        order_id="ord_1",
        failed_state="ChargePayment",
        error="PaymentDeclined",
        cause="card declined",
        execution_arn=EXPRESS_ARN,
        correlation_id="corr-1",
        at="2026-01-02T03:04:05Z",
        total="12345",
        currency="EUR",
    )


def test_a_failure_with_nothing_known_says_unknown_where_a_person_reads_it() -> None:
    assert parsed_alert({}) == Alert(
        kind=ORDER_FAILED,
        order_id="unknown",
        failed_state="unknown",
        error="unknown",
        cause="",
        execution_arn="",
        correlation_id="",
        at="",
        total="",
        currency="",
    )


def test_null_and_empty_fields_read_as_missing_ones() -> None:
    nulls = dict.fromkeys(FAILURE, None)
    empties = dict.fromkeys(FAILURE, "")
    assert parsed_alert(nulls) == parsed_alert(empties) == parsed_alert({})


def test_a_failure_reads_non_string_values_as_text() -> None:
    alert = parsed_alert({"orderId": 7, "failedState": 8, "error": 9, "total": 1000, "currency": 1, "at": 2})
    assert (alert.order_id, alert.failed_state, alert.error, alert.total, alert.currency, alert.at) == (
        "7",
        "8",
        "9",
        "1000",
        "1",
        "2",
    )


def test_only_a_stuck_type_makes_a_stuck_alert() -> None:
    assert parsed_alert({**FAILURE, "type": ORDER_STUCK}).kind == ORDER_STUCK
    assert parsed_alert({**FAILURE, "type": "SOMETHING_ELSE"}).kind == ORDER_FAILED
    assert parsed_alert({key: value for key, value in FAILURE.items() if key != "type"}).kind == ORDER_FAILED


def test_a_failure_as_a_webhook_and_the_dlq_carry_it() -> None:
    assert parsed_alert(FAILURE).to_dict() == {
        "type": "ORDER_FAILED",
        "alertId": f"order|ord_1|ChargePayment|PaymentDeclined|{EXPRESS_STARTED_AS}",
        "orderId": "ord_1",
        "failedState": "ChargePayment",
        "error": "PaymentDeclined",
        "cause": "card declined",
        "executionArn": EXPRESS_ARN,
        "correlationId": "corr-1",
        "at": "2026-01-02T03:04:05Z",
        "total": "12345",
        "currency": "EUR",
    }


def test_a_failure_as_it_is_logged() -> None:
    assert parsed_alert(FAILURE).to_log() == {
        "alert_order_id": "ord_1",
        "total": "12345",
        "currency": "EUR",
        "failed_state": "ChargePayment",
        "error": "PaymentDeclined",
        "cause": "card declined",
        "execution_arn": EXPRESS_ARN,
        "failed_at": "2026-01-02T03:04:05Z",
    }


def test_a_failure_redriven_from_its_dict_is_the_same_alert() -> None:
    alert = parsed_alert(FAILURE)
    assert parse_notification(json.dumps(alert.to_dict())) == alert


def test_one_failure_of_one_order_is_one_alert_however_often_it_is_published() -> None:
    first = parsed_alert(FAILURE)
    another_run = parsed_alert({**FAILURE, "executionArn": EXPRESS_ARN[: -len("1f2e")] + "9a8b", "at": "later"})
    assert first.fingerprint == another_run.fingerprint
    assert parsed_alert({**FAILURE, "executionArn": STANDARD_ARN}).fingerprint == (
        f"order|ord_1|ChargePayment|PaymentDeclined|{STANDARD_ARN}"
    )
    for changed in ({"orderId": "ord_2"}, {"failedState": "ShipOrder"}, {"error": "Timeout"}):
        assert parsed_alert({**FAILURE, **changed}).fingerprint != first.fingerprint


def test_every_alert_of_an_order_is_one_incident() -> None:
    assert incident_key("ord_1") == "orderflow/order/ord_1"
    assert parsed_alert(FAILURE).incident == "orderflow/order/ord_1"
    assert parsed_alert({**FAILURE, "type": ORDER_STUCK}).incident == "orderflow/order/ord_1"
    assert parsed_resolution({"type": ORDER_RESOLVED, "orderId": "ord_1"}).incident == "orderflow/order/ord_1"


def test_a_business_failure_is_a_warning() -> None:
    alert = parsed_alert({**FAILURE, "error": "OrderValidationError"})
    assert (alert.verb, alert.failure, alert.severity) == ("failed at", "business", WARNING)


def test_a_system_failure_is_critical() -> None:
    declared = parsed_alert({**FAILURE, "error": "OrderStoreUnavailable"})
    undeclared = parsed_alert({**FAILURE, "error": "States.Timeout"})
    for alert in (declared, undeclared):
        assert (alert.verb, alert.failure, alert.severity) == ("failed at", "system", CRITICAL)


def test_a_stuck_order_is_an_error_whatever_its_error_name() -> None:
    alert = parsed_alert({**FAILURE, "type": ORDER_STUCK, "error": "OrderValidationError"})
    assert (alert.verb, alert.failure, alert.severity) == ("stuck in", "system", ERROR)


# A stuck order, as FindStuckOrders publishes it.


def test_a_stuck_order_alert_says_how_long_it_waited() -> None:
    assert stuck_order_alert(
        "ord_1",
        "PAYMENT_PENDING",
        "2026-01-02T03:00:00Z",
        "2026-01-02T03:05:00Z",
        STANDARD_ARN,
        "corr-1",
        "2026-01-02T04:30:59Z",
    ) == {
        "type": "ORDER_STUCK",
        "orderId": "ord_1",
        "failedState": "PAYMENT_PENDING",
        "error": "OrderStuck",
        "cause": "accepted 2026-01-02T03:00:00Z, still PAYMENT_PENDING after 90 minutes "
        "(last change 2026-01-02T03:05:00Z): nothing moved it to FULFILLED or FAILED",
        "executionArn": STANDARD_ARN,
        "correlationId": "corr-1",
        "at": "2026-01-02T04:30:59Z",
    }


def test_a_stuck_order_alert_reads_utc_offsets_as_well() -> None:
    alert = stuck_order_alert("ord_1", "ACCEPTED", "2026-01-02T03:00:00+00:00", "", "", "", "2026-01-02T05:00:00+01:00")
    assert alert["cause"] == (
        "accepted 2026-01-02T03:00:00+00:00, still ACCEPTED after 60 minutes (last change unknown): "
        "nothing moved it to FULFILLED or FAILED"
    )


def test_a_stuck_order_alert_rounds_minutes_down() -> None:
    at = "2026-01-02T03:00:00Z"
    assert "after 0 minutes" in stuck_order_alert("o", "ACCEPTED", at, "", "", "", "2026-01-02T03:00:59Z")["cause"]
    assert "after 1 minutes" in stuck_order_alert("o", "ACCEPTED", at, "", "", "", "2026-01-02T03:01:00Z")["cause"]
    # A clock behind the order's (skew) rounds down too: 30 seconds before is the minute before.
    assert "after -1 minutes" in stuck_order_alert("o", "ACCEPTED", at, "", "", "", "2026-01-02T02:59:30Z")["cause"]


def test_a_stuck_order_alert_reads_a_time_without_an_offset_as_utc() -> None:
    """It raised TypeError (naive minus aware), which stopped FindStuckOrders part-way through its page."""
    for open_since, at in (
        ("2026-01-02T03:00:00", "2026-01-02T03:30:00Z"),
        ("2026-01-02T03:00:00Z", "2026-01-02T03:30:00"),
    ):
        assert "after 30 minutes" in stuck_order_alert("o", "ACCEPTED", open_since, "", "", "", at)["cause"]


@pytest.mark.parametrize(("open_since", "at"), [("yesterday", "2026-01-02T03:00:00Z"), ("2026-01-02T03:00:00Z", "")])
def test_a_stuck_order_alert_with_a_time_it_cannot_read_says_too_long(open_since: str, at: str) -> None:
    alert = stuck_order_alert("ord_1", "ACCEPTED", open_since, "2026-01-02T03:01:00Z", STANDARD_ARN, "c", at)
    assert alert["cause"] == (
        f"accepted {open_since}, still ACCEPTED after too long (last change 2026-01-02T03:01:00Z): "
        "nothing moved it to FULFILLED or FAILED"
    )


def test_a_stuck_order_alert_parses_as_a_stuck_alert() -> None:
    published = stuck_order_alert(
        "ord_1", "ACCEPTED", "2026-01-02T03:00:00Z", "", STANDARD_ARN, "corr-1", "2026-01-02T03:30:00Z"
    )
    alert = parsed_alert(published)
    assert (alert.kind, alert.failed_state, alert.error, alert.severity) == (
        ORDER_STUCK,
        "ACCEPTED",
        "OrderStuck",
        ERROR,
    )
    assert alert.fingerprint == f"order|ord_1|ACCEPTED|OrderStuck|{STANDARD_ARN}"


# CloudWatch alarms.


def test_an_alarm_as_cloudwatch_publishes_it() -> None:
    alarm = parsed_alarm(ALARM)
    assert alarm == AlarmNotice(
        name="orderflow-executions-failed",
        description="Executions fail",
        state="ALARM",
        previous_state="OK",
        reason="Threshold Crossed: 1 datapoint [3.0] was greater than the threshold (0.0).",
        at="2026-01-02T03:04:05.000+0000",
        region="EU (Ireland)",
    )
    assert alarm.to_dict() == {
        "type": "ALARM",
        "alertId": "alarm|orderflow-executions-failed|ALARM|2026-01-02T03:04:05.000+0000",
        "alarm": "orderflow-executions-failed",
        "description": "Executions fail",
        "state": "ALARM",
        "previousState": "OK",
        "reason": "Threshold Crossed: 1 datapoint [3.0] was greater than the threshold (0.0).",
        "at": "2026-01-02T03:04:05.000+0000",
        "region": "EU (Ireland)",
    }
    assert alarm.to_log() == {
        "alarm": "orderflow-executions-failed",
        "alarm_state": "ALARM",
        "previous_state": "OK",
        "reason": "Threshold Crossed: 1 datapoint [3.0] was greater than the threshold (0.0).",
        "changed_at": "2026-01-02T03:04:05.000+0000",
    }


def test_an_alarm_is_an_error_its_ok_is_info_and_both_are_one_incident() -> None:
    alarm = parsed_alarm(ALARM)
    ok = parsed_alarm({**ALARM, "NewStateValue": "OK", "OldStateValue": "ALARM"})
    no_data = parsed_alarm({**ALARM, "NewStateValue": "INSUFFICIENT_DATA"})
    assert (alarm.severity, ok.severity, no_data.severity) == (ERROR, INFO, INFO)
    assert alarm.incident == ok.incident == "orderflow/alarm/orderflow-executions-failed"
    assert ok.fingerprint == "alarm|orderflow-executions-failed|OK|2026-01-02T03:04:05.000+0000"
    assert (alarm.failed_state, alarm.error) == ("", "orderflow-executions-failed")


def test_an_alarm_with_only_its_name_and_state() -> None:
    alarm = parsed_alarm({"AlarmName": None, "NewStateValue": None})
    assert alarm == AlarmNotice(
        name="unknown", description="", state="unknown", previous_state="unknown", reason="", at="", region=""
    )


def test_an_alarm_redriven_from_the_dlq_is_the_same_alarm() -> None:
    alarm = parsed_alarm(ALARM)
    assert parse_notification(json.dumps(alarm.to_dict())) == alarm


def test_an_alarm_redriven_with_nothing_known() -> None:
    assert parsed_alarm({"type": "ALARM", "alarm": "", "description": None}) == AlarmNotice(
        name="unknown", description="", state="unknown", previous_state="unknown", reason="", at="", region=""
    )


@pytest.mark.parametrize("field", ["AlarmName", "NewStateValue"])
def test_a_message_with_half_an_alarms_fields_is_no_alarm(field: str) -> None:
    alert = parsed_alert({field: "x", "orderId": "ord_1"})
    assert (alert.kind, alert.order_id) == (ORDER_FAILED, "ord_1")


# Resolutions.


def test_a_resolution_as_published_and_parsed() -> None:
    published = resolution("ord_1", "FULFILLED", "2026-01-02T05:00:00Z", "rerun succeeded", "corr-1")
    assert published == {
        "type": "ORDER_RESOLVED",
        "alertId": "resolved|ord_1|2026-01-02T05:00:00Z",
        "orderId": "ord_1",
        "status": "FULFILLED",
        "reason": "rerun succeeded",
        "correlationId": "corr-1",
        "at": "2026-01-02T05:00:00Z",
    }
    resolved = parsed_resolution(published)
    assert resolved == Resolution("ord_1", "FULFILLED", "2026-01-02T05:00:00Z", "rerun succeeded", "corr-1")
    assert resolved.to_dict() == published
    assert resolved.to_log() == {
        "alert_order_id": "ord_1",
        "status": "FULFILLED",
        "reason": "rerun succeeded",
        "resolved_at": "2026-01-02T05:00:00Z",
    }
    assert (resolved.severity, resolved.failed_state, resolved.error) == (INFO, "FULFILLED", "")
    assert resolved.fingerprint == "resolved|ord_1|2026-01-02T05:00:00Z"


def test_a_resolution_without_a_correlation_id() -> None:
    assert resolution("ord_1", "FULFILLED", "t", "")["correlationId"] == ""


def test_a_resolution_with_nothing_known() -> None:
    assert parsed_resolution({"type": ORDER_RESOLVED, "orderId": None}) == Resolution(
        order_id="unknown", status="unknown", at="", reason="", correlation_id=""
    )


def test_a_resolutions_text_names_its_reason_only_when_it_has_one() -> None:
    assert Resolution("ord_1", "FULFILLED", "t", "operator: refunded").text == (
        "Resolved: order ord_1 is FULFILLED (operator: refunded)"
    )
    assert Resolution("ord_1", "FULFILLED", "t").text == "Resolved: order ord_1 is FULFILLED"


# What the topic may carry.


@pytest.mark.parametrize("message", ["[]", '"text"', "3", "null"])
def test_an_alert_that_is_no_json_object_is_refused(message: str) -> None:
    with pytest.raises(ValueError, match=r"^an alert must be a JSON object$"):
        parse_notification(message)


def test_an_alert_that_is_no_json_is_refused() -> None:
    with pytest.raises(json.JSONDecodeError):
        parse_notification("not json")


# What targets show.


def test_readable_cause_shows_a_lambda_errors_message() -> None:
    document = {"errorType": "ValueError", "errorMessage": "bad total", "stackTrace": ["  File ..."]}
    assert readable_cause(json.dumps(document)) == "bad total"
    assert readable_cause(json.dumps({"errorMessage": 42})) == "42"


@pytest.mark.parametrize(
    ("cause", "shown"),
    [
        (None, ""),
        ("", ""),
        ("Task timed out after 30.00 seconds", "Task timed out after 30.00 seconds"),
        ('{"errorType": "X"}', '{"errorType": "X"}'),
        ('["errorMessage"]', '["errorMessage"]'),
        ("12", "12"),
        (12, "12"),
        ('{"errorMessage": null}', '{"errorMessage": null}'),
    ],
)
def test_readable_cause_shows_any_other_cause_as_it_is(cause: Any, shown: str) -> None:
    assert readable_cause(cause) == shown


def test_plain_text_is_one_line() -> None:
    assert plain("  Order ord_1\nfailed \t at  X ") == "Order ord_1 failed at X"


def test_plain_text_fits_a_header_of_150_characters() -> None:
    assert plain("x" * 150) == "x" * 150
    assert plain("x" * 151) == "x" * 149 + "…"
    assert len(plain("y" * 1000)) == 150


def test_plain_text_fits_a_given_limit() -> None:
    assert plain("abcdef", 6) == "abcdef"
    assert plain("abcdefg", 6) == "abcde…"
    assert plain("a  b  c", 5) == "a b c"  # the limit counts the text as shown, spaces collapsed


def test_execution_link_to_the_aws_console() -> None:
    assert execution_link(STANDARD_ARN, None) == (
        "https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/"
        "arn:aws:states:eu-west-1:111122223333:execution:orderflow-orders:ord_1"
    )
    assert execution_link(STANDARD_ARN, "") == execution_link(STANDARD_ARN, None)


def test_execution_link_quotes_the_arn_but_its_colons() -> None:
    arn = "arn:aws:states:eu-west-1:1:execution:sm:ord 1/x?y"
    assert execution_link(arn, "{region}|{arn}") == "eu-west-1|arn:aws:states:eu-west-1:1:execution:sm:ord%201%2Fx%3Fy"


def test_execution_link_through_a_template() -> None:
    template = "https://console.example.invalid/{region}/executions/{arn}"
    assert execution_link(EXPRESS_ARN, template) == (
        "https://console.example.invalid/eu-central-1/executions/"
        "arn:aws:states:eu-central-1:111122223333:express:orderflow-orders:ord_1:1f2e"
    )


def test_execution_link_without_a_region_defaults_to_us_east_1() -> None:
    assert execution_link("ord_1", "{region}|{arn}") == "us-east-1|ord_1"


def test_no_execution_no_link() -> None:
    assert execution_link("", None) == ""
    assert execution_link("", "https://example.invalid/{arn}") == ""
