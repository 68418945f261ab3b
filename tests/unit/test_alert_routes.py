"""ALERT_ROUTES (handlers.domain.alert_routes): what does not parse is refused with where, and routing follows the
documented rules (first match decides, `continue` adds up, nothing matched or a resolution goes to every target on)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest

from handlers.domain.alert_routes import Routes, RoutesError, parse_routes

KNOWN = ("log", "slack", "webhook", "pagerduty", "teams", "email")
ON = ("log", "slack", "webhook", "pagerduty")


@dataclass(frozen=True)
class Notice:
    """What a route matches on (as handlers.domain.alerts' notifications carry it)."""

    severity: str = "warning"
    error: str = "OrderValidationError"
    failed_state: str = "ValidateOrder"


def routes(*rules: dict[str, Any]) -> Routes:
    return parse_routes(json.dumps(list(rules)), KNOWN)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("[{", "is not JSON"),
        ('{"match": {}, "targets": ["slack"]}', "is a JSON list of rules"),
        ('["slack"]', "rule 1 is not an object"),
        ('[{"targets": ["slack"], "when": {}}]', "rule 1 has unknown keys ['when']"),
        ('[{"match": [], "targets": ["slack"]}]', "rule 1: match is an object"),
        ('[{"match": {"region": "eu"}, "targets": ["slack"]}]', "rule 1 matches on unknown keys ['region']"),
        ('[{"match": {"severity": "urgent"}, "targets": ["slack"]}]', "rule 1: severity ['urgent'] is not one of"),
        ('[{"match": {"error": []}, "targets": ["slack"]}]', "rule 1: error is a name or a list of names"),
        ('[{"match": {"step": ""}, "targets": ["slack"]}]', "rule 1: step is a name or a list of names"),
        ('[{"targets": ["slack"]}, {"targets": ["opsgenie"]}]', "rule 2 names unknown targets ['opsgenie']"),
        ('[{"targets": []}]', "rule 1: targets is a non-empty list of target names"),
        ('[{"targets": "slack"}]', "rule 1: targets is a non-empty list of target names"),
        ('[{"match": {}}]', "rule 1: targets is a non-empty list of target names"),
        ('[{"targets": ["slack"], "continue": "yes"}]', "rule 1: continue is true or false"),
    ],
)
def test_what_does_not_parse_is_refused_saying_where(text: str, says: str) -> None:
    with pytest.raises(RoutesError) as raised:
        parse_routes(text, KNOWN)
    assert says in str(raised.value)
    assert str(raised.value).startswith("ALERT_ROUTES")


@pytest.mark.parametrize("text", [None, "", "  \n", "[]"])
def test_no_routes_send_everything_everywhere(text: str | None) -> None:
    parsed = parse_routes(text, KNOWN)
    assert parsed.rules == ()
    assert parsed.targets_for(Notice(), ON) == set(ON)


def test_the_first_rule_that_matches_decides() -> None:
    parsed = routes(
        {"match": {"severity": "critical"}, "targets": ["pagerduty"]},
        {"match": {"severity": ["critical", "warning"]}, "targets": ["slack"]},
        {"targets": ["webhook"]},
    )
    assert parsed.targets_for(Notice(severity="critical"), ON) == {"pagerduty"}
    assert parsed.targets_for(Notice(severity="warning"), ON) == {"slack"}
    assert parsed.targets_for(Notice(severity="info"), ON) == {"webhook"}  # an empty match matches everything


def test_every_named_field_must_match() -> None:
    parsed = routes({"match": {"error": "OrderStoreUnavailable", "step": "CreateOrder"}, "targets": ["pagerduty"]})
    assert parsed.targets_for(Notice(error="OrderStoreUnavailable", failed_state="CreateOrder"), ON) == {"pagerduty"}
    # Only one of the two matches: no rule matched, so every target that is on.
    assert parsed.targets_for(Notice(error="OrderStoreUnavailable", failed_state="ValidateOrder"), ON) == set(ON)


def test_continue_adds_the_later_matches_up() -> None:
    parsed = routes(
        {"match": {"severity": "critical"}, "targets": ["pagerduty"], "continue": True},
        {"match": {"error": "OrderStoreUnavailable"}, "targets": ["slack"], "continue": True},
        {"match": {"severity": "critical"}, "targets": ["webhook"]},
        {"targets": ["teams"]},  # not reached for a critical alert: the rule before stops
    )
    critical = Notice(severity="critical", error="OrderStoreUnavailable")
    assert parsed.targets_for(critical, [*ON, "teams"]) == {"pagerduty", "slack", "webhook"}
    assert parsed.targets_for(Notice(severity="critical", error="X"), [*ON, "teams"]) == {"pagerduty", "webhook"}


def test_a_route_to_targets_that_are_off_reaches_only_those_that_are_on() -> None:
    parsed = routes({"match": {"severity": "critical"}, "targets": ["teams", "slack"]})
    assert parsed.targets_for(Notice(severity="critical"), ON) == {"slack"}
    # All of its targets off: matched, so nothing else; the AlertHandler's log still gets it.
    only_off = routes({"match": {"severity": "critical"}, "targets": ["teams"]})
    assert only_off.targets_for(Notice(severity="critical"), ON) == set()


def test_nothing_matched_goes_to_every_target_that_is_on() -> None:
    parsed = routes({"match": {"severity": "critical"}, "targets": ["pagerduty"]})
    assert parsed.targets_for(Notice(severity="warning"), ON) == set(ON)


def test_a_resolution_goes_to_every_target_that_is_on() -> None:
    parsed = routes({"match": {"severity": "critical"}, "targets": ["pagerduty"]}, {"targets": ["slack"]})
    # A resolution is info with its order's status as the step: the routes would send it to slack alone, but the
    # incident may have been opened by any route, so every target that is on gets it.
    resolved = Notice(severity="info", error="", failed_state="FULFILLED")
    assert parsed.targets_for(resolved, ON) == {"slack"}
    assert parsed.targets_for(resolved, ON, resolution=True) == set(ON)


def test_a_value_or_a_list_of_values_match_alike() -> None:
    one = routes({"match": {"step": "CreateOrder"}, "targets": ["slack"]})
    many = routes({"match": {"step": ["CreateOrder", "ProcessOrder"]}, "targets": ["slack"]})
    at_create = Notice(failed_state="CreateOrder")
    assert one.targets_for(at_create, ON) == many.targets_for(at_create, ON) == {"slack"}
    assert many.targets_for(Notice(failed_state="ProcessOrder"), ON) == {"slack"}
