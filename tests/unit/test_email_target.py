"""The e-mail alert target: what each notification reads like (handlers.domain.alert_email), how SES's answers
become the delivery's errors, and which configurations it refuses (handlers.adapters.alert_targets.email)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from handlers.adapters.alert_targets import TargetConfig
from handlers.adapters.alert_targets.email import EmailTarget, build, problem
from handlers.domain.alert_email import MAX_SUBJECT, notification_email, storm_email
from handlers.domain.alerts import AlarmNotice, Alert, Notification, Resolution, parse_notification
from handlers.domain.errors import AlertDeliveryError, AlertRefused
from handlers.services.alert_delivery import AlertDelivery

EQUIVALENT_MUTANTS: dict[str, str] = {
    "handlers.domain.alert_email.x_render_text__mutmut_20": (
        "max(..., default=1): the default applies only when no row has a value, and then no row uses the width"
    ),
}

ARN = "arn:aws:states:eu-west-1:123456789012:execution:orderflow-orders:ord_1"
CONSOLE = "http://127.0.0.1:8080/executions/{arn}"


def failed(
    order_id: str = "ord_1",
    error: str = "OrderStoreUnavailable",
    cause: str = "DynamoDB throttled the write",
    state: str = "CreateOrder",
) -> Alert:
    return Alert(
        order_id=order_id,
        failed_state=state,
        error=error,
        cause=cause,
        execution_arn=ARN,
        correlation_id="corr-1",
        at="2026-11-26T12:00:00Z",
        total="25.00",
        currency="EUR",
    )


def stuck() -> Alert:
    data = {
        "type": "ORDER_STUCK",
        "orderId": "ord_2",
        "failedState": "CREATED",
        "error": "OrderStuck",
        "cause": "accepted 2026-11-26T11:00:00Z, still CREATED after 60 minutes",
        "executionArn": ARN,
        "correlationId": "corr-2",
        "at": "2026-11-26T12:00:00Z",
    }
    alert = parse_notification(json.dumps(data))
    assert isinstance(alert, Alert)
    return alert


def alarm(state: str = "ALARM") -> AlarmNotice:
    return AlarmNotice(
        name="orderflow-OrderDlqNotEmptyAlarm",
        description="orders are parked in the order DLQ",
        state=state,
        previous_state="OK" if state == "ALARM" else "ALARM",
        reason="Threshold Crossed: 1 datapoint [3.0] was >= 1.0",
        at="2026-11-26T12:00:00.000+0000",
        region="EU (Ireland)",
    )


# What each notification reads like


def test_a_system_failure_names_order_step_and_reason_and_how_to_rerun_it() -> None:
    message = notification_email(failed(), CONSOLE)
    assert message.subject == "Order ord_1 failed at CreateOrder: DynamoDB throttled the write"
    link = f"http://127.0.0.1:8080/executions/{ARN}"
    for body in (message.text, message.html):
        for shown in ("ord_1", "CreateOrder", "OrderStoreUnavailable", "DynamoDB throttled the write", "corr-1"):
            assert shown in body
        assert "orderflow rerun ord_1 --target aws" in body
        assert link in body
        assert "submit a corrected order" not in body.lower()
    assert f'<a href="{link}">' in message.html


def test_a_business_failure_asks_for_a_corrected_order_not_a_rerun() -> None:
    alert = failed(error="OrderValidationError", cause="currency: QQQ is not an ISO 4217 currency code", state="V")
    message = notification_email(alert, None)
    assert message.subject == "Order ord_1 failed at V: currency: QQQ is not an ISO 4217 currency code"
    for body in (message.text, message.html):
        assert "orderflow rerun" not in body
        assert "Submit a corrected order" in body
        # No link template: the AWS console's page of the execution.
        assert "https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1" in body


def test_the_subject_is_one_line_of_at_most_200_characters() -> None:
    # The cause's first line is the reason: no line break reaches the header (no injected "Bcc:").
    message = notification_email(failed(cause="first line\r\nBcc: someone@example.com\n  at frame"), None)
    assert message.subject == "Order ord_1 failed at CreateOrder: first line"
    long = notification_email(failed(cause="\n\t" + "x\x00" * 300), None)
    assert "\x00" not in long.subject
    assert len(long.subject) == MAX_SUBJECT
    assert long.subject.startswith("Order ord_1 failed at CreateOrder: x x")
    assert long.subject.endswith("…")
    # Without a cause, the error names the reason.
    assert (
        notification_email(failed(cause=""), None).subject == "Order ord_1 failed at CreateOrder: OrderStoreUnavailable"
    )


def test_a_stuck_order_names_its_status_and_is_not_offered_a_rerun() -> None:
    message = notification_email(stuck(), None)
    assert message.subject == "Order ord_2 stuck in CREATED"
    for body in (message.text, message.html):
        assert "still CREATED after 60 minutes" in body
        assert "corr-2" in body
        assert "orderflow rerun ord_2" not in body


def test_a_resolution() -> None:
    message = notification_email(Resolution("ord_3", "FULFILLED", "2026-11-26T13:00:00Z", "rerun", "corr-3"), None)
    assert message.subject == "Resolved: order ord_3 is FULFILLED"
    assert "rerun" in message.text
    assert "corr-3" in message.html


def test_an_alarm_and_its_recovery() -> None:
    raised, cleared = notification_email(alarm("ALARM"), None), notification_email(alarm("OK"), None)
    assert raised.subject == "ALARM: orderflow-OrderDlqNotEmptyAlarm"
    assert cleared.subject == "OK: orderflow-OrderDlqNotEmptyAlarm"
    assert "Threshold Crossed" in raised.text
    assert "orders are parked in the order DLQ" in raised.html
    assert "was OK" in raised.text


def test_a_storm_is_one_e_mail_grouped_by_step_and_error() -> None:
    storm: list[Notification] = [
        *(failed(f"ord_s{i}") for i in range(3)),
        *(failed(f"ord_v{i}", error="OrderValidationError", cause="bad", state="ValidateOrder") for i in range(2)),
        alarm(),
        Resolution("ord_r", "FULFILLED", "t"),
    ]
    message = storm_email(storm, None)
    assert message.subject == "Alert storm: 5 orders failed, 1 alarms"
    for body in (message.text, message.html):
        assert all(f"ord_s{i}" in body for i in range(3))
        assert "3 failed at CreateOrder (OrderStoreUnavailable)" in body
        assert "2 failed at ValidateOrder (OrderValidationError)" in body
        assert "orderflow rerun ord_s0 --target aws" in body
        assert "orderflow rerun ord_v" not in body  # business failures are not rerun
        assert "orderflow-OrderDlqNotEmptyAlarm is ALARM" in body
        assert "1 resolved: ord_r" in body


def test_html_escapes_every_value() -> None:
    alert = failed(
        order_id='ord_"><img src=x onerror=alert(1)>',
        cause="<script>alert('x')</script> & more",
        state="<b>CreateOrder</b>",
    )
    message = notification_email(alert, None)
    assert "<script>" not in message.html
    assert "<img" not in message.html
    assert "<b>" not in message.html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; more" in message.html
    # The command is shell-quoted, then escaped: copied from the e-mail it reruns that order and nothing else.
    assert "orderflow rerun &#x27;ord_&quot;&gt;&lt;img src=x onerror=alert(1)&gt;&#x27; --target aws" in message.html
    assert "<script>" in message.text  # plain text is inert as it is
    storm = storm_email([alert, failed("ord_2", cause="<script>")], None)
    assert "<script>" not in storm.html
    assert "<img" not in storm.html


def test_only_http_links_are_linked() -> None:
    message = notification_email(failed(), "javascript:alert('{arn}')")
    assert "javascript:" not in message.html
    assert "javascript:" not in message.text


def test_the_body_carries_only_what_the_alert_carries() -> None:
    """An alert never carries the customer's contact or shipping details; the e-mail adds none."""
    message = notification_email(failed(), None)
    shown = message.text + message.html
    assert "@" not in shown
    for personal in ("customer", "address", "shipping", "email"):
        assert personal not in shown.lower()


# Sending through SES


class FakeSes:
    """SESv2's send_email: records each request; raises what it is told to, once."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.fail_with: Exception | None = None

    def send_email(self, **kwargs: Any) -> Mapping[str, Any]:
        if self.fail_with is not None:
            error, self.fail_with = self.fail_with, None
            raise error
        self.sent.append(kwargs)
        return {"MessageId": f"m-{len(self.sent)}"}


def ses_error(code: str, status: int, message: str = "") -> ClientError:
    return ClientError(
        cast(Any, {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}),
        "SendEmail",
    )


def target(ses: FakeSes) -> EmailTarget:
    return EmailTarget(ses, "alerts@example.com", ("oncall@example.com", "team@example.org"), None)


@pytest.fixture
def logged() -> Iterator[list[logging.LogRecord]]:
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            records.append(record)

    keep = Keep(level=logging.INFO)
    logger = logging.getLogger("orderflow")
    logger.addHandler(keep)
    yield records
    logger.removeHandler(keep)


def test_post_sends_one_e_mail_with_text_and_html_and_logs_it(logged: list[logging.LogRecord]) -> None:
    ses = FakeSes()
    target(ses).post(failed())
    (sent,) = ses.sent
    assert sent["FromEmailAddress"] == "alerts@example.com"
    assert sent["Destination"] == {"ToAddresses": ["oncall@example.com", "team@example.org"]}
    simple = sent["Content"]["Simple"]
    assert simple["Subject"]["Data"] == "Order ord_1 failed at CreateOrder: DynamoDB throttled the write"
    assert "orderflow rerun ord_1" in simple["Body"]["Text"]["Data"]
    assert simple["Body"]["Html"]["Data"].startswith("<!DOCTYPE html>")
    (line,) = [r for r in logged if r.getMessage() == "alert e-mailed"]
    assert line.levelno == logging.INFO
    assert line.__dict__["subject"] == simple["Subject"]["Data"]
    assert line.__dict__["recipients"] == 2


def test_post_summary_sends_one_e_mail_for_the_storm() -> None:
    ses = FakeSes()
    target(ses).post_summary([failed(f"ord_{i}") for i in range(5)])
    (sent,) = ses.sent
    assert sent["Content"]["Simple"]["Subject"]["Data"] == "Alert storm: 5 orders failed"


@pytest.mark.parametrize(
    "error",
    [
        ses_error("TooManyRequestsException", 429, "Maximum sending rate exceeded."),
        ses_error("Throttling", 400, "Maximum sending rate exceeded."),
        ses_error("InternalFailure", 500),
        ses_error("ServiceUnavailable", 503),
        EndpointConnectionError(endpoint_url="https://email.eu-west-1.amazonaws.com"),
        ReadTimeoutError(endpoint_url="https://email.eu-west-1.amazonaws.com"),
    ],
)
def test_throttling_5xx_and_no_connection_are_retried(error: Exception) -> None:
    ses = FakeSes()
    ses.fail_with = error
    with pytest.raises(AlertDeliveryError):
        target(ses).post(failed())
    assert ses.sent == []


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("MessageRejected", "Email address is not verified. The following identities failed the check: a@x.com"),
        ("MailFromDomainNotVerifiedException", "MAIL FROM domain is not verified"),
        ("SendingPausedException", "sending is paused for this account"),
        ("AccessDeniedException", "not authorized to perform ses:SendEmail"),
    ],
)
def test_refusals_for_good_are_refused_with_ses_s_reason(code: str, message: str) -> None:
    ses = FakeSes()
    ses.fail_with = ses_error(code, 400 if code != "AccessDeniedException" else 403, message)
    with pytest.raises(AlertRefused) as refused:
        target(ses).post(failed())
    assert code in str(refused.value)
    assert message.split(":", maxsplit=1)[0] in str(refused.value)


def test_a_refusal_names_the_sender_but_not_the_recipients() -> None:
    ses = FakeSes()
    ses.fail_with = ses_error(
        "MessageRejected",
        400,
        "identities failed the check: oncall@example.com, arn:aws:ses:eu-west-1:1:identity/alerts@example.com",
    )
    with pytest.raises(AlertRefused) as refused:
        target(ses).post(failed())
    assert "oncall@" not in str(refused.value)
    assert "…@example.com" in str(refused.value)
    assert "identity/alerts@example.com" in str(refused.value)


class MemoryLog:
    """The alert log's contract: one claim per alert and target, released unless delivered."""

    def __init__(self) -> None:
        self.held: dict[tuple[str, str], str] = {}

    def claim(self, fingerprint: str, target: str, now: datetime) -> bool:
        if (fingerprint, target) in self.held:
            return False
        self.held[fingerprint, target] = "CLAIMED"
        return True

    def delivered(self, fingerprints: Iterable[str], target: str, now: datetime) -> None:
        for fingerprint in fingerprints:
            self.held[fingerprint, target] = "DELIVERED"

    def release(self, fingerprints: Iterable[str], target: str) -> None:
        for fingerprint in fingerprints:
            if self.held.get((fingerprint, target)) == "CLAIMED":
                del self.held[fingerprint, target]


class Parking:
    def __init__(self) -> None:
        self.parked: list[tuple[str, str, str]] = []

    def park(self, notification: Notification, target: str, reason: str) -> None:
        self.parked.append((notification.fingerprint, target, reason))


def test_through_the_delivery_a_refused_e_mail_is_parked_at_once_and_a_throttled_one_retried() -> None:
    ses, parking = FakeSes(), Parking()
    email = target(ses)
    delivery = AlertDelivery(MemoryLog(), lambda: [email], lambda: datetime(2026, 1, 1, tzinfo=UTC), parking=parking)
    ses.fail_with = ses_error("MessageRejected", 400, "Email address is not verified.")
    assert delivery.deliver([("m1", failed("ord_a"))], lambda: 600_000) == set()
    ((_, parked_for, reason),) = parking.parked
    assert parked_for == "email"
    assert "MessageRejected" in reason
    ses.fail_with = ses_error("TooManyRequestsException", 429)
    assert delivery.deliver([("m2", failed("ord_b"))], lambda: 600_000) == {"m2"}  # SQS redelivers it
    assert delivery.deliver([("m2", failed("ord_b"))], lambda: 600_000) == set()
    assert len(ses.sent) == 1


# Building and checking the configuration


def config(settings: dict[str, str]) -> TargetConfig:
    return TargetConfig(settings=settings.get, max_attempts=2, timeout=7.0, link_template=CONSOLE)


def test_build_reads_the_settings_and_bounds_the_client(monkeypatch: pytest.MonkeyPatch) -> None:
    # Credentials of no one: making a client resolves them, and without any it would ask the instance metadata.
    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing")):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.delenv("AWS_REGION", raising=False)
    built = build(
        config({"ALERT_EMAIL_FROM": " alerts@example.com ", "ALERT_EMAIL_TO": "a@example.com, b@example.com,"})
    )
    assert built.name == "email"
    assert built.sender == "alerts@example.com"
    assert built.recipients == ("a@example.com", "b@example.com")
    assert built.link_template == CONSOLE
    client: Any = built.ses
    assert client.meta.service_model.service_name == "sesv2"
    assert client.meta.region_name == "eu-west-1"
    assert client.meta.config.read_timeout == 7.0
    assert client.meta.config.connect_timeout == 5.0
    assert client.meta.config.retries["total_max_attempts"] == 2
    # Targets are built for every batch; the client is made once per limits and region.
    again = build(config({"ALERT_EMAIL_FROM": "alerts@example.com", "ALERT_EMAIL_TO": "a@example.com"}))
    assert again.ses is built.ses


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"ALERT_EMAIL_TO": "oncall@example.com"}, "ALERT_EMAIL_FROM is not set"),
        ({"ALERT_EMAIL_FROM": "alerts", "ALERT_EMAIL_TO": "oncall@example.com"}, "ALERT_EMAIL_FROM is 'alerts', not"),
        (
            {"ALERT_EMAIL_FROM": "Alerts <alerts@example.com>", "ALERT_EMAIL_TO": "oncall@example.com"},
            "not a bare e-mail address",
        ),
        ({"ALERT_EMAIL_FROM": "alerts@example.com"}, "ALERT_EMAIL_TO lists no recipient"),
        ({"ALERT_EMAIL_FROM": "alerts@example.com", "ALERT_EMAIL_TO": " , "}, "ALERT_EMAIL_TO lists no recipient"),
        (
            {"ALERT_EMAIL_FROM": "alerts@example.com", "ALERT_EMAIL_TO": "a@example.com,secret-person@nowhere"},
            "ALERT_EMAIL_TO: recipient 2 of 2 is not",
        ),
        (
            {"ALERT_EMAIL_FROM": "alerts@example.com", "ALERT_EMAIL_TO": "secret-person, a@example.com, @x.com"},
            "ALERT_EMAIL_TO: recipients 1, 3 of 3 are not",
        ),
        (
            {
                "ALERT_EMAIL_FROM": "alerts@example.com",
                "ALERT_EMAIL_TO": ",".join(f"p{i}@example.com" for i in range(51)),
            },
            "lists 51 recipients",
        ),
    ],
)
def test_problem_says_what_is_wrong(settings: dict[str, str], expected: str) -> None:
    found = problem(config(settings))
    assert found is not None
    assert expected in found
    assert "secret-person" not in found  # recipients are named by position, never echoed into the logs


def test_problem_none_when_sender_and_recipients_are_addresses() -> None:
    settings = {"ALERT_EMAIL_FROM": "alerts@mail.example.com", "ALERT_EMAIL_TO": "oncall@example.com, b+ops@ex.org"}
    assert problem(config(settings)) is None


# Whole messages, exactly as they are sent

ROW = (
    '<tr><th align="left" valign="top" style="padding:2px 12px 2px 0">{}</th>'
    '<td style="padding:2px 0;white-space:pre-wrap"><code>{}</code></td></tr>'
)
TABLE = '<table cellspacing="0" cellpadding="0">{}</table>'
PAGE = '<!DOCTYPE html>\n<html><body style="font-family:sans-serif">\n{}\n</body></html>\n'
TRACE = "DynamoDB throttled the write\n  at frame 1\n  at frame 2"
LINK = f"http://127.0.0.1:8080/executions/{ARN}"
AWS_LINK = f"https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/{ARN}"


def order(order_id: str, state: str = "CreateOrder", error: str = "OrderStoreUnavailable", **fields: str) -> Alert:
    """A bare alert: no link, no total, no correlation id unless given."""
    given: dict[str, str] = {"cause": "c", "execution_arn": "", "correlation_id": "", "at": "", **fields}
    return Alert(order_id=order_id, failed_state=state, error=error, **given)


def test_a_system_failure_reads_exactly_so() -> None:
    message = notification_email(failed(cause=TRACE), CONSOLE)
    assert message.subject == "Order ord_1 failed at CreateOrder: DynamoDB throttled the write"
    assert message.text == (
        "Order ord_1 failed at CreateOrder\n"
        "=================================\n"
        "\n"
        "Order:          ord_1\n"
        "Step:           CreateOrder\n"
        "Error:          OrderStoreUnavailable\n"
        "Reason:         DynamoDB throttled the write\n"
        "                  at frame 1\n"
        "                  at frame 2\n"
        "Correlation id: corr-1\n"
        "When:           2026-11-26T12:00:00Z\n"
        "Total:          25.00 EUR\n"
        "Severity:       critical\n"
        "\n"
        "Once the cause is fixed, run the order again:\n"
        "\n"
        "    orderflow rerun ord_1 --target aws\n"
        "\n"
        f"Open the execution: {LINK}\n"
    )
    rows = [
        ("Order", "ord_1"),
        ("Step", "CreateOrder"),
        ("Error", "OrderStoreUnavailable"),
        ("Reason", TRACE),
        ("Correlation id", "corr-1"),
        ("When", "2026-11-26T12:00:00Z"),
        ("Total", "25.00 EUR"),
        ("Severity", "critical"),
    ]
    assert message.html == PAGE.format(
        "<h2>Order ord_1 failed at CreateOrder</h2>\n"
        + TABLE.format("".join(ROW.format(*row) for row in rows))
        + "\n<p>Once the cause is fixed, run the order again:</p>\n"
        "<pre><code>orderflow rerun ord_1 --target aws</code></pre>\n"
        f'<p><a href="{LINK}">Open the execution</a></p>'
    )


def test_a_stuck_order_reads_exactly_so() -> None:
    message = notification_email(stuck(), None)
    assert message.subject == "Order ord_2 stuck in CREATED"
    next_step = (
        "The order has not failed: nothing moved it on from CREATED. Open its execution to see where it waits; "
        "once it has FAILED it can be run again with `orderflow rerun`."
    )
    assert message.text == (
        "Order ord_2 stuck in CREATED\n"
        "============================\n"
        "\n"
        "Order:          ord_2\n"
        "Status:         CREATED\n"
        "Error:          OrderStuck\n"
        "Reason:         accepted 2026-11-26T11:00:00Z, still CREATED after 60 minutes\n"
        "Correlation id: corr-2\n"
        "When:           2026-11-26T12:00:00Z\n"
        "Severity:       error\n"
        "\n"
        f"{next_step}\n"
        "\n"
        f"Open the execution: {AWS_LINK}\n"
    )
    assert f"<p>{next_step}</p>" in message.html
    assert ROW.format("Status", "CREATED") in message.html
    assert ">Total<" not in message.html  # a stuck order's total is unknown: no row


def test_a_business_failure_reads_exactly_so() -> None:
    message = notification_email(failed(error="OrderValidationError", cause="", state="ValidateOrder"), None)
    assert message.subject == "Order ord_1 failed at ValidateOrder: OrderValidationError"
    next_step = (
        "OrderValidationError is a business failure: the order's input or state is the cause, so running it again "
        "cannot help. Submit a corrected order (with a new Idempotency-Key)."
    )
    assert message.text == (
        "Order ord_1 failed at ValidateOrder\n"
        "===================================\n"
        "\n"
        "Order:          ord_1\n"
        "Step:           ValidateOrder\n"
        "Error:          OrderValidationError\n"
        "Correlation id: corr-1\n"
        "When:           2026-11-26T12:00:00Z\n"
        "Total:          25.00 EUR\n"
        "Severity:       warning\n"
        "\n"
        f"{next_step}\n"
        "\n"
        f"Open the execution: {AWS_LINK}\n"
    )
    escaped = next_step.replace("'", "&#x27;")
    assert f"<p>{escaped}</p>" in message.html


def test_an_alarm_reads_exactly_so() -> None:
    message = notification_email(alarm(), None)
    assert message.subject == "ALARM: orderflow-OrderDlqNotEmptyAlarm"
    assert message.text == (
        "ALARM: orderflow-OrderDlqNotEmptyAlarm\n"
        "======================================\n"
        "\n"
        "Alarm:       orderflow-OrderDlqNotEmptyAlarm\n"
        "State:       ALARM (was OK)\n"
        "Description: orders are parked in the order DLQ\n"
        "Reason:      Threshold Crossed: 1 datapoint [3.0] was >= 1.0\n"
        "When:        2026-11-26T12:00:00.000+0000\n"
        "Region:      EU (Ireland)\n"
    )
    rows = [
        ("Alarm", "orderflow-OrderDlqNotEmptyAlarm"),
        ("State", "ALARM (was OK)"),
        ("Description", "orders are parked in the order DLQ"),
        ("Reason", "Threshold Crossed: 1 datapoint [3.0] was &gt;= 1.0"),
        ("When", "2026-11-26T12:00:00.000+0000"),
        ("Region", "EU (Ireland)"),
    ]
    assert message.html == PAGE.format(
        "<h2>ALARM: orderflow-OrderDlqNotEmptyAlarm</h2>\n" + TABLE.format("".join(ROW.format(*r) for r in rows))
    )


def test_a_resolution_reads_exactly_so_its_labels_aligned_to_the_rows_shown() -> None:
    message = notification_email(Resolution("ord_3", "FULFILLED", "2026-11-26T13:00:00Z"), None)
    assert message.subject == "Resolved: order ord_3 is FULFILLED"
    # No reason, no correlation id: their rows are left out, and the labels aligned to "Status:".
    assert message.text == (
        "Resolved: order ord_3 is FULFILLED\n"
        "==================================\n"
        "\n"
        "Order:  ord_3\n"
        "Status: FULFILLED\n"
        "When:   2026-11-26T13:00:00Z\n"
        "\n"
        "Its incident is over: nothing to do.\n"
    )
    rows = [("Order", "ord_3"), ("Status", "FULFILLED"), ("When", "2026-11-26T13:00:00Z")]
    assert message.html == PAGE.format(
        "<h2>Resolved: order ord_3 is FULFILLED</h2>\n"
        + TABLE.format("".join(ROW.format(*r) for r in rows))
        + "\n<p>Its incident is over: nothing to do.</p>"
    )
    full = notification_email(Resolution("ord_3", "FULFILLED", "t", "rerun by ops", "corr-3"), None)
    assert "Reason:         rerun by ops\nCorrelation id: corr-3\n" in full.text


def test_a_storm_reads_exactly_so_largest_group_first() -> None:
    storm: list[Notification] = [
        order("ord_b0", "ValidateOrder", "OrderValidationError"),
        order("ord_s0"),
        order("ord_s1", execution_arn=ARN),  # the first with an execution: the storm's link
        order("ord_s2"),
        order("ord_k0", "CREATED", "OrderStuck", kind="ORDER_STUCK"),
        alarm(),
        alarm("OK"),
        Resolution("ord_r0", "FULFILLED", "t"),
        Resolution("ord_r1", "FAILED", "t"),
    ]
    message = storm_email(storm, CONSOLE)
    assert message.subject == "Alert storm: 5 orders failed, 2 alarms"
    assert message.text == (
        "Alert storm: 5 orders failed, 2 alarms\n"
        "======================================\n"
        "\n"
        "3 failed at CreateOrder (OrderStoreUnavailable): ord_s0, ord_s1, ord_s2\n"
        "\n"
        "Once the cause is fixed, run each again, e.g.:\n"
        "\n"
        "    orderflow rerun ord_s0 --target aws\n"
        "\n"
        "1 failed at ValidateOrder (OrderValidationError): ord_b0\n"
        "\n"
        "A business failure: running them again cannot help; submit corrected orders.\n"
        "\n"
        "1 stuck in CREATED (OrderStuck): ord_k0\n"
        "\n"
        "Not failed: open their executions to see where they wait.\n"
        "\n"
        "- alarm orderflow-OrderDlqNotEmptyAlarm is ALARM\n"
        "- alarm orderflow-OrderDlqNotEmptyAlarm is OK\n"
        "\n"
        "2 resolved: ord_r0, ord_r1\n"
        "\n"
        f"One of them: order ord_s1's execution: {LINK}\n"
    )
    assert message.html == PAGE.format(
        "<h2>Alert storm: 5 orders failed, 2 alarms</h2>\n"
        "<p>3 failed at CreateOrder (OrderStoreUnavailable): ord_s0, ord_s1, ord_s2</p>\n"
        "<p>Once the cause is fixed, run each again, e.g.:</p>\n"
        "<pre><code>orderflow rerun ord_s0 --target aws</code></pre>\n"
        "<p>1 failed at ValidateOrder (OrderValidationError): ord_b0</p>\n"
        "<p>A business failure: running them again cannot help; submit corrected orders.</p>\n"
        "<p>1 stuck in CREATED (OrderStuck): ord_k0</p>\n"
        "<p>Not failed: open their executions to see where they wait.</p>\n"
        "<ul><li>alarm orderflow-OrderDlqNotEmptyAlarm is ALARM</li>"
        "<li>alarm orderflow-OrderDlqNotEmptyAlarm is OK</li></ul>\n"
        "<p>2 resolved: ord_r0, ord_r1</p>\n"
        f'<p><a href="{LINK}">One of them: order ord_s1&#x27;s execution</a></p>'
    )


def test_a_storm_without_alarms_resolutions_or_executions_is_only_its_groups() -> None:
    message = storm_email([order("ord_1"), order("ord_2")], CONSOLE)
    assert message.subject == "Alert storm: 2 orders failed"
    assert message.text == (
        "Alert storm: 2 orders failed\n"
        "============================\n"
        "\n"
        "2 failed at CreateOrder (OrderStoreUnavailable): ord_1, ord_2\n"
        "\n"
        "Once the cause is fixed, run each again, e.g.:\n"
        "\n"
        "    orderflow rerun ord_1 --target aws\n"
    )


def test_a_storm_lists_20_orders_of_a_group_and_counts_the_rest() -> None:
    twenty = storm_email([order(f"o{i}") for i in range(20)], None)
    assert f"20 failed at CreateOrder (OrderStoreUnavailable): {', '.join(f'o{i}' for i in range(20))}\n" in twenty.text
    more = storm_email([order(f"o{i}") for i in range(23)], None)
    listed = ", ".join(f"o{i}" for i in range(20))
    assert f"23 failed at CreateOrder (OrderStoreUnavailable): {listed} and 3 more\n" in more.text
    resolved = storm_email([Resolution(f"r{i}", "FULFILLED", "t") for i in range(21)], None)
    assert resolved.subject == "Alert storm: 0 orders failed"
    assert f"21 resolved: {', '.join(f'r{i}' for i in range(20))} and 1 more\n" in resolved.text


def test_the_subject_and_heading_are_cut_at_200_characters_exactly() -> None:
    prefix = "Order ord_1 failed at CreateOrder: "
    exact = notification_email(failed(cause="r" * (MAX_SUBJECT - len(prefix))), None)
    assert exact.subject == prefix + "r" * (MAX_SUBJECT - len(prefix))  # 200: shown whole
    over = notification_email(failed(cause="r" * (MAX_SUBJECT - len(prefix) + 1)), None)
    assert over.subject == prefix + "r" * (MAX_SUBJECT - len(prefix) - 1) + "…"
    assert len(over.subject) == MAX_SUBJECT
    # The heading too is one line of at most 200 characters; its underline at most 72.
    long_state = "S" * 300
    text = notification_email(failed(state=long_state), None).text
    heading, underline = text.split("\n")[:2]
    assert heading == "Order ord_1 failed at " + "S" * (MAX_SUBJECT - len("Order ord_1 failed at ") - 1) + "…"
    assert underline == "=" * 72
    multi = notification_email(failed(order_id="ord\n1"), None).text
    assert multi.startswith("Order ord 1 failed at CreateOrder\n=================================\n")


def test_control_characters_and_line_separators_become_spaces_in_the_subject_and_heading() -> None:
    message = notification_email(failed(cause="", state="a\u2028b\u2029c\x1bd\x7fe  \t f\r\ng"), None)
    assert message.subject == "Order ord_1 failed at a b c d e f g: OrderStoreUnavailable"
    assert message.text.startswith("Order ord_1 failed at a b c d e f g\n")
    # Only blank lines before the reason: its first line with text; none at all: the error.
    assert notification_email(failed(cause=" \n\t\nfirst\nsecond"), None).subject.endswith(": first")
    assert notification_email(failed(cause="  \n \n"), None).subject.endswith(": OrderStoreUnavailable")


def test_a_long_cause_is_shown_up_to_4000_characters() -> None:
    exact = notification_email(failed(cause="x" * 4000), None)
    assert "Reason:         " + "x" * 4000 + "\n" in exact.text
    longer = notification_email(failed(cause="x" * 4001), None)
    assert "Reason:         " + "x" * 4000 + "…\n" in longer.text
    assert "<code>" + "x" * 4000 + "…</code>" in longer.html
    alarm_reason = notification_email(
        AlarmNotice("a", "", "ALARM", "OK", "y" * 4001, "", ""),
        None,
    )
    assert "Reason: " + "y" * 4000 + "…\n" in alarm_reason.text


def test_a_total_without_a_currency_and_no_total_at_all() -> None:
    no_currency = Alert("ord_1", "CreateOrder", "E", "c", "", "", "", total="25.00")
    assert "Total:    25.00\n" in notification_email(no_currency, None).text
    assert "Total" not in notification_email(order("ord_1"), None).text
    no_amount = Alert("ord_1", "CreateOrder", "E", "c", "", "", "", currency="EUR")
    assert "Total" not in notification_email(no_amount, None).text  # a currency alone is no total


def test_a_resolution_without_any_field_still_renders() -> None:
    message = notification_email(Resolution("", "", ""), None)
    assert message.subject == "Resolved: order is"
    assert message.text == "Resolved: order is\n==================\n\n\n\nIts incident is over: nothing to do.\n"


def test_a_storm_puts_its_largest_group_first_whatever_its_name() -> None:
    storm = storm_email([order("ord_c"), order("ord_v1", "ValidateOrder"), order("ord_v2", "ValidateOrder")], None)
    first, second = (line for line in storm.text.splitlines() if " failed at " in line)
    assert first == "2 failed at ValidateOrder (OrderStoreUnavailable): ord_v1, ord_v2"
    assert second == "1 failed at CreateOrder (OrderStoreUnavailable): ord_c"


def test_links_are_http_or_https_in_any_case_and_nothing_else() -> None:
    upper = notification_email(failed(), "HTTPS://console.example/{arn}")
    assert f"Open the execution: HTTPS://console.example/{ARN}\n" in upper.text
    assert f'<p><a href="HTTPS://console.example/{ARN}">Open the execution</a></p>' in upper.html
    plain = notification_email(failed(), "http://console.example/{arn}")
    assert f"Open the execution: http://console.example/{ARN}\n" in plain.text
    for template in ("javascript:alert('{arn}')", "data:text/html,{arn}", "ftp://console.example/{arn}"):
        refused = notification_email(failed(), template)
        assert "Open the execution" not in refused.text
        assert "Open the execution" not in refused.html
        assert refused.text.endswith("    orderflow rerun ord_1 --target aws\n")
    # No execution: no link.
    assert "Open the execution" not in notification_email(order("ord_1"), CONSOLE).text
