"""Alert routes (ALERT_ROUTES): which alert targets get which alerts. A short ordered rule list, in JSON:

    [{"match": {"severity": "warning"}, "targets": ["slack"]},
     {"match": {"severity": "critical"}, "targets": ["pagerduty", "slack"]}]

- `match` may name `severity` (critical, error, warning, info: a business failure is a warning, a system failure
  critical, a stuck order an error, an alarm an error, its OK info), `error` (the error class, e.g.
  OrderValidationError, or an alarm's name) and `step` (the state an order failed at, or the status it is stuck in).
  Each is one value or a list of values; all that are named must match. An empty `match` matches everything.
- The first rule that matches decides, unless it says `"continue": true`: then later rules are tried too, and the
  targets add up.
- What no rule matches goes to every target that is on (with no routes at all, everything goes everywhere): an alert
  is never routed nowhere. The log target gets everything, always.
- A resolution goes wherever its order's alerts may have gone: to every target that is on, so an incident opened by
  any route is closed.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

SEVERITIES = ("critical", "error", "warning", "info")
_MATCH_KEYS = ("severity", "error", "step")
_RULE_KEYS = {"match", "targets", "continue"}


class RoutesError(ValueError):
    """ALERT_ROUTES does not parse or names what does not exist; the message says where."""


class Routed(Protocol):
    """What a route matches on (handlers.domain.alerts' notifications)."""

    @property
    def severity(self) -> str: ...

    @property
    def error(self) -> str: ...

    @property
    def failed_state(self) -> str: ...


@dataclass(frozen=True)
class Rule:
    severity: frozenset[str] | None
    error: frozenset[str] | None
    step: frozenset[str] | None
    targets: tuple[str, ...]
    carry_on: bool = False

    def matches(self, notification: Routed) -> bool:
        return all(
            wanted is None or value in wanted
            for wanted, value in (
                (self.severity, notification.severity),
                (self.error, notification.error),
                (self.step, notification.failed_state),
            )
        )


@dataclass(frozen=True)
class Routes:
    rules: tuple[Rule, ...] = ()

    def targets_for(self, notification: Routed, on: Iterable[str], *, resolution: bool = False) -> set[str]:
        """The targets (of those `on`) that get this notification."""
        on = set(on)
        if resolution or not self.rules:
            return on
        chosen: set[str] = set()
        matched = False
        for rule in self.rules:
            if rule.matches(notification):
                matched = True
                chosen |= set(rule.targets)
                if not rule.carry_on:
                    break
        return (chosen & on) if matched else on


def parse_routes(text: str | None, known_targets: Iterable[str]) -> Routes:
    """ALERT_ROUTES as Routes; None or blank: no rules. Raises RoutesError naming the first problem."""
    if text is None or not text.strip():
        return Routes()
    try:
        data = json.loads(text)
    except json.JSONDecodeError as e:
        raise RoutesError(f"ALERT_ROUTES is not JSON: {e.msg} at character {e.pos}") from e
    if not isinstance(data, list):
        raise RoutesError("ALERT_ROUTES is a JSON list of rules")
    known = set(known_targets)
    return Routes(tuple(_rule(index, item, known) for index, item in enumerate(data)))


def _rule(index: int, item: Any, known: set[str]) -> Rule:
    where = f"ALERT_ROUTES rule {index + 1}"
    if not isinstance(item, dict):
        raise RoutesError(f"{where} is not an object")
    if unknown := set(item) - _RULE_KEYS:
        raise RoutesError(f"{where} has unknown keys {sorted(unknown)}; a rule has match, targets and continue")
    match = item.get("match", {})
    if not isinstance(match, dict):
        raise RoutesError(f"{where}: match is an object")
    if unknown := set(match) - set(_MATCH_KEYS):
        raise RoutesError(f"{where} matches on unknown keys {sorted(unknown)}; use {', '.join(_MATCH_KEYS)}")
    values = {key: _values(where, key, match[key]) for key in _MATCH_KEYS if key in match}
    if bad := (values.get("severity") or frozenset()) - set(SEVERITIES):
        raise RoutesError(f"{where}: severity {sorted(bad)} is not one of {', '.join(SEVERITIES)}")
    targets = item.get("targets")
    if not isinstance(targets, list) or not targets or not all(isinstance(t, str) for t in targets):
        raise RoutesError(f"{where}: targets is a non-empty list of target names")
    if bad_targets := sorted(set(targets) - known):
        raise RoutesError(f"{where} names unknown targets {bad_targets}; the targets are {', '.join(sorted(known))}")
    carry_on = item.get("continue", False)
    if not isinstance(carry_on, bool):
        raise RoutesError(f"{where}: continue is true or false")
    return Rule(values.get("severity"), values.get("error"), values.get("step"), tuple(targets), carry_on)


def _values(where: str, key: str, value: Any) -> frozenset[str]:
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(v, str) and v for v in items):
        raise RoutesError(f"{where}: {key} is a name or a list of names")
    return frozenset(items)
