"""Chaos's report: what the clients were told (Submission, Outcome) held against what the system holds once it is
quiet (Observation), as the invariants the report counts (workflow.harness.chaos runs them). Pure."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

TERMINAL_STATUSES = frozenset({"FULFILLED", "FAILED"})


@dataclass
class Submission:
    key: str
    body: bytes
    kind: str  # "valid" | "invalid" (a business rule fails: FAILED with an alert) | "malformed" (refused at once)


@dataclass
class Outcome:
    submission: Submission
    status: int
    order_id: str | None
    attempts: int
    server_errors: int


@dataclass
class ChaosReport:
    orders: int
    seed: int
    submissions: int
    accepted: int
    terminal: int
    lost: int
    duplicates: int
    failed: int
    alerts: int
    dlq: int
    seconds: float
    fulfilled: int = 0
    parked_orders: int = 0
    parked_alerts: int = 0
    malformed_refused: int = 0
    malformed_accepted: int = 0
    unacknowledged_orders: int = 0
    alerted_twice: int = 0
    # What PagerDuty and Teams took (order and storm triggers; cards), and the reruns of orders that failed for a
    # system reason, each of which must resolve its incident once.
    pager_triggers: int = 0
    teams_cards: int = 0
    reruns: list[str] = field(default_factory=list)
    resolved: int = 0
    # Orders alerted as stuck (FindStuckOrders: accepted, not terminal after STUCK_ORDER_MINUTES); once each.
    stuck_alerts: int = 0
    client_server_errors: int = 0
    client_gave_up: int = 0
    workflow_type: str = "STANDARD"
    # Executions started beyond one per order (Express's at-least-once starts), and how many of those extra ones
    # ended at HandledElsewhere, leaving the order to the execution that wrote it.
    extra_executions: int = 0
    handled_elsewhere: int = 0
    faults_injected: dict[str, int] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    def text(self) -> str:
        lines = [
            f"chaos: {self.orders} orders, seed {self.seed}: {self.submissions} submissions in {self.seconds:.1f} s",
            f"  accepted {self.accepted} · terminal {self.terminal} (fulfilled {self.fulfilled}, failed {self.failed},"
            f" parked in the order DLQ {self.parked_orders}) · lost {self.lost} · duplicates {self.duplicates}",
            f"  alerts {self.alerts} (parked in the alert DLQ {self.parked_alerts})"
            f" · alerted twice {self.alerted_twice} · stuck alerts {self.stuck_alerts}",
            f"  PagerDuty triggers {self.pager_triggers} · Teams cards {self.teams_cards} · reruns {len(self.reruns)}"
            f" (resolved at PagerDuty {self.resolved})",
            f"  malformed refused {self.malformed_refused} of {self.malformed_refused + self.malformed_accepted}"
            f" · orders stored but never acknowledged to their client {self.unacknowledged_orders}",
            f"  clients saw {self.client_server_errors} 5xx/409 answers and retried them; gave up on"
            f" {self.client_gave_up} orders",
            f"  {self.workflow_type}: executions started twice {self.extra_executions}"
            f" (ended at HandledElsewhere {self.handled_elsewhere})",
            "  faults injected: "
            + (", ".join(f"{name} {count}" for name, count in sorted(self.faults_injected.items())) or "none"),
            "invariants:",
        ]
        checks = [
            ("every accepted order reached exactly one terminal state (lost = 0)", self.lost == 0),
            ("no order doubled (duplicates = 0)", self.duplicates == 0),
            (
                "every failed order alerted once (alerts = failed, none twice)",
                self.alerts == self.failed and not self.alerted_twice,
            ),
            ("no malformed order accepted", self.malformed_accepted == 0),
            ("every well-formed order was accepted within the client's retries", self.client_gave_up == 0),
            (
                "PagerDuty: one trigger per failed order; one resolve per order fixed by rerun; Teams got every one",
                not any(v.startswith(("PagerDuty", "Teams")) or "resolved" in v for v in self.violations),
            ),
        ]
        lines += [f"  [{'ok' if passed else 'FAILED'}] {name}" for name, passed in checks]
        lines += [f"  ! {violation}" for violation in self.violations]
        return "\n".join(lines)


@dataclass(frozen=True)
class Observation:
    """What the system holds once it is quiet: the orders, what each DLQ parked, and what the alert target took."""

    stored: Mapping[str, Mapping[str, Any]]  # orderId -> the order as stored
    parked: Mapping[str, Sequence[Mapping[str, Any]]]  # DLQ (by its queue's name) -> the parked messages' bodies
    alerts_taken: Sequence[Mapping[str, Any]]  # the generic webhook's accepted messages (storm summaries too)
    traces: Mapping[str, str] = field(default_factory=dict)  # orderId -> what its execution did (non-terminal ones)
    # orderId -> the states each of its executions entered, for the orders that ran more than once
    reruns: Mapping[str, Sequence[Sequence[str]]] = field(default_factory=dict)


@dataclass
class _Orders:
    """The orders, as the clients were told and as the store holds them."""

    accepted: set[str]  # order ids a client got a 202 for
    doubled_keys: set[str]  # keys answered with, or stored under, more than one order
    terminal: set[str]
    lost: set[str]
    unacknowledged: set[str]  # stored, but never named to a client
    parked: set[str]  # parked in the order DLQ


def _orders(outcomes: Sequence[Outcome], observed: Observation, violations: list[str]) -> _Orders:
    by_key: dict[str, set[str]] = defaultdict(set)
    for outcome in outcomes:
        if outcome.order_id:
            by_key[outcome.submission.key].add(outcome.order_id)
    accepted = {order_id for ids in by_key.values() for order_id in ids}
    answered_twice = {key for key, ids in by_key.items() if len(ids) > 1}

    stored = observed.stored
    per_key = Counter(str(o["idempotencyKey"]) for o in stored.values() if o.get("idempotencyKey"))
    doubled = {key for key, count in per_key.items() if count > 1}
    parked = {str(m.get("orderId")) for m in observed.parked.get("orders", [])}

    def finished(order_id: str) -> bool:
        return (stored.get(order_id) or {}).get("status") in TERMINAL_STATUSES or order_id in parked

    terminal = {order_id for order_id in accepted if finished(order_id)}
    lost = accepted - terminal
    for order_id in sorted(lost)[:10]:
        status = (stored.get(order_id) or {}).get("status", "absent")
        trace = observed.traces.get(order_id, "not traced")
        violations.append(f"order {order_id} is {status}, not terminal; its execution: {trace}")
    for key in sorted(answered_twice | doubled)[:10]:
        violations.append(f"key {key} named more than one order")
    unacknowledged = set(stored) - accepted
    for order_id in sorted(unacknowledged)[:10]:
        if not finished(order_id):
            violations.append(f"order {order_id} (never acknowledged to its client) is not terminal")
    return _Orders(accepted, answered_twice | doubled, terminal, lost, unacknowledged, parked)


@dataclass
class _Alerts:
    failed: set[str]  # FAILED orders
    alerted: set[str]  # orders alerted as failed, or parked in the alert DLQ
    twice: set[str]  # orders alerted as failed more than once
    stuck: Counter[str]  # order -> how often it was alerted as stuck


def _alerts(observed: Observation, accepted: set[str], violations: list[str]) -> _Alerts:
    stored = observed.stored
    failed = {order_id for order_id, o in stored.items() if o.get("status") == "FAILED"}
    mentions: Counter[str] = Counter()
    stuck: Counter[str] = Counter()
    for message in observed.alerts_taken:
        for alert in message.get("alerts", [message]):  # a storm summary lists every alert it stands for
            if alert.get("type") == "ORDER_FAILED":
                mentions[str(alert.get("orderId"))] += 1
            elif alert.get("type") == "ORDER_STUCK":
                stuck[str(alert.get("orderId"))] += 1
    parked = observed.parked.get("alerts", [])
    alerted = set(mentions) | {str(m.get("orderId")) for m in parked if m.get("type") != "ORDER_STUCK"}
    twice = {order_id for order_id, count in mentions.items() if count > 1}
    for order_id in sorted(o for o, count in stuck.items() if count > 1)[:10]:
        violations.append(f"order {order_id} was alerted as stuck {stuck[order_id]} times")
    for order_id in sorted(set(stuck) - accepted - set(stored))[:10]:
        violations.append(f"a stuck alert names {order_id}, which no client was given and the store does not hold")
    if alerted != failed:
        missing, extra = sorted(failed - alerted), sorted(alerted - failed)
        violations.append(
            f"alerts and failures differ: not alerted {missing[:10]}, alerted but not failed {extra[:10]}"
        )
    for order_id in sorted(twice)[:10]:
        violations.append(f"order {order_id} was alerted {mentions[order_id]} times")
    return _Alerts(failed, alerted, twice, stuck)


def _runs(observed: Observation, violations: list[str]) -> tuple[int, int]:
    """Executions started beyond one per order, and those of them that ended at HandledElsewhere."""
    extra_runs = sum(len(runs) - 1 for runs in observed.reruns.values())
    elsewhere = sum(1 for runs in observed.reruns.values() for states in runs if "HandledElsewhere" in states)
    for order_id, runs in sorted(observed.reruns.items()):
        carried = [
            states for states in runs if "CreateOrder" in states and "HandledElsewhere" not in states
        ]  # a run that failed validation never reached CreateOrder
        if len(carried) > 1:
            violations.append(f"order {order_id} was carried on by {len(carried)} executions: {carried}")
    return extra_runs, elsewhere


def check_invariants(
    orders: int, seed: int, outcomes: Sequence[Outcome], observed: Observation, seconds: float
) -> ChaosReport:
    """The report: what the clients were told held against what the system holds. Pure."""
    violations: list[str] = []
    held = _orders(outcomes, observed, violations)
    alerts = _alerts(observed, held.accepted, violations)
    gave_up = [o for o in outcomes if o.submission.kind != "malformed" and not o.order_id]
    for outcome in gave_up[:10]:
        violations.append(
            f"key {outcome.submission.key} was never accepted ({outcome.attempts} tries, last answer {outcome.status})"
        )
    extra_runs, elsewhere = _runs(observed, violations)
    malformed = [o for o in outcomes if o.submission.kind == "malformed"]
    malformed_accepted = sum(1 for o in malformed if o.order_id)
    if malformed_accepted:
        violations.append(f"{malformed_accepted} malformed orders were accepted")
    parked_alerts = observed.parked.get("alerts", [])
    return ChaosReport(
        orders=orders,
        seed=seed,
        submissions=len(outcomes),
        accepted=len(held.accepted),
        terminal=len(held.terminal),
        lost=len(held.lost),
        duplicates=len(held.doubled_keys),
        failed=len(alerts.failed),
        alerts=len(alerts.alerted),
        dlq=len(held.parked) + len(parked_alerts),
        seconds=round(seconds, 1),
        fulfilled=sum(1 for o in observed.stored.values() if o.get("status") == "FULFILLED"),
        parked_orders=len(held.parked),
        parked_alerts=len(parked_alerts),
        malformed_refused=sum(1 for o in malformed if o.status and 400 <= o.status < 500 and not o.order_id),
        malformed_accepted=malformed_accepted,
        unacknowledged_orders=len(held.unacknowledged),
        alerted_twice=len(alerts.twice),
        stuck_alerts=sum(alerts.stuck.values()),
        client_server_errors=sum(o.server_errors for o in outcomes),
        client_gave_up=len(gave_up),
        extra_executions=extra_runs,
        handled_elsewhere=elsewhere,
        violations=violations,
    )
