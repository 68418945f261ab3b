"""Chaos's invariants for the incident targets: what PagerDuty and Teams took, held against the failed orders.

- PagerDuty: one trigger per failed order: its own (dedup_key `orderflow/order/<id>`) or its place in one storm
  incident (listed in the storm's details); never two. Every order fixed by a rerun gets exactly one resolve.
- Teams: failed orders reached the channel (a storm's card names a few and counts the rest).

Pure: the run passes what the loopback receivers accepted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

ORDER_INCIDENT = "orderflow/order/"


@dataclass
class IncidentCounts:
    triggers: int = 0  # order triggers and storm triggers PagerDuty took
    resolves: int = 0
    teams_cards: int = 0
    violations: list[str] = field(default_factory=list)


def _order_of(event: Mapping[str, Any]) -> str | None:
    key = str(event.get("dedup_key", ""))
    return key.removeprefix(ORDER_INCIDENT) if key.startswith(ORDER_INCIDENT) else None


def check_incidents(
    failed: Iterable[str], pager_events: Sequence[Mapping[str, Any]], teams_messages: Sequence[Mapping[str, Any]]
) -> IncidentCounts:
    failed = set(failed)
    counts = IncidentCounts()
    triggered: Counter[str] = Counter()
    unlisted = 0
    for event in pager_events:
        if event.get("event_action") == "resolve":
            counts.resolves += 1
            continue
        if event.get("event_action") != "trigger":
            continue
        counts.triggers += 1
        details = (event.get("payload") or {}).get("custom_details") or {}
        if details.get("kind") == "ALERT_STORM":
            triggered.update(str(o.get("order_id")) for o in details.get("orders", []))
            unlisted += int(details.get("orders_not_listed", 0))
        elif (order_id := _order_of(event)) is not None and details.get("kind") != "ORDER_STUCK":
            triggered[order_id] += 1
    for order_id in sorted(o for o, n in triggered.items() if n > 1)[:10]:
        counts.violations.append(f"PagerDuty got {triggered[order_id]} triggers for order {order_id}")
    untriggered = sorted(failed - set(triggered))
    if len(untriggered) > unlisted:  # a storm over 50 lists some of its orders only by count
        counts.violations.append(f"PagerDuty got no trigger for failed orders {untriggered[:10]}")
    for order_id in sorted(set(triggered) - failed)[:10]:
        counts.violations.append(f"PagerDuty got a trigger for order {order_id}, which did not fail")
    counts.teams_cards = len(teams_messages)
    # A storm's card names a few orders per group and counts the rest ("and N more"): Teams' invariant is that the
    # channel heard of the failures at all; which order went where is PagerDuty's, above.
    if failed and not teams_messages:
        counts.violations.append(f"Teams got no card for {len(failed)} failed orders")
    return counts


def check_resolves(rerun: Iterable[str], pager_events: Sequence[Mapping[str, Any]]) -> list[str]:
    """Each order fixed by a rerun was resolved once at PagerDuty."""
    resolved = Counter(
        order_id
        for event in pager_events
        if event.get("event_action") == "resolve" and (order_id := _order_of(event)) is not None
    )
    return [
        f"order {order_id} was fixed by a rerun and resolved {resolved[order_id]} times at PagerDuty"
        for order_id in sorted(rerun)
        if resolved[order_id] != 1
    ]
