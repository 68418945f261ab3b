"""check_invariants is pure: what clients were told, held against what the system holds."""

from __future__ import annotations

from typing import Any

from workflow.harness.chaos_incidents import check_incidents, check_resolves
from workflow.harness.chaos_report import Observation, Outcome, Submission, check_invariants


def _outcome(key: str, order_id: str | None, kind: str = "valid", status: int = 202) -> Outcome:
    return Outcome(Submission(key, b"{}", kind), status, order_id, attempts=1, server_errors=0)


def _order(order_id: str, key: str, status: str) -> dict[str, Any]:
    return {"orderId": order_id, "idempotencyKey": key, "status": status}


def _alert(order_id: str) -> dict[str, Any]:
    return {"type": "ORDER_FAILED", "orderId": order_id}


def _check(outcomes: list[Outcome], observed: Observation) -> Any:
    return check_invariants(len(outcomes), 1, outcomes, observed, seconds=1.0)


def test_a_healthy_run_has_no_violation() -> None:
    observed = Observation(
        stored={"o1": _order("o1", "k1", "FULFILLED"), "o2": _order("o2", "k2", "FAILED")},
        parked={"orders": [], "alerts": []},
        alerts_taken=[_alert("o2")],
    )
    report = _check([_outcome("k1", "o1"), _outcome("k2", "o2"), _outcome("k3", None, "malformed", 400)], observed)
    assert report.ok, report.violations
    assert (report.accepted, report.terminal, report.lost, report.failed, report.alerts) == (2, 2, 0, 1, 1)
    assert report.malformed_refused == 1


def test_an_accepted_order_that_never_finished_is_lost_and_its_trace_is_shown() -> None:
    observed = Observation(
        stored={"o1": _order("o1", "k1", "QUEUED")},
        parked={"orders": [], "alerts": []},
        alerts_taken=[],
        traces={"o1": "SUCCEEDED via ValidateOrder > CreateOrder"},
    )
    report = _check([_outcome("k1", "o1")], observed)
    assert report.lost == 1
    assert any("o1 is QUEUED" in v and "ValidateOrder > CreateOrder" in v for v in report.violations)


def test_an_accepted_order_never_stored_is_lost_with_its_trace() -> None:
    observed = Observation(
        stored={}, parked={}, alerts_taken=[], traces={"o1": "FAILED via ValidateOrder > [States.Timeout]"}
    )
    report = _check([_outcome("k1", "o1")], observed)
    assert report.lost == 1
    assert any("o1 is absent" in v and "[States.Timeout]" in v for v in report.violations)


def test_a_parked_order_message_counts_as_terminal() -> None:
    observed = Observation(
        stored={"o1": _order("o1", "k1", "QUEUED")}, parked={"orders": [{"orderId": "o1"}]}, alerts_taken=[]
    )
    report = _check([_outcome("k1", "o1")], observed)
    assert report.ok, report.violations
    assert (report.parked_orders, report.dlq) == (1, 1)


def test_one_key_two_orders_is_a_duplicate_whether_answered_or_stored() -> None:
    answered = _check(
        [_outcome("k1", "o1"), _outcome("k1", "o2")],
        Observation(
            stored={"o1": _order("o1", "k1", "FULFILLED"), "o2": _order("o2", "k9", "FULFILLED")},
            parked={},
            alerts_taken=[],
        ),
    )
    stored = _check(
        [_outcome("k1", "o1")],
        Observation(
            stored={"o1": _order("o1", "k1", "FULFILLED"), "o2": _order("o2", "k1", "FULFILLED")},
            parked={},
            alerts_taken=[],
        ),
    )
    assert answered.duplicates == 1
    assert not answered.ok
    assert stored.duplicates == 1
    assert not stored.ok


def test_alerts_must_match_failures_once_each_storm_summaries_included() -> None:
    failed = {"o1": _order("o1", "k1", "FAILED"), "o2": _order("o2", "k2", "FAILED")}
    outcomes = [_outcome("k1", "o1"), _outcome("k2", "o2")]
    summary = {"alerts": [_alert("o1"), _alert("o2")]}
    assert _check(outcomes, Observation(stored=failed, parked={}, alerts_taken=[summary])).ok

    twice = _check(outcomes, Observation(stored=failed, parked={}, alerts_taken=[summary, _alert("o1")]))
    assert twice.alerted_twice == 1
    assert not twice.ok

    missing = _check(outcomes, Observation(stored=failed, parked={}, alerts_taken=[_alert("o1")]))
    assert any("not alerted ['o2']" in v for v in missing.violations)

    parked = _check(
        outcomes, Observation(stored=failed, parked={"alerts": [{"orderId": "o2"}]}, alerts_taken=[summary])
    )
    assert parked.alerted_twice == 0
    assert parked.alerts == 2


def test_a_malformed_order_accepted_and_a_valid_one_never_accepted_are_violations() -> None:
    observed = Observation(stored={"o1": _order("o1", "k1", "FULFILLED")}, parked={}, alerts_taken=[])
    report = _check([_outcome("k1", "o1", "malformed"), _outcome("k2", None, "valid", 503)], observed)
    assert report.malformed_accepted == 1
    assert report.client_gave_up == 1
    assert len(report.violations) == 2


def test_stuck_alerts_are_counted_apart_from_failures_and_once_each() -> None:
    stuck = {"type": "ORDER_STUCK", "orderId": "o1", "failedState": "CREATED"}
    observed = Observation(
        stored={"o1": _order("o1", "k1", "FULFILLED"), "o2": _order("o2", "k2", "FAILED")},
        # A stuck alert parked in the alert DLQ is no failure's alert either.
        parked={"orders": [], "alerts": [{"type": "ORDER_STUCK", "orderId": "o1"}]},
        alerts_taken=[_alert("o2"), stuck],
    )
    report = _check([_outcome("k1", "o1"), _outcome("k2", "o2")], observed)
    assert report.ok, report.violations
    assert (report.failed, report.alerts, report.stuck_alerts) == (1, 1, 1)
    twice = Observation(stored=observed.stored, parked={}, alerts_taken=[_alert("o2"), stuck, {"alerts": [stuck]}])
    report = _check([_outcome("k1", "o1"), _outcome("k2", "o2")], twice)
    assert report.stuck_alerts == 2
    assert any("o1 was alerted as stuck 2 times" in v for v in report.violations)


def _trigger(order_id: str) -> dict[str, Any]:
    return {"event_action": "trigger", "dedup_key": f"orderflow/order/{order_id}", "payload": {"custom_details": {}}}


def _storm(*order_ids: str, unlisted: int = 0) -> dict[str, Any]:
    details = {"kind": "ALERT_STORM", "orders": [{"order_id": o} for o in order_ids], "orders_not_listed": unlisted}
    return {"event_action": "trigger", "dedup_key": "orderflow/storm/x", "payload": {"custom_details": details}}


def test_pagerduty_gets_one_trigger_per_failed_order_alone_or_in_a_storm_and_teams_hears_of_them() -> None:
    cards = [{"text": "ord\\_1"}, {"text": "ord_2 ord_3"}]
    ok = check_incidents(["ord_1", "ord_2", "ord_3"], [_trigger("ord_1"), _storm("ord_2", "ord_3")], cards)
    assert ok.violations == []
    assert (ok.triggers, ok.teams_cards) == (2, 2)
    twice = check_incidents(["ord_1"], [_trigger("ord_1"), _storm("ord_1")], [{"text": "ord_1"}])
    assert twice.violations == ["PagerDuty got 2 triggers for order ord_1"]
    missing = check_incidents(["ord_1", "ord_2"], [_trigger("ord_1")], [{"text": "ord_1"}])
    assert "PagerDuty got no trigger for failed orders ['ord_2']" in missing.violations
    assert check_incidents(["ord_1"], [_trigger("ord_1")], []).violations == ["Teams got no card for 1 failed orders"]
    # A storm over its listing names the rest by count only.
    assert check_incidents(["ord_1", "ord_2"], [_storm("ord_1", unlisted=1)], cards).violations == []


def test_each_rerun_order_is_resolved_exactly_once() -> None:
    resolve = {"event_action": "resolve", "dedup_key": "orderflow/order/ord_1"}
    assert check_resolves(["ord_1"], [resolve]) == []
    assert check_resolves(["ord_1"], []) == ["order ord_1 was fixed by a rerun and resolved 0 times at PagerDuty"]
    assert check_resolves(["ord_1"], [resolve, resolve]) == [
        "order ord_1 was fixed by a rerun and resolved 2 times at PagerDuty"
    ]
