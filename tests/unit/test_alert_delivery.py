"""The AlertHandler's delivery policy (handlers.services.alert_delivery), with fakes for its ports: an in-memory
alert log, targets that record what they were sent, and a clock that also stands for the invocation's deadline."""

from __future__ import annotations

import dataclasses
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from handlers import observability
from handlers.domain.alert_routes import parse_routes
from handlers.domain.alerts import Alert, Notification, Resolution
from handlers.domain.errors import AlertDeliveryError, AlertRefused
from handlers.services.alert_delivery import AlertDelivery, AlertTarget

EQUIVALENT_MUTANTS: dict[str, str] = {
    "handlers.services.alert_delivery.xǁAlertDeliveryǁdeliver_to__mutmut_46": (
        "`refused = [...]` for `refused += [...]`: a storm is posted instead of single alerts, so refused is empty"
    ),
}

BUDGET_MS = 60_000


class FakeClock:
    """Time, and how much of the current invocation is left of it."""

    def __init__(self, left: timedelta = timedelta(minutes=3)) -> None:
        self.moment = datetime(2026, 1, 1, tzinfo=UTC)
        self.deadline = self.moment + left

    def now(self) -> datetime:
        return self.moment

    def remaining_ms(self) -> int:
        return int((self.deadline - self.moment) / timedelta(milliseconds=1))

    def advance(self, by: timedelta) -> None:
        self.moment += by

    def new_invocation(self, left: timedelta) -> None:
        self.deadline = self.moment + left


class FakeAlertLog:
    """The alert log's contract without DynamoDB: one claim per (fingerprint, target); a held claim or a delivery
    means a duplicate; releasing frees a claim, never a delivery."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], str] = {}
        self.unavailable = False
        self.marking_fails = False

    def claim(self, fingerprint: str, target: str, now: datetime) -> bool:
        if self.unavailable:
            raise AlertDeliveryError("the alert log is unavailable")
        if (target, fingerprint) in self.entries:
            return False
        self.entries[target, fingerprint] = "CLAIMED"
        return True

    def delivered(self, fingerprints: Iterable[str], target: str, now: datetime) -> None:
        if self.marking_fails:
            raise AlertDeliveryError("the alert log is unavailable")
        for fingerprint in fingerprints:
            self.entries[target, fingerprint] = "DELIVERED"

    def release(self, fingerprints: Iterable[str], target: str) -> None:
        for fingerprint in fingerprints:
            if self.entries.get((target, fingerprint)) == "CLAIMED":
                del self.entries[target, fingerprint]

    def with_status(self, status: str, target: str) -> set[str]:
        return {fingerprint for (t, fingerprint), s in self.entries.items() if t == target and s == status}


@dataclass
class FakeTarget:
    """Records every alert it took and how much time was left when each post started; a post takes `takes`."""

    name: str
    clock: FakeClock
    takes: timedelta = timedelta(seconds=1)
    refuses: set[str] = field(default_factory=set)  # order ids whose post fails
    posted: list[Notification] = field(default_factory=list)
    summaries: list[list[Notification]] = field(default_factory=list)
    started_with_ms: list[int] = field(default_factory=list)

    def post(self, notification: Notification) -> None:
        self._start()
        if isinstance(notification, Alert) and notification.order_id in self.refuses:
            raise AlertDeliveryError(f"{self.name} refused the alert: HTTP 500")
        self.posted.append(notification)

    def post_summary(self, notifications: list[Notification]) -> None:
        self._start()
        self.summaries.append(notifications)

    def _start(self) -> None:
        self.started_with_ms.append(self.clock.remaining_ms())
        self.clock.advance(self.takes)

    @property
    def orders(self) -> list[str]:
        return [n.order_id for n in self.posted if isinstance(n, Alert)]


def alert(order_id: str) -> Alert:
    return Alert(
        order_id=order_id,
        failed_state="ValidateOrder",
        error="OrderValidationError",
        cause="items[0].unitPrice: must have at most 4 decimal places",
        execution_arn=f"arn:aws:states:eu-west-1:111122223333:execution:orderflow-orders:{order_id}",
        correlation_id="c-1",
        at="2026-01-01T00:00:00.000Z",
    )


def batch_of(*order_ids: str) -> list[tuple[str, Notification]]:
    return [(f"m-{order_id}", alert(order_id)) for order_id in order_ids]


def delivery(log: FakeAlertLog, clock: FakeClock, *targets: AlertTarget, storm_threshold: int = 3) -> AlertDelivery:
    return AlertDelivery(
        log, lambda: list(targets), clock.now, storm_threshold=storm_threshold, post_budget_ms=BUDGET_MS
    )


# De-duplication


def test_an_alert_reaches_each_target_once_however_often_it_arrives() -> None:
    log, clock = FakeAlertLog(), FakeClock()
    slack, hook = FakeTarget("slack", clock), FakeTarget("webhook", clock)
    alerts = delivery(log, clock, slack, hook)

    assert alerts.deliver(batch_of("ord_1"), clock.remaining_ms) == set()
    # Published again (a retried publish, a redrive) under new message ids, and twice within one batch.
    again = [("m-again", alert("ord_1")), ("m-2", alert("ord_2")), ("m-2-twice", alert("ord_2"))]
    assert alerts.deliver(again, clock.remaining_ms) == set()  # duplicates are acknowledged, not retried

    assert slack.orders == hook.orders == ["ord_1", "ord_2"]
    assert log.with_status("DELIVERED", "slack") == {alert("ord_1").fingerprint, alert("ord_2").fingerprint}


def test_an_alert_another_invocation_is_delivering_is_left_to_it() -> None:
    log, clock = FakeAlertLog(), FakeClock()
    slack = FakeTarget("slack", clock)
    log.claim(alert("ord_1").fingerprint, "slack", clock.now())  # the other invocation's claim

    assert delivery(log, clock, slack).deliver(batch_of("ord_1"), clock.remaining_ms) == set()
    assert slack.posted == []


# Storms


def test_more_new_alerts_than_the_threshold_arrive_as_one_summary_per_target() -> None:
    log, clock = FakeAlertLog(), FakeClock()
    slack, hook = FakeTarget("slack", clock), FakeTarget("webhook", clock)
    batch = batch_of("ord_1", "ord_2", "ord_3", "ord_4")

    assert delivery(log, clock, slack, hook, storm_threshold=3).deliver(batch, clock.remaining_ms) == set()

    for target in (slack, hook):
        assert target.posted == []
        assert target.summaries == [[n for _, n in batch]]
        assert log.with_status("DELIVERED", target.name) == {n.fingerprint for _, n in batch}


def test_up_to_the_threshold_each_alert_is_posted_on_its_own() -> None:
    log, clock = FakeAlertLog(), FakeClock()
    slack = FakeTarget("slack", clock)

    assert delivery(log, clock, slack).deliver(batch_of("ord_1", "ord_2", "ord_3"), clock.remaining_ms) == set()
    assert slack.orders == ["ord_1", "ord_2", "ord_3"]
    assert slack.summaries == []


def test_only_new_alerts_count_towards_a_storm() -> None:
    log, clock = FakeAlertLog(), FakeClock()
    slack = FakeTarget("slack", clock)
    alerts = delivery(log, clock, slack)
    alerts.deliver(batch_of("ord_1", "ord_2"), clock.remaining_ms)

    # Four in the batch, two of them delivered before: two new alerts, no storm.
    assert alerts.deliver(batch_of("ord_1", "ord_2", "ord_3", "ord_4"), clock.remaining_ms) == set()
    assert slack.orders == ["ord_1", "ord_2", "ord_3", "ord_4"]
    assert slack.summaries == []


# The time budget


def test_no_post_starts_with_less_than_the_budget_left_and_the_rest_are_redelivered() -> None:
    log, clock = FakeAlertLog(), FakeClock(left=timedelta(seconds=150))
    slack = FakeTarget("slack", clock, takes=timedelta(seconds=50))
    alerts = delivery(log, clock, slack)
    batch = batch_of("ord_1", "ord_2", "ord_3")

    assert alerts.deliver(batch, clock.remaining_ms) == {"m-ord_3"}  # 50 s left: too little to start a post
    assert slack.started_with_ms == [150_000, 100_000]
    assert all(left >= BUDGET_MS for left in slack.started_with_ms)

    # SQS redelivers the failed message to a new invocation: only the alert not yet delivered is posted.
    clock.new_invocation(timedelta(seconds=180))
    assert alerts.deliver(batch[2:], clock.remaining_ms) == set()
    assert slack.orders == ["ord_1", "ord_2", "ord_3"]


def test_a_storm_summary_is_not_started_without_the_budget() -> None:
    log, clock = FakeAlertLog(), FakeClock(left=timedelta(seconds=30))
    slack = FakeTarget("slack", clock)
    batch = batch_of("ord_1", "ord_2", "ord_3", "ord_4")

    assert delivery(log, clock, slack).deliver(batch, clock.remaining_ms) == {message_id for message_id, _ in batch}
    assert slack.summaries == []
    assert log.entries == {}  # every claim released: the redelivery is not taken for a duplicate


# Partial batch failures


def test_a_failing_target_fails_only_what_it_did_not_deliver_and_the_redelivery_doubles_nothing() -> None:
    log, clock = FakeAlertLog(), FakeClock()
    slack = FakeTarget("slack", clock, refuses={"ord_2"})
    hook = FakeTarget("webhook", clock)
    alerts = delivery(log, clock, slack, hook)
    batch = batch_of("ord_1", "ord_2", "ord_3")

    assert alerts.deliver(batch, clock.remaining_ms) == {"m-ord_2", "m-ord_3"}
    assert slack.orders == ["ord_1"]
    assert hook.orders == ["ord_1", "ord_2", "ord_3"]

    slack.refuses.clear()
    assert alerts.deliver(batch[1:], clock.remaining_ms) == set()
    assert slack.orders == ["ord_1", "ord_2", "ord_3"]
    assert hook.orders == ["ord_1", "ord_2", "ord_3"]  # the webhook had them: dropped as duplicates


def test_when_the_alert_log_is_down_nothing_is_posted_and_everything_is_retried() -> None:
    log, clock = FakeAlertLog(), FakeClock()
    slack = FakeTarget("slack", clock)
    log.unavailable = True

    assert delivery(log, clock, slack).deliver(batch_of("ord_1", "ord_2"), clock.remaining_ms) == {
        "m-ord_1",
        "m-ord_2",
    }
    assert slack.posted == []


def test_a_post_the_log_could_not_mark_delivered_still_counts_as_delivered() -> None:
    log, clock = FakeAlertLog(), FakeClock()
    slack = FakeTarget("slack", clock)
    log.marking_fails = True
    alerts = delivery(log, clock, slack)

    assert alerts.deliver(batch_of("ord_1"), clock.remaining_ms) == set()
    log.marking_fails = False
    assert alerts.deliver(batch_of("ord_1"), clock.remaining_ms) == set()  # the claim stayed: a duplicate
    assert slack.orders == ["ord_1"]


def test_an_empty_batch_does_not_look_up_the_targets() -> None:
    clock = FakeClock()

    def targets() -> list[AlertTarget]:
        raise AssertionError("targets read for an empty batch (their secrets cost a call)")

    assert AlertDelivery(FakeAlertLog(), targets, clock.now).deliver([], clock.remaining_ms) == set()


@pytest.mark.parametrize("module", ["handlers.services.alert_delivery", "handlers.domain.alerts"])
def test_the_service_and_the_domain_import_without_any_environment(module: str) -> None:
    bare = {name: value for name, value in os.environ.items() if name in {"PATH", "HOME", "PYTHONPATH"}}
    subprocess.run([sys.executable, "-c", f"import {module}"], env=bare, check=True, timeout=60)


# Routes, refusals and resolutions


@dataclass
class RefusingTarget(FakeTarget):
    """Refuses every alert for good (a 400): AlertRefused, which is never retried."""

    def post(self, notification: Notification) -> None:
        self._start()
        raise AlertRefused(f"{self.name} refused the alert: HTTP 400 invalid event")

    def post_summary(self, notifications: list[Notification]) -> None:
        self._start()
        raise AlertRefused(f"{self.name} refused the storm: HTTP 400 invalid event")


@dataclass
class FakeDlq:
    parked: list[tuple[str, str, str]] = field(default_factory=list)
    broken: bool = False

    def park(self, notification: Notification, target: str, reason: str) -> None:
        if self.broken:
            raise AlertDeliveryError("SQS is unavailable")
        self.parked.append((notification.fingerprint, target, reason))


def system_alert(order_id: str) -> Alert:
    return dataclasses.replace(alert(order_id), error="OrderStoreUnavailable", failed_state="CreateOrder")


def test_routes_send_business_failures_to_chat_and_system_failures_to_the_pager_and_the_log_gets_all() -> None:
    log, clock = FakeAlertLog(), FakeClock()
    logged, slack, pager = FakeTarget("log", clock), FakeTarget("slack", clock), FakeTarget("pagerduty", clock)
    routes = parse_routes(
        '[{"match": {"severity": "warning"}, "targets": ["slack"]},'
        ' {"match": {"severity": "critical"}, "targets": ["pagerduty"], "continue": true},'
        ' {"match": {"step": "CreateOrder"}, "targets": ["slack"]}]',
        ["log", "slack", "pagerduty"],
    )
    alerts = AlertDelivery(log, lambda: [logged, slack, pager], clock.now, routes=lambda: routes)
    batch = [("m-1", alert("ord_typo")), ("m-2", system_alert("ord_outage"))]
    assert alerts.deliver(batch, clock.remaining_ms) == set()
    assert slack.orders == ["ord_typo", "ord_outage"]  # the typo as a warning; the outage by `continue`
    assert pager.orders == ["ord_outage"]
    assert logged.orders == ["ord_typo", "ord_outage"]
    assert (alert("ord_typo").severity, system_alert("ord_outage").severity) == ("warning", "critical")


def test_a_resolution_reaches_every_target_whatever_the_routes() -> None:
    log, clock = FakeAlertLog(), FakeClock()
    slack, pager = FakeTarget("slack", clock), FakeTarget("pagerduty", clock)
    routes = parse_routes('[{"match": {"severity": "critical"}, "targets": ["pagerduty"]}]', ["slack", "pagerduty"])
    resolved = Resolution("ord_1", "FULFILLED", "2026-01-01T00:05:00.000Z", "fulfilled after a rerun")
    alerts = AlertDelivery(log, lambda: [slack, pager], clock.now, routes=lambda: routes)
    assert alerts.deliver([("m-r", resolved)], clock.remaining_ms) == set()
    assert slack.posted == pager.posted == [resolved]
    assert resolved.incident == alert("ord_1").incident == system_alert("ord_1").incident


def test_a_refused_alert_is_parked_at_once_not_retried_and_the_other_targets_still_get_it() -> None:
    log, clock, dlq = FakeAlertLog(), FakeClock(), FakeDlq()
    slack, pager = FakeTarget("slack", clock), RefusingTarget("pagerduty", clock)
    alerts = AlertDelivery(log, lambda: [slack, pager], clock.now, parking=dlq)
    assert alerts.deliver(batch_of("ord_1"), clock.remaining_ms) == set()  # acknowledged: SQS does not retry it
    assert slack.orders == ["ord_1"]
    assert len(pager.started_with_ms) == 1  # one try
    (parked,) = dlq.parked
    assert parked[:2] == (alert("ord_1").fingerprint, "pagerduty")
    assert "HTTP 400" in parked[2]
    # Its claim is released: a redrive after the fix delivers it to PagerDuty (and Slack drops it as a duplicate).
    assert log.with_status("CLAIMED", "pagerduty") == set()
    assert log.with_status("DELIVERED", "slack") == {alert("ord_1").fingerprint}


def test_a_refused_storm_parks_every_alert_in_it_and_a_broken_dlq_falls_back_to_sqs_retries() -> None:
    log, clock, dlq = FakeAlertLog(), FakeClock(), FakeDlq()
    pager = RefusingTarget("pagerduty", clock)
    alerts = AlertDelivery(log, lambda: [pager], clock.now, parking=dlq, storm_threshold=1)
    assert alerts.deliver(batch_of("ord_1", "ord_2"), clock.remaining_ms) == set()
    assert {target for _, target, _ in dlq.parked} == {"pagerduty"}
    assert len(dlq.parked) == 2
    broken = FakeDlq(broken=True)
    alerts = AlertDelivery(FakeAlertLog(), lambda: [pager], clock.now, parking=broken)
    assert alerts.deliver(batch_of("ord_3"), clock.remaining_ms) == {"m-ord_3"}  # not lost: SQS redelivers it


def test_without_parking_a_refusal_is_a_failure_sqs_retries() -> None:
    log, clock = FakeAlertLog(), FakeClock()
    pager = RefusingTarget("pagerduty", clock)
    assert delivery(log, clock, pager).deliver(batch_of("ord_1"), clock.remaining_ms) == {"m-ord_1"}


def test_an_entry_point_counts_its_business_errors_in_emf_and_raises_them_unchanged(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Errors minus BusinessErrors is what alarms on AWS: a customer's typo is counted, a system error is not."""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    from handlers.domain.errors import OrderStoreUnavailable, OrderValidationError

    @observability.entry_point
    def typo(event: dict[str, object], context: object) -> None:
        raise OrderValidationError([{"path": "currency", "message": "QQQ is not a currency"}])

    @observability.entry_point
    def outage(event: dict[str, object], context: object) -> None:
        raise OrderStoreUnavailable("DynamoDB answered ThrottlingException")

    context = type("Context", (), {"function_name": "orderflow-ValidateOrder-1"})()
    with pytest.raises(OrderValidationError):
        typo({}, context)
    (line,) = [json.loads(x) for x in capsys.readouterr().out.splitlines() if '"_aws"' in x]
    assert line["BusinessErrors"] == [1.0]
    assert line["FunctionName"] == "orderflow-ValidateOrder-1"
    assert line["_aws"]["CloudWatchMetrics"][0]["Namespace"] == observability.METRICS_NAMESPACE
    with pytest.raises(OrderStoreUnavailable):
        outage({}, context)
    assert '"_aws"' not in capsys.readouterr().out


def test_metrics_are_not_written_where_they_are_switched_off(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The local runtime switches EMF off (nothing reads it there): no line reaches the console or a report."""

    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "true")
    observability.metric(observability.ORDERS_ACCEPTED)
    assert capsys.readouterr().out == ""
    monkeypatch.setenv("POWERTOOLS_METRICS_DISABLED", "false")
    observability.metric(observability.ORDERS_ACCEPTED)
    assert '"OrdersAccepted"' in capsys.readouterr().out


# What the log and the operator see


def lines(records: list[logging.LogRecord]) -> list[tuple[str, str, dict[str, object]]]:
    """The records as (level, message, the extra keys this service logs)."""
    keys = ("target", "reason", "dropped", "alert_id")
    return [(r.levelname, r.getMessage(), {k: r.__dict__[k] for k in keys if k in r.__dict__}) for r in records]


class TimedAlertLog(FakeAlertLog):
    """Also records when each claim and delivery was made, and can fail its releases."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[tuple[str, str, datetime]] = []
        self.release_fails = False

    def claim(self, fingerprint: str, target: str, now: datetime) -> bool:
        self.times.append(("claim", fingerprint, now))
        return super().claim(fingerprint, target, now)

    def delivered(self, fingerprints: Iterable[str], target: str, now: datetime) -> None:
        fingerprints = list(fingerprints)
        self.times += [("delivered", fingerprint, now) for fingerprint in fingerprints]
        super().delivered(fingerprints, target, now)

    def release(self, fingerprints: Iterable[str], target: str) -> None:
        if self.release_fails:
            raise AlertDeliveryError("the alert log is unavailable")
        super().release(fingerprints, target)


def test_claims_are_stamped_when_the_batch_started_and_deliveries_when_each_post_ended() -> None:
    log, clock = TimedAlertLog(), FakeClock()
    start = clock.now()
    slack = FakeTarget("slack", clock, takes=timedelta(seconds=2))
    assert delivery(log, clock, slack).deliver(batch_of("ord_1", "ord_2"), clock.remaining_ms) == set()
    one, two = alert("ord_1").fingerprint, alert("ord_2").fingerprint
    assert log.times == [
        ("claim", one, start),
        ("claim", two, start),
        ("delivered", one, start + timedelta(seconds=2)),
        ("delivered", two, start + timedelta(seconds=4)),
    ]


def test_a_post_starts_with_exactly_the_budget_left_and_not_a_millisecond_less(
    logged: list[logging.LogRecord],
) -> None:
    log, clock = FakeAlertLog(), FakeClock(left=timedelta(milliseconds=BUDGET_MS))
    slack = FakeTarget("slack", clock, takes=timedelta(milliseconds=1))
    assert delivery(log, clock, slack).deliver(batch_of("ord_1", "ord_2"), clock.remaining_ms) == {"m-ord_2"}
    assert slack.started_with_ms == [BUDGET_MS]
    assert lines(logged) == [("ERROR", "alert delivery failed", {"target": "slack", "reason": "59999 ms left"})]


def test_duplicates_dropped_are_logged_with_their_count_and_none_when_all_are_new(
    logged: list[logging.LogRecord],
) -> None:
    log, clock = FakeAlertLog(), FakeClock()
    alerts = delivery(log, clock, FakeTarget("slack", clock))
    alerts.deliver(batch_of("ord_1"), clock.remaining_ms)
    assert lines(logged) == []
    alerts.deliver(batch_of("ord_1", "ord_2", "ord_1"), clock.remaining_ms)
    assert lines(logged) == [("INFO", "duplicate alerts dropped", {"target": "slack", "dropped": 2})]


def test_a_failed_post_is_logged_with_the_target_and_the_reason(logged: list[logging.LogRecord]) -> None:
    log, clock = FakeAlertLog(), FakeClock()
    slack = FakeTarget("slack", clock, refuses={"ord_1"})
    assert delivery(log, clock, slack).deliver(batch_of("ord_1"), clock.remaining_ms) == {"m-ord_1"}
    assert lines(logged) == [
        ("ERROR", "alert delivery failed", {"target": "slack", "reason": "slack refused the alert: HTTP 500"})
    ]


def test_claims_that_cannot_be_released_are_logged_and_left_to_expire(logged: list[logging.LogRecord]) -> None:
    log, clock = TimedAlertLog(), FakeClock()
    log.release_fails = True
    slack = FakeTarget("slack", clock, refuses={"ord_1"})
    assert delivery(log, clock, slack).deliver(batch_of("ord_1"), clock.remaining_ms) == {"m-ord_1"}
    assert lines(logged)[1:] == [
        ("WARNING", "could not release claims", {"reason": "the alert log is unavailable"}),
    ]
    assert log.with_status("CLAIMED", "slack") == {alert("ord_1").fingerprint}


def test_a_delivery_the_log_could_not_mark_is_logged(logged: list[logging.LogRecord]) -> None:
    log, clock = FakeAlertLog(), FakeClock()
    log.marking_fails = True
    assert delivery(log, clock, FakeTarget("slack", clock)).deliver(batch_of("ord_1"), clock.remaining_ms) == set()
    assert lines(logged) == [
        ("WARNING", "could not mark alerts delivered", {"reason": "the alert log is unavailable"}),
    ]


@dataclass
class PickyTarget(FakeTarget):
    """Refuses for good the alerts of the orders in `refuses`, posts the rest."""

    def post(self, notification: Notification) -> None:
        self._start()
        if isinstance(notification, Alert) and notification.order_id in self.refuses:
            raise AlertRefused(f"{self.name} refused {notification.order_id}: HTTP 400 invalid event")
        self.posted.append(notification)


def test_a_refused_alert_is_parked_and_logged_and_the_rest_of_the_batch_still_posted(
    logged: list[logging.LogRecord],
) -> None:
    log, clock, dlq = FakeAlertLog(), FakeClock(), FakeDlq()
    pager = PickyTarget("pagerduty", clock, refuses={"ord_1"})
    alerts = AlertDelivery(log, lambda: [pager], clock.now, parking=dlq)
    assert alerts.deliver(batch_of("ord_1", "ord_2"), clock.remaining_ms) == set()
    assert pager.orders == ["ord_2"]
    reason = "pagerduty refused ord_1: HTTP 400 invalid event"
    assert dlq.parked == [(alert("ord_1").fingerprint, "pagerduty", reason)]
    assert lines(logged) == [
        (
            "ERROR",
            "alert refused: parked in the alert DLQ, not retried",
            {"target": "pagerduty", "reason": reason, "alert_id": alert("ord_1").fingerprint},
        )
    ]


def test_a_refused_storm_parks_each_alert_with_the_target_s_reason_and_a_broken_dlq_is_logged(
    logged: list[logging.LogRecord],
) -> None:
    clock, dlq = FakeClock(), FakeDlq()
    pager = RefusingTarget("pagerduty", clock)
    alerts = AlertDelivery(FakeAlertLog(), lambda: [pager], clock.now, parking=dlq, storm_threshold=1)
    assert alerts.deliver(batch_of("ord_1", "ord_2"), clock.remaining_ms) == set()
    reason = "pagerduty refused the storm: HTTP 400 invalid event"
    assert dlq.parked == [(alert(o).fingerprint, "pagerduty", reason) for o in ("ord_1", "ord_2")]
    logged.clear()
    alerts = AlertDelivery(FakeAlertLog(), lambda: [pager], clock.now, parking=FakeDlq(broken=True))
    assert alerts.deliver(batch_of("ord_3"), clock.remaining_ms) == {"m-ord_3"}
    assert lines(logged)[1:] == [("ERROR", "could not park a refused alert", {"reason": "SQS is unavailable"})]


def test_a_resolution_ignores_routes_that_would_match_it() -> None:
    log, clock = FakeAlertLog(), FakeClock()
    slack, pager = FakeTarget("slack", clock), FakeTarget("pagerduty", clock)
    routes = parse_routes('[{"match": {"severity": "info"}, "targets": ["slack"]}]', ["slack", "pagerduty"])
    resolved = Resolution("ord_1", "FULFILLED", "2026-01-01T00:05:00.000Z", "fulfilled after a rerun")
    alerts = AlertDelivery(log, lambda: [slack, pager], clock.now, routes=lambda: routes)
    assert alerts.deliver([("m-r", resolved)], clock.remaining_ms) == set()
    assert slack.posted == pager.posted == [resolved]
